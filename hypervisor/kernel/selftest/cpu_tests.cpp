// Self-tests of time, timers, SMP and exception reporting.
#include <atomic>
#include <new>
#include <cstdint>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/layout.hpp"
#include "kernel/extable.hpp"
#include "kernel/log.hpp"
#include "kernel/percpu.hpp"
#include "kernel/selftest/selftest.hpp"
#include "kernel/smp.hpp"
#include "kernel/time.hpp"
#include "lib/spinlock.hpp"

namespace hv {
namespace {

void nothing(Timer&) {}

// Halts (interrupts on) until `done()` or the timeout; true if done. A 1 ms wake-up timer
// keeps the halt from outliving the condition when the event lands on another CPU.
template <typename Done>
bool wait_until(Done done, uint64_t timeout_ns) {
    const uint64_t end = now_ns() + timeout_ns;
    Timer poll(nothing, nullptr);
    bool ok = true;
    while (!done()) {
        if (now_ns() > end) {
            ok = false;
            break;
        }
        // Interrupts off from arming to the halt: a poll timer that fired in between would
        // leave `hlt` waiting for an interrupt that never comes (sti;hlt is atomic).
        arch::irq_disable();
        timer_arm(poll, now_ns() + 1000000);
        arch::safe_halt();
    }
    (void)timer_cancel(poll);
    return ok;
}

struct OrderRecord {
    unsigned fired = 0;
    unsigned order[16];
    uint64_t late_by[16];
};
OrderRecord order_record;

void record_fire(Timer& t) {
    const unsigned index = static_cast<unsigned>(reinterpret_cast<uintptr_t>(t.data));
    order_record.late_by[index] = now_ns() - t.deadline();
    order_record.order[order_record.fired++] = index;
}

}  // namespace

// Timers armed out of order fire in deadline order, never early, each exactly once.
HV_SELFTEST(timer_ordering, "timer-ordering") {
    constexpr unsigned kTimers = 12;
    // Deadline offsets in ms, deliberately unsorted, with a tie (5 and 5).
    constexpr uint64_t kOffsetsMs[kTimers] = {9, 3, 14, 5, 1, 11, 5, 7, 2, 13, 4, 8};
    Timer* timers[kTimers];
    order_record = {};
    // Deadlines start well after the arming loop ends: under an oversubscribed emulator one
    // arm can take milliseconds, and a timer that fires before a shorter one is armed
    // would look like an ordering bug.
    const uint64_t base = now_ns() + 200000000;
    for (unsigned i = 0; i < kTimers; ++i) {
        timers[i] = new Timer(record_fire, reinterpret_cast<void*>(static_cast<uintptr_t>(i)));
        timer_arm(*timers[i], base + kOffsetsMs[i] * 1000000);
    }
    SELFTEST_CHECK(wait_until([] { return order_record.fired == kTimers; }, 2000000000ull));
    uint64_t previous_deadline = 0;
    for (unsigned n = 0; n < kTimers; ++n) {
        const unsigned i = order_record.order[n];
        const uint64_t deadline = base + kOffsetsMs[i] * 1000000;
        SELFTEST_CHECK(deadline >= previous_deadline);
        SELFTEST_CHECK(order_record.late_by[i] < (1ull << 63));  // fired at or after its deadline
        previous_deadline = deadline;
    }
    // The tie fires in arm order: index 3 before index 6.
    for (unsigned n = 0; n < kTimers; ++n) {
        if (order_record.order[n] == 6)
            return false;
        if (order_record.order[n] == 3)
            break;
    }
    uint64_t worst = 0;
    for (unsigned i = 0; i < kTimers; ++i) {
        worst = order_record.late_by[i] > worst ? order_record.late_by[i] : worst;
        delete timers[i];
    }
    LOG_INFO("selftest: timer-ordering: %u timers in order, worst lateness %llu us", kTimers,
             static_cast<unsigned long long>(worst / 1000));
    return true;
}

namespace {
std::atomic<unsigned> cpus_with_timer{0};
void count_fire(Timer&) { cpus_with_timer.fetch_add(1); }
void arm_local_timer(void* arg) {
    auto* timers = static_cast<Timer**>(arg);
    timer_arm(*timers[this_cpu().id], now_ns() + 2000000);
}
}  // namespace

// Every CPU's local APIC timer fires for a timer armed on that CPU.
HV_SELFTEST(timers_all_cpus, "timers-all-cpus") {
    Timer* timers[kMaxCpus] = {};
    for (unsigned i = 0; i < cpus_possible(); ++i)
        timers[i] = new Timer(count_fire, nullptr);
    cpus_with_timer = 0;
    smp_call_all(arm_local_timer, timers);
    const unsigned expected = cpus_online();
    const bool all_fired = wait_until([&] { return cpus_with_timer.load() == expected; }, 2000000000ull);
    for (unsigned i = 0; i < cpus_possible(); ++i)
        delete timers[i];
    LOG_INFO("selftest: timers-all-cpus: %u of %u CPUs fired their timer", cpus_with_timer.load(), expected);
    SELFTEST_CHECK(all_fired);
    return true;
}

// An idle CPU with no timer armed takes no timer interrupts (no periodic tick).
HV_SELFTEST(tickless_idle, "tickless-idle") {
    PerCpu* other = cpu_by_id(1);
    PerCpu& self = this_cpu();
    PerCpu& idle = (other != nullptr && other->online.load()) ? *other : self;
    if (&idle == &self) {
        // Single CPU: our own queue must be empty while we halt.
        SELFTEST_CHECK(!self.timers.next_deadline().has_value());
    }
    const uint64_t before = idle.timer_interrupts;
    const uint64_t halts_before = idle.idle_halts;
    delay_us(50000);
    SELFTEST_CHECK(idle.timer_interrupts == before);
    LOG_INFO("selftest: tickless-idle: CPU %u took 0 timer interrupts in 50 ms (%llu halts)", idle.id,
             static_cast<unsigned long long>(idle.idle_halts - halts_before));
    return true;
}

namespace {
TicketLock shared_lock;
volatile uint64_t shared_counter = 0;
// Small: under an emulator with more vCPUs than host cores a FIFO lock hands over only as
// fast as the host schedules the next waiter, so every increment can cost a host time slice.
constexpr unsigned kIncrements = 1000;
void contend(void*) {
    for (unsigned i = 0; i < kIncrements; ++i) {
        LockGuard guard(shared_lock);
        shared_counter = shared_counter + 1;  // deliberately non-atomic: the lock must protect it
    }
}
}  // namespace

// All CPUs increment one counter under a ticket lock at the same time: no lost updates.
HV_SELFTEST(spinlock_all_cpus, "spinlock-all-cpus") {
    shared_counter = 0;
    smp_call_all(contend, nullptr);
    const uint64_t expected = static_cast<uint64_t>(kIncrements) * cpus_online();
    LOG_INFO("selftest: spinlock-all-cpus: %u CPUs, counter %llu (expected %llu)", cpus_online(),
             static_cast<unsigned long long>(shared_counter), static_cast<unsigned long long>(expected));
    SELFTEST_CHECK(shared_counter == expected);
    SELFTEST_CHECK(!shared_lock.is_locked());
    return true;
}

// A deliberate page fault on an unmapped hypervisor address is caught, reported with a
// full register dump and backtrace, and execution continues at the fixup.
HV_SELFTEST(page_fault_report, "page-fault-report") {
    uint64_t value = 0;
    const uint64_t mapped = reinterpret_cast<uint64_t>(&value);
    value = 0x1122334455667788ull;
    uint64_t read_back = 0;
    SELFTEST_CHECK(hv_probe_read_u64(mapped, &read_back));
    SELFTEST_CHECK(read_back == 0x1122334455667788ull);
    extable_set_report(true);
    const bool faulted = !hv_probe_read_u64(layout::kGdtWindowBase + 0x123000, &read_back);
    extable_set_report(false);
    SELFTEST_CHECK(faulted);
    return true;
}

}  // namespace hv
