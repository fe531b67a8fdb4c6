#include "kernel/softirq.hpp"

#include "arch/x86_64/cpu.hpp"
#include "domain/events_glue.hpp"
#include "domain/irq_glue.hpp"
#include "kernel/percpu.hpp"

namespace hv {
namespace {

// Per-CPU ring: produced by this CPU's interrupt handlers, consumed by this CPU with
// interrupts disabled, so no lock is needed. A full ring drops the oldest... never: the
// producer finds the same (vCPU, VIRQ) already queued in the common case and skips it.
constexpr unsigned kSlots = 64;
struct Pending {
    Vcpu* vcpu;
    uint32_t virq;
};
struct Queue {
    Pending slots[kSlots];
    unsigned count = 0;
};
Queue queues[kMaxCpus];

}  // namespace

void softirq_raise_virq(Vcpu& v, uint32_t virq) {
    arch::IrqSave irq;
    Queue& q = queues[this_cpu().id];
    for (unsigned i = 0; i < q.count; ++i)
        if (q.slots[i].vcpu == &v && q.slots[i].virq == virq)
            return;
    if (q.count < kSlots)
        q.slots[q.count++] = {&v, virq};
    this_cpu().softirq_pending = true;
    this_cpu().need_resched = true;  // make the exit path run soon
}

void softirq_run() {
    Queue& q = queues[this_cpu().id];
    this_cpu().softirq_pending = false;
    while (q.count != 0) {
        const Pending p = q.slots[--q.count];
        raise_virq(*p.vcpu, p.virq);
    }
    irq_deliver_pending();  // device interrupts for dom0 (their own queue)
}

}  // namespace hv
