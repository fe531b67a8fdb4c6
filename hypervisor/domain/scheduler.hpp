// The hypervisor side of vCPU scheduling: which vCPU a physical CPU runs next.
//
// Every decision is taken on the way back to a guest (hv_exit_to_guest_work) or in the
// idle loop, never in the middle of a hypercall: block/yield/wake only change state and
// set need_resched on the CPU concerned (sending it an IPI if it is another CPU).
#pragma once

#include <cstdint>

#include "lib/status.hpp"

namespace hv {

class Vcpu;
class Domain;
enum class ShutdownReason : uint8_t;
struct PerCpu;

void sched_init(unsigned cpus);                // once, after SMP bring-up
[[nodiscard]] Status sched_add_domain(Domain& d);  // at domain creation
void sched_add_vcpu(Vcpu& v, unsigned cpu);     // place a new vCPU (not yet runnable)
void sched_wake(Vcpu& v);                      // became runnable (online, unblocked, unpaused)
// New work for the vCPU (an event upcall, an NMI): wake it if blocked and, if it is running
// on another CPU right now, interrupt that CPU so its exit path delivers the work (Xen's
// vcpu_kick). Without the IPI a vCPU spinning in guest code would not see it until its
// next hypercall or timer interrupt.
void sched_kick(Vcpu& v);
void sched_block(Vcpu& v);                     // SCHEDOP_block on the current vCPU
void sched_yield(Vcpu& v);                     // SCHEDOP_yield
void sched_vcpu_stopped(Vcpu& v);              // offline, paused or its domain shut down
void sched_remove_vcpu(Vcpu& v);               // destruction: the vCPU leaves the scheduler
void sched_remove_domain(Domain& d);           // destruction, after all its vCPUs

// Online, not blocked, its domain neither paused, shut down nor dying (inline: the exit
// path asks on every return to a guest).
inline bool sched_runnable(const Vcpu& v);

// Chooses what this CPU runs next (nullptr = idle). Called with interrupts disabled.
Vcpu* sched_pick_next(PerCpu& cpu);

// Called when a domain shuts down (dom0 poweroff/reboot ends the machine).
void domain_shutdown_hook(Domain& d, ShutdownReason reason);

}  // namespace hv

#include "domain/domain.hpp"

inline bool hv::sched_runnable(const Vcpu& v) {
    return v.online.load(std::memory_order_relaxed) && !v.blocked.load(std::memory_order_relaxed) &&
           v.domain().runnable();
}
