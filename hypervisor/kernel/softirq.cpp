#include "kernel/softirq.hpp"

#include "arch/x86_64/cpu.hpp"
#include "domain/events_glue.hpp"
#include "kernel/percpu.hpp"

namespace hv {
namespace {

// Per-CPU queue: produced by this CPU's interrupt handlers, consumed by this CPU with
// interrupts disabled, so no lock is needed. A VIRQ already queued is not queued twice (a
// VIRQ is a level, not a count); calls are queued each time, in order. When the queue is
// full the newest item is dropped (64 items between two safe points does not happen).
constexpr unsigned kSlots = 64;
// One deferred item: a VIRQ for a vCPU, a global VIRQ (vcpu and fn null), or a call.
struct Pending {
    Vcpu* vcpu;
    uint32_t virq;
    void (*fn)(uint64_t);
    uint64_t arg;
};
struct Queue {
    Pending slots[kSlots];
    unsigned count = 0;
};
Queue queues[kMaxCpus];

bool enqueue(const Pending& p) {
    arch::IrqSave irq;
    Queue& q = queues[this_cpu().id];
    if (p.fn == nullptr)
        for (unsigned i = 0; i < q.count; ++i)
            if (q.slots[i].fn == nullptr && q.slots[i].vcpu == p.vcpu && q.slots[i].virq == p.virq)
                return true;
    if (q.count == kSlots)
        return false;
    q.slots[q.count++] = p;
    this_cpu().softirq_pending = true;
    this_cpu().need_resched = true;  // make the exit path run soon
    return true;
}

}  // namespace

void softirq_raise_virq(Vcpu& v, uint32_t virq) { (void)enqueue({&v, virq, nullptr, 0}); }
void softirq_raise_global_virq(uint32_t virq) { (void)enqueue({nullptr, virq, nullptr, 0}); }
bool softirq_call(void (*fn)(uint64_t), uint64_t arg) { return enqueue({nullptr, 0, fn, arg}); }

void softirq_run() {
    Queue& q = queues[this_cpu().id];
    // Take the items out first: a call may queue more (they run on the next round).
    Pending items[kSlots];
    const unsigned n = q.count;
    for (unsigned i = 0; i < n; ++i)
        items[i] = q.slots[i];
    q.count = 0;
    this_cpu().softirq_pending = false;
    for (unsigned i = 0; i < n; ++i) {  // oldest first: keystrokes keep their order
        const Pending& p = items[i];
        if (p.fn != nullptr)
            p.fn(p.arg);
        else if (p.vcpu != nullptr)
            raise_virq(*p.vcpu, p.virq);
        else
            send_global_virq(p.virq);
    }
}

}  // namespace hv
