// Placement and selection of vCPUs on physical CPUs.
//
// Each vCPU belongs to one CPU's run list; a CPU picks round-robin among its runnable
// vCPUs. (The weighted credit scheduler core in sched/ replaces the selection policy.)
// Lock order: a CPU's run-list lock is a leaf.
#include "domain/scheduler.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/traps.hpp"
#include "domain/domain.hpp"
#include "kernel/log.hpp"
#include "kernel/percpu.hpp"

namespace hv {
namespace {

constexpr unsigned kMaxPerCpu = 64;

struct RunList {
    TicketLock lock;
    Vcpu* vcpus[kMaxPerCpu] = {};
    unsigned count = 0;
    unsigned next = 0;  // round-robin cursor
};
RunList run_lists[kMaxCpus];

void kick(unsigned cpu) {
    PerCpu* target = cpu_by_id(cpu);
    if (target == nullptr)
        return;
    target->need_resched = true;
    if (target != &this_cpu())
        arch::lapic_send_ipi(target->apic_id, arch::kVectorWakeup);
}

}  // namespace

bool sched_runnable(const Vcpu& v) {
    return v.online.load() && !v.blocked.load() && v.domain().runnable();
}

void sched_add_vcpu(Vcpu& v, unsigned cpu) {
    RunList& rl = run_lists[cpu];
    arch::IrqSaveLockGuard guard(rl.lock);
    if (rl.count < kMaxPerCpu)
        rl.vcpus[rl.count++] = &v;
    v.processor.store(cpu);
}

void sched_wake(Vcpu& v) {
    v.blocked.store(false);
    kick(v.processor.load());
}

void sched_block(Vcpu& v) {
    v.blocked.store(true);
    this_cpu().need_resched = true;
}

void sched_yield(Vcpu&) { this_cpu().need_resched = true; }

void sched_vcpu_stopped(Vcpu& v) { kick(v.processor.load()); }

Vcpu* sched_pick_next(PerCpu& cpu) {
    RunList& rl = run_lists[cpu.id];
    LockGuard guard(rl.lock);
    cpu.need_resched = false;
    for (unsigned i = 0; i < rl.count; ++i) {
        Vcpu* v = rl.vcpus[(rl.next + i) % rl.count];
        if (sched_runnable(*v)) {
            rl.next = (rl.next + i + 1) % rl.count;
            return v;
        }
    }
    return nullptr;
}

}  // namespace hv
