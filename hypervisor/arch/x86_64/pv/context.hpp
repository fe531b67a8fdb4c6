// Moving vCPU state between a physical CPU and its Vcpu object, and the way back to a
// guest. See domain/vcpu.hpp for what lives where while a vCPU runs.
#pragma once

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/regs.hpp"
#include "domain/domain.hpp"
#include "domain/scheduler.hpp"
#include "kernel/percpu.hpp"
#include "kernel/quiesce.hpp"
#include "arch/x86_64/pv/upcall.hpp"

namespace hv {

class Vcpu;
struct PerCpu;

// Saves `prev` (if any) and loads `next` (nullptr = idle: the master page tables).
void context_switch(PerCpu& cpu, Vcpu* prev, Vcpu* next);

// Loads the CR3 for the vCPU's current mode (kernel or user L4).
void load_guest_cr3(const Vcpu& v);
// Switches the running vCPU between guest kernel and guest user mode (swaps GS bases and
// L4), as iret/bounces require.
void toggle_guest_mode(Vcpu& v);
// Loads the running vCPU's debug registers into the hardware (all of them only when its
// DR7 enables a breakpoint; otherwise DR7 = 0 is enough).
void load_guest_debugregs(const Vcpu& v);
// Writes the virtual CR0.TS into the hardware for the running vCPU.
void load_guest_ts(const Vcpu& v);
// Makes the hardware CR4.FSGSBASE follow the guest's virtual CR4, as Xen's pv_make_cr4
// does for 64-bit PV: the guest (kernel and user) may then use rd/wr{fs,gs}base itself.
// The bases are saved with rdmsr, which sees what those instructions wrote.
void load_guest_cr4(const Vcpu& v);

}  // namespace hv

// Scheduling and event delivery before returning to ring 3; on return the frame in
// CpuInfo::guest_regs holds a runnable vCPU's state. Interrupts are left disabled.
extern "C" void hv_exit_to_guest_work();

namespace hv {

// Whether the way back to the guest has anything to do on this CPU: softirqs, a
// reschedule, a vCPU that can no longer run, an NMI or an event upcall to deliver.
bool exit_work_needed(const PerCpu& cpu);

// The check every exit makes, cheapest first: a handful of loads and no calls.
//
// It does not ask whether the current vCPU can still run. Invariant: whatever stops a
// running vCPU (block, yield, pause, shutdown, VCPUOP_down, destruction) goes through the
// scheduler, which raises need_resched on the CPU running it (scheduler.cpp kick(); an
// IPI when that is another CPU). hv_exit_to_guest_work then checks runnability itself.
// Pending NMIs and upcalls are looked at before their masks: a pending-but-masked one
// takes the slow path, which re-checks with nmi_due()/upcall_due().
inline bool exit_work_fast_check(const PerCpu& cpu) {
    if (__atomic_load_n(reinterpret_cast<const volatile uint16_t*>(&cpu.need_resched), __ATOMIC_RELAXED) != 0)
        return true;  // need_resched or softirq_pending (adjacent bytes, percpu.hpp)
    const Vcpu& v = *cpu.current;
    if (v.nmi_pending.load(std::memory_order_relaxed))
        return true;
    const xen::VcpuInfo* info = v.vcpu_info();
    if (info == nullptr)
        return false;
    // evtchn_upcall_pending and evtchn_upcall_mask are adjacent bytes (public ABI): one
    // load, "pending != 0 && mask == 0" as (word - 1) < 0xff.
    static_assert(offsetof(xen::VcpuInfo, evtchn_upcall_mask) == offsetof(xen::VcpuInfo, evtchn_upcall_pending) + 1);
    const uint16_t word = __atomic_load_n(reinterpret_cast<const uint16_t*>(&info->evtchn_upcall_pending),
                                          __ATOMIC_ACQUIRE);
    return static_cast<uint16_t>(word - 1) < 0xff;
}

// The exit path as C++ callers use it: the common case (nothing to do) costs a few loads
// and no calls; anything else goes through hv_exit_to_guest_work. Interrupts end disabled.
inline void exit_to_guest() {
    arch::irq_disable();
    PerCpu& cpu = this_cpu();
    if (exit_work_fast_check(cpu))
        hv_exit_to_guest_work();
    else
        quiesce_note(cpu);
}

}  // namespace hv
inline bool hv::exit_work_needed(const PerCpu& cpu) {
    const Vcpu* v = cpu.current;
    if (cpu.softirq_pending || cpu.need_resched || v == nullptr || !sched_runnable(*v))
        return true;
    return nmi_due(*v) || upcall_due(*v);
}

// Abandons the current stack and runs the exit work, then the guest (pv_entry.S).
extern "C" [[noreturn]] void hv_enter_guest(hv::arch::CpuRegs* frame);
