// Register frame built by every entry into the hypervisor (entry.S), in the order of
// Xen's `struct cpu_user_regs`, so the guest-visible vcpu_guest_context.user_regs and the
// frame at the top of each CPU's stack share one layout.
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch/x86_64/asm_defs.h"

namespace hv::arch {

struct CpuRegs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
    uint32_t error_code;
    uint32_t entry_vector;
    uint64_t rip;
    uint16_t cs, pad0[1];
    uint8_t saved_upcall_mask;
    uint8_t pad1[3];
    uint64_t rflags;
    uint64_t rsp;
    uint16_t ss, pad2[3];
    // Only meaningful for PV guest frames (Xen keeps them after the hardware frame).
    uint16_t es, pad3[3];
    uint16_t ds, pad4[3];
    uint16_t fs, pad5[3];
    uint16_t gs, pad6[3];
};
static_assert(sizeof(CpuRegs) == REGS_SIZE);
static_assert(offsetof(CpuRegs, r14) == REGS_R14);
static_assert(offsetof(CpuRegs, r13) == REGS_R13);
static_assert(offsetof(CpuRegs, r12) == REGS_R12);
static_assert(offsetof(CpuRegs, rbp) == REGS_RBP);
static_assert(offsetof(CpuRegs, rbx) == REGS_RBX);
static_assert(offsetof(CpuRegs, r11) == REGS_R11);
static_assert(offsetof(CpuRegs, rax) == REGS_RAX);
static_assert(offsetof(CpuRegs, rcx) == REGS_RCX);
static_assert(offsetof(CpuRegs, error_code) == REGS_ERROR_CODE);
static_assert(offsetof(CpuRegs, entry_vector) == REGS_ENTRY_VECTOR);
static_assert(offsetof(CpuRegs, rip) == REGS_RIP);
static_assert(offsetof(CpuRegs, cs) == REGS_CS);
static_assert(offsetof(CpuRegs, rflags) == REGS_RFLAGS);
static_assert(offsetof(CpuRegs, rsp) == REGS_RSP);
static_assert(offsetof(CpuRegs, ss) == REGS_SS);
static_assert(offsetof(CpuRegs, es) == REGS_ES);

}  // namespace hv::arch
