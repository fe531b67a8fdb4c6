// Quiescent points: a cheap way to know that no CPU still uses a pointer it picked up
// before some moment (the job Xen's RCU does for domain destruction).
//
// A CPU passes a quiescent point each time round the exit-to-guest loop
// (hv_exit_to_guest_work) and on every return to a guest from an exception or interrupt
// (exit_to_guest), with interrupts off, after draining its softirq queue. At that point it
// holds no pointer taken during an earlier hypercall or interrupt: softirq entries are
// consumed, timer callbacks have returned, hypercall handlers have finished. The hypercall
// fast exit (hv_guest_syscall with no exit work) does not count one, to stay short.
//
// quiesce_wait_others() returns once every other online CPU has passed such a point after
// the call began. It raises need_resched on each and sends an IPI: a CPU in a guest takes
// the interrupt and passes a point on its way back; one in a hypercall (which may have
// taken the IPI in ring 0) finds need_resched and leaves through the exit-work loop; an
// idle one wakes in that loop. need_resched is cleared only inside that loop, after the
// point, so the request cannot be lost. The caller
// must hold no lock another CPU could wait for on its way to the exit path, and must
// itself be at a point where interrupts are enabled (it spins).
#pragma once

#include "kernel/percpu.hpp"

namespace hv {

// This CPU is at a quiescent point (interrupts off). Only the CPU itself writes its
// counter, so a plain increment published with release order is enough.
inline void quiesce_note(PerCpu& cpu) {
    cpu.quiescent.store(cpu.quiescent.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}
void quiesce_wait_others();

}  // namespace hv
