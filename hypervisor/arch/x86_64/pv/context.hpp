// Moving vCPU state between a physical CPU and its Vcpu object, and the way back to a
// guest. See domain/vcpu.hpp for what lives where while a vCPU runs.
#pragma once

#include "arch/x86_64/regs.hpp"

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

}  // namespace hv

// Scheduling and event delivery before returning to ring 3; on return the frame in
// CpuInfo::guest_regs holds a runnable vCPU's state. Interrupts are left disabled.
extern "C" void hv_exit_to_guest_work();
// Abandons the current stack and runs the exit work, then the guest (pv_entry.S).
extern "C" [[noreturn]] void hv_enter_guest(hv::arch::CpuRegs* frame);
