// Exceptions and system calls that arrive from a PV guest (CPL 3). Each entry either
// emulates what the guest meant (privileged instructions, forced CPUID, stores into its
// own page tables), answers a hypercall, or reflects the event to the guest's own
// handler; then hv_exit_to_guest_work picks what runs next.
#pragma once

#include <cstdint>

#include "arch/x86_64/regs.hpp"

namespace hv {

class Vcpu;

void pv_guest_exception(arch::CpuRegs& frame);
// `int $0x80` from ring 3 (a DPL-3 gate, as Xen has for it).
void pv_guest_int80(arch::CpuRegs& frame);

// Emulation (emulate.cpp). Each returns true if it handled the fault (frame updated).
bool emulate_privileged_op(Vcpu& v, arch::CpuRegs& frame);
bool emulate_invalid_opcode(Vcpu& v, arch::CpuRegs& frame);
bool emulate_page_table_write(Vcpu& v, arch::CpuRegs& frame, uint64_t fault_address);

}  // namespace hv

// A `syscall` from the guest (pv_entry.S), with the guest's argument registers (rdi, rsi,
// rdx, r10, r8, r9) as arguments; the frame is CpuInfo::guest_regs, without its
// callee-saved registers. True if exit work is due (the caller then completes the frame
// and runs hv_exit_to_guest_work); false: return to the guest, interrupts disabled.
extern "C" bool hv_guest_syscall(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

// A page fault from a PV guest (entry.S sends vector 14 from ring 3 here, past the
// general trap dispatch): handled or bounced, then the exit path. Interrupts end off.
extern "C" void hv_guest_page_fault(hv::arch::CpuRegs* frame);

// pv_entry.S's direct iret found the guest's iret_context unreadable after it began
// committing it: crash the domain (the frame is complete, interrupts off).
extern "C" void hv_iret_fault();
