// The hypervisor side of vCPU scheduling: the credit scheduler core (sched/) decides,
// this file turns its answers into IPIs, timers and vCPU choices.
//
// Timers (all armed on the CPU they concern): a per-CPU slice timer (the decision's time
// slice), a per-CPU tick timer while needs_tick() (credit burning and boost expiry), and
// one accounting timer while needs_accounting(). An idle CPU has none armed.
// Locking: the scheduler core has its own locks (sched/credit_scheduler.hpp); nothing here
// holds a lock across a call into it. The tick and accounting timers call the core from
// interrupt context, so every call into it is made with interrupts off (core() checks):
// one made with them on can be interrupted while it holds a core lock, and the timer then
// spins on that lock forever on the same CPU.
#include "domain/scheduler.hpp"

#include <atomic>
#include <new>

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/traps.hpp"
#include "domain/domain.hpp"
#include "kernel/percpu.hpp"
#include "kernel/time.hpp"
#include "sched/credit_scheduler.hpp"
#include "seam/panic.hpp"

namespace hv {
namespace {

alignas(sched::Scheduler) unsigned char scheduler_storage[sizeof(sched::Scheduler)];
sched::Scheduler* scheduler = nullptr;

// The only way to the core. A missing IrqSave used to show only as a rare hang (domain
// destroy taking the accounting lock with interrupts on, the accounting timer firing
// inside it: about 1 run in 100 of ours.pair); this makes it fail on every call.
sched::Scheduler& core() {
    HV_ASSERT(!arch::irqs_enabled());
    return *scheduler;
}

void resched_fired(Timer& t);
void tick_fired(Timer& t);
void accounting_fired(Timer& t);

struct CpuTimers {
    Timer slice{resched_fired, nullptr};
    Timer tick{tick_fired, nullptr};
};
CpuTimers cpu_timers[kMaxCpus];
Timer accounting_timer{accounting_fired, nullptr};
std::atomic<bool> accounting_armed{false};

void kick(unsigned cpu) {
    PerCpu* target = cpu_by_id(cpu);
    if (target == nullptr)
        return;
    target->need_resched = true;
    if (target != &this_cpu())
        arch::lapic_send_ipi(target->apic_id, arch::kVectorWakeup);
}

// Visits only the set bits: most masks are empty or name one CPU, and the scheduler hands
// one back on every wake, block and decision.
void kick_all(sched::CpuMask mask) {
    static_assert(kMaxCpus <= 64, "a CpuMask is one 64-bit word");
    for (uint64_t bits = mask.bits(); bits != 0; bits &= bits - 1)
        kick(static_cast<unsigned>(__builtin_ctzll(bits)));
}

void maybe_arm_accounting(sched::Scheduler& s) {
    if (s.needs_accounting() && !accounting_armed.exchange(true))
        timer_arm(accounting_timer, now_ns() + s.accounting_period_ns());
}

void resched_fired(Timer&) { this_cpu().need_resched = true; }

void tick_fired(Timer&) {
    const unsigned cpu = this_cpu().id;
    const uint64_t now = now_ns();
    sched::Scheduler& s = core();
    s.tick(cpu, now);
    this_cpu().need_resched = true;  // a tick can end a boost: let schedule() look again
    if (s.needs_tick(cpu))
        timer_arm(cpu_timers[cpu].tick, now + s.tick_period_ns());
    maybe_arm_accounting(s);
}

void accounting_fired(Timer&) {
    accounting_armed.store(false);
    sched::Scheduler& s = core();
    kick_all(s.account(now_ns()));
    maybe_arm_accounting(s);
}

sched::SchedUnit& unit(Vcpu& v) { return v.sched_unit; }

}  // namespace

void sched_init(unsigned cpus) {
    scheduler = new (scheduler_storage) sched::Scheduler(cpus, {}, now_ns());
}

Status sched_add_domain(Domain& d) {
    arch::IrqSave irq;  // the scheduler's locks are also taken by its timer interrupts
    return core().add_domain(d.sched_domain, 256, 0);
}

void sched_add_vcpu(Vcpu& v, unsigned cpu) {
    arch::IrqSave irq;  // the scheduler's locks are also taken by its timer interrupts
    if (core().add_unit(unit(v), v.domain().sched_domain, cpu, now_ns()) != Status::Ok)
        panic("sched: cannot add d%uv%u", v.domain().id(), v.id());
    v.processor.store(cpu);
}

void sched_wake(Vcpu& v) {
    arch::IrqSave irq;  // the scheduler's locks are also taken by its timer interrupts
    const bool was_blocked = v.blocked.exchange(false);
    if (!v.online.load() || !v.domain().runnable())
        return;
    if (!unit(v).online())
        kick_all(core().vcpu_up(unit(v), now_ns()));
    else if (was_blocked || unit(v).blocked())
        kick_all(core().wake(unit(v), now_ns()));
}

void sched_kick(Vcpu& v) {
    sched_wake(v);
    const int cpu = v.loaded_on.load(std::memory_order_acquire);
    if (cpu < 0)
        return;
    PerCpu* target = cpu_by_id(static_cast<unsigned>(cpu));
    if (target != nullptr && target != &this_cpu())
        arch::lapic_send_ipi(target->apic_id, arch::kVectorWakeup);
}

void sched_block(Vcpu& v) {
    arch::IrqSave irq;  // the scheduler's locks are also taken by its timer interrupts
    v.blocked.store(true);
    kick_all(core().block(unit(v), now_ns()));
    // A sched_wake on another CPU between the store and the scheduler's block cleared
    // v.blocked but found the unit not yet blocked (a no-op there): undo the block here, or
    // that wake-up is lost (SCHEDOP_poll has no re-check of its own for events it does not
    // poll). Either we see its store, or its scheduler wake comes after our block.
    if (!v.blocked.load())
        kick_all(core().wake(unit(v), now_ns()));
    this_cpu().need_resched = true;
}

void sched_yield(Vcpu& v) {
    arch::IrqSave irq;  // the scheduler's locks are also taken by its timer interrupts
    kick_all(core().yield(unit(v)));
    this_cpu().need_resched = true;
}

void sched_vcpu_stopped(Vcpu& v) {
    arch::IrqSave irq;  // the scheduler's locks are also taken by its timer interrupts
    if (unit(v).online())
        kick_all(core().vcpu_down(unit(v), now_ns()));
}

void sched_remove_vcpu(Vcpu& v) {
    arch::IrqSave irq;  // the scheduler's locks are also taken by its timer interrupts
    kick_all(core().remove_unit(unit(v), now_ns()));
}

void sched_remove_domain(Domain& d) {
    arch::IrqSave irq;  // the scheduler's locks are also taken by its timer interrupts
    if (core().remove_domain(d.sched_domain) != Status::Ok)
        panic("sched: d%u still has vCPUs at removal", d.id());
}

Vcpu* sched_pick_next(PerCpu& cpu) {
    cpu.need_resched = false;
    const uint64_t now = now_ns();
    sched::Scheduler& s = core();
    const sched::Decision d = s.schedule(cpu.id, now);
    kick_all(d.kick);
    CpuTimers& timers = cpu_timers[cpu.id];
    if (d.slice_ns != 0)
        timer_arm(timers.slice, now + d.slice_ns);
    else
        (void)timer_cancel(timers.slice);
    if (s.needs_tick(cpu.id)) {
        if (!timers.tick.armed())
            timer_arm(timers.tick, now + s.tick_period_ns());
    } else {
        (void)timer_cancel(timers.tick);
    }
    maybe_arm_accounting(s);
    if (d.unit == nullptr || d.unit->is_idle())
        return nullptr;
    return static_cast<Vcpu*>(d.unit->owner);
}

}  // namespace hv
