#include "kernel/time.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/pit.hpp"
#include "arch/x86_64/traps.hpp"
#include "kernel/log.hpp"
#include "kernel/percpu.hpp"

namespace hv {
namespace {

uint64_t boot_tsc = 0;
uint64_t frequency = 0;
ClockScale scale{};

void reprogram(PerCpu& cpu) {
    const auto next = cpu.timers.next_deadline();
    arch::lapic_timer_arm(next ? ns_to_tsc(*next) : 0);
}

void timer_interrupt(arch::CpuRegs&) {
    PerCpu& cpu = this_cpu();
    ++cpu.timer_interrupts;
    cpu.timers.run_expired(now_ns());
    reprogram(cpu);
}

}  // namespace

void time_init() {
    // Three 10 ms windows against the PIT; the shortest TSC count is the one least
    // disturbed (SMIs, emulator scheduling) and so the most accurate.
    constexpr uint16_t kWindow = 11932;  // PIT ticks in 10 ms
    uint64_t best = ~0ull;
    for (int i = 0; i < 3; ++i) {
        const uint64_t t = arch::pit_measure_tsc(kWindow);
        if (t != 0 && t < best)
            best = t;
    }
    if (best == ~0ull) {
        LOG_WARN("time: PIT calibration failed, assuming a 2 GHz TSC");
        frequency = 2000000000;
    } else {
        frequency = best * arch::kPitHz / kWindow;
    }
    scale = clock_scale_for(frequency);
    boot_tsc = arch::rdtsc_ordered();
    log_set_clock(now_ns);
    LOG_INFO("time: TSC calibrated against the PIT: %llu.%03llu MHz (scale mul %#x shift %d)",
             static_cast<unsigned long long>(frequency / 1000000),
             static_cast<unsigned long long>(frequency / 1000 % 1000), scale.mul_frac, scale.shift);
}

uint64_t now_ns() {
    if (frequency == 0)
        return 0;
    return scale_ticks(arch::rdtsc() - boot_tsc, scale);
}
uint64_t tsc_hz() { return frequency; }
ClockScale tsc_scale() { return scale; }
uint64_t tsc_at_boot() { return boot_tsc; }

uint64_t ns_to_tsc(uint64_t ns) {
    return boot_tsc + static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * frequency / 1000000000u);
}

void delay_us(uint64_t us) {
    const uint64_t end = arch::rdtsc() + us * frequency / 1000000;
    while (arch::rdtsc() < end)
        __builtin_ia32_pause();
}

void timer_init_this_cpu() {
    static bool handler_installed = false;
    if (!handler_installed) {
        arch::set_interrupt_handler(arch::kVectorTimer, timer_interrupt);
        handler_installed = true;
    }
    reprogram(this_cpu());
}

void timer_arm(Timer& t, uint64_t deadline_ns) {
    arch::IrqSave irq;
    PerCpu& cpu = this_cpu();
    // A vCPU's timer follows the vCPU: one armed on the CPU it last ran on moves here.
    if (TimerQueue* old = t.queue(); old != nullptr && old != &cpu.timers)
        (void)old->cancel(t);
    cpu.timers.arm(t, deadline_ns);
    reprogram(cpu);
}

bool timer_cancel(Timer& t) {
    arch::IrqSave irq;  // a queue's lock is also taken by its CPU's timer interrupt
    TimerQueue* q = t.queue();
    if (q == nullptr || !q->cancel(t))
        return false;
    PerCpu& cpu = this_cpu();
    if (q == &cpu.timers)
        reprogram(cpu);  // another CPU's stale deadline only costs it one empty interrupt
    return true;
}

}  // namespace hv
