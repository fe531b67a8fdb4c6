// Work that interrupt handlers defer to a safe point. Interrupt handlers may not take
// locks that hypercalls take with interrupts enabled (event channels, page types), so a
// timer that must raise a guest VIRQ queues it here; the queue is drained on the way
// back to a guest and in the idle loop, with interrupts off and no lock held.
#pragma once

#include <cstdint>

namespace hv {

class Vcpu;

// From interrupt context on this CPU: raise `virq` on `v` at the next safe point.
void softirq_raise_virq(Vcpu& v, uint32_t virq);
// The same for a global VIRQ (VIRQ_CONSOLE, ...): goes to whichever domain handles it.
void softirq_raise_global_virq(uint32_t virq);
// Runs fn(arg) at the next safe point of this CPU (no lock held, interrupts off). False
// when the queue is full and the call was not queued.
bool softirq_call(void (*fn)(uint64_t), uint64_t arg);
// Drains this CPU's queue (interrupts disabled); PerCpu::softirq_pending says whether
// there is anything to drain.
void softirq_run();

}  // namespace hv
