// Ticket spinlock: FIFO-fair, 4 bytes, usable on the host (tests run it on threads) and
// freestanding (std::atomic is header-only). It does not touch the interrupt flag; code
// that also takes a lock from an interrupt handler uses arch::IrqSaveLockGuard.
//
// Lock order (outermost first), to be extended as subsystems arrive:
//   domain registry < domain < page-table stripe < frame allocator < heap size class
//   < timer queue (per CPU); scheduler accounting < run queue(cpu i) < run queue(cpu j), i < j;
//   the console, paging and console-input locks are leaves.
#pragma once

#include <atomic>
#include <cstdint>

namespace hv {

#if defined(HV_KERNEL) && defined(HV_LOCK_CHECKS)
// Audit image (build/hypervisor-lockcheck.elf, docs/architecture.md "Locks"): after boot, no lock
// may be taken both in an interrupt handler and, anywhere, with interrupts on. Such a lock
// deadlocks its own CPU when the interrupt arrives while it is held (the handler spins on
// a holder it interrupted), which in a normal build shows only as a rare hang. Taking a
// lock with interrupts off outside a handler (trap handlers, IrqSave) is fine: nothing
// here spins with interrupts off waiting for another CPU to answer an IPI.
namespace lock_checks {
extern bool armed;
bool in_interrupt();     // this CPU is running an interrupt handler (arch/x86_64/traps.cpp)
void interrupt_enter();
void interrupt_exit();
[[noreturn]] void inconsistent(const void* lock);
}  // namespace lock_checks
#endif

inline void cpu_relax() { __builtin_ia32_pause(); }

// One step of waiting for a ticket. A CPU in the image spins undisturbed: nothing preempts it while it
// waits. A host thread can be descheduled while it holds or is next in line for the lock, and with more
// threads than CPUs a FIFO lock then convoys: every hand-over waits for the scheduler (4 threads on 2
// CPUs took minutes for 400000 hand-overs). So host builds yield the CPU every 64 spins.
#if defined(HV_HOST)
extern "C" int sched_yield() noexcept;  // <sched.h>, declared here to keep the header freestanding-clean
inline void spin_wait(unsigned& spins) {
    if (++spins % 64 == 0)
        sched_yield();
    else
        cpu_relax();
}
#else
inline void spin_wait(unsigned&) { cpu_relax(); }
#endif

class TicketLock {
public:
    constexpr TicketLock() = default;
    TicketLock(const TicketLock&) = delete;
    TicketLock& operator=(const TicketLock&) = delete;

    void lock() {
        check_irq_mode();
        const uint16_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
        unsigned spins = 0;
        while (owner_.load(std::memory_order_acquire) != ticket)
            spin_wait(spins);
    }
    bool try_lock() {
        check_irq_mode();
        uint16_t owner = owner_.load(std::memory_order_acquire);
        uint16_t expected = owner;
        return next_.compare_exchange_strong(expected, static_cast<uint16_t>(owner + 1),
                                             std::memory_order_acquire, std::memory_order_relaxed);
    }
    void unlock() { owner_.store(static_cast<uint16_t>(owner_.load(std::memory_order_relaxed) + 1), std::memory_order_release); }
    bool is_locked() const { return next_.load(std::memory_order_relaxed) != owner_.load(std::memory_order_relaxed); }

private:
#if defined(HV_KERNEL) && defined(HV_LOCK_CHECKS)
    enum : uint8_t { kTakenWithIrqsOn = 1, kTakenInInterrupt = 2 };
    void check_irq_mode() {
        if (!lock_checks::armed)
            return;
        const bool irqs_on = (__builtin_ia32_readeflags_u64() & (1u << 9)) != 0;
        const uint8_t use = irqs_on ? kTakenWithIrqsOn : lock_checks::in_interrupt() ? kTakenInInterrupt : 0;
        if (use != 0 && (uses_.fetch_or(use, std::memory_order_relaxed) | use) == (kTakenWithIrqsOn | kTakenInInterrupt))
            lock_checks::inconsistent(this);
    }
    std::atomic<uint8_t> uses_{0};
#else
    void check_irq_mode() {}
#endif
    std::atomic<uint16_t> next_{0};   // next ticket to hand out
    std::atomic<uint16_t> owner_{0};  // ticket now being served
};

template <typename Lock>
class [[nodiscard]] LockGuard {
public:
    explicit LockGuard(Lock& l) : lock_(l) { lock_.lock(); }
    ~LockGuard() { lock_.unlock(); }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    Lock& lock_;
};

}  // namespace hv
