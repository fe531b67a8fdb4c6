// Traps, register frames and vCPU contexts of the 64-bit PV ABI: set_trap_table entries,
// the register block (cpu_user_regs), the full context for VCPUOP_initialise, the frame
// HYPERVISOR_iret pops, and callback_op registration. Facts: shared/spec/xen-pv-abi.md
// §3.4, §4.1, §4.19, §6.6, §6.11.
//
// Invariants: a trap table is terminated by an entry with address 0; selectors in these
// structs are 16 bits wide, padded to 8 bytes; vcpu_guest_context is 5168 bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

// set_trap_table entry. flags bits 0-1: DPL allowed to raise it with `int n`; bit 2:
// mask events on entry (interrupt-gate semantics).
struct TrapInfo {
    uint8_t vector;
    uint8_t flags;
    uint16_t cs;
    uint32_t pad;
    uint64_t address;
};
static_assert(sizeof(TrapInfo) == 16);
static_assert(offsetof(TrapInfo, vector) == 0);
static_assert(offsetof(TrapInfo, flags) == 1);
static_assert(offsetof(TrapInfo, cs) == 2);
static_assert(offsetof(TrapInfo, address) == 8);

inline constexpr uint8_t trap_info_dpl_mask = 3;
inline constexpr uint8_t trap_info_mask_events = 1u << 2;

// Xen: cpu_user_regs (64-bit). saved_upcall_mask sits in the padding above cs.
struct CpuUserRegs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi;
    uint32_t error_code;
    uint32_t entry_vector;
    uint64_t rip;
    uint16_t cs;
    uint16_t pad0;
    uint8_t saved_upcall_mask;
    uint8_t pad1[3];
    uint64_t rflags;
    uint64_t rsp;
    uint16_t ss;
    uint16_t pad2[3];
    uint16_t es;
    uint16_t pad3[3];
    uint16_t ds;
    uint16_t pad4[3];
    uint16_t fs;
    uint16_t pad5[3];
    uint16_t gs;
    uint16_t pad6[3];
};
static_assert(sizeof(CpuUserRegs) == 200);
static_assert(offsetof(CpuUserRegs, r15) == 0);
static_assert(offsetof(CpuUserRegs, r14) == 8);
static_assert(offsetof(CpuUserRegs, r13) == 16);
static_assert(offsetof(CpuUserRegs, r12) == 24);
static_assert(offsetof(CpuUserRegs, rbp) == 32);
static_assert(offsetof(CpuUserRegs, rbx) == 40);
static_assert(offsetof(CpuUserRegs, r11) == 48);
static_assert(offsetof(CpuUserRegs, r10) == 56);
static_assert(offsetof(CpuUserRegs, r9) == 64);
static_assert(offsetof(CpuUserRegs, r8) == 72);
static_assert(offsetof(CpuUserRegs, rax) == 80);
static_assert(offsetof(CpuUserRegs, rcx) == 88);
static_assert(offsetof(CpuUserRegs, rdx) == 96);
static_assert(offsetof(CpuUserRegs, rsi) == 104);
static_assert(offsetof(CpuUserRegs, rdi) == 112);
static_assert(offsetof(CpuUserRegs, error_code) == 120);
static_assert(offsetof(CpuUserRegs, entry_vector) == 124);
static_assert(offsetof(CpuUserRegs, rip) == 128);
static_assert(offsetof(CpuUserRegs, cs) == 136);
static_assert(offsetof(CpuUserRegs, saved_upcall_mask) == 140);
static_assert(offsetof(CpuUserRegs, rflags) == 144);
static_assert(offsetof(CpuUserRegs, rsp) == 152);
static_assert(offsetof(CpuUserRegs, ss) == 160);
static_assert(offsetof(CpuUserRegs, es) == 168);
static_assert(offsetof(CpuUserRegs, ds) == 176);
static_assert(offsetof(CpuUserRegs, fs) == 184);
static_assert(offsetof(CpuUserRegs, gs) == 192);

// Xen: vcpu_guest_context (64-bit), the argument of VCPUOP_initialise.
struct VcpuGuestContext {
    uint8_t fpu_ctxt[512];  // FXSAVE image
    uint64_t flags;         // vgcf::*
    CpuUserRegs user_regs;
    TrapInfo trap_ctxt[256];
    uint64_t ldt_base;
    uint64_t ldt_ents;
    uint64_t gdt_frames[16];
    uint64_t gdt_ents;
    uint64_t kernel_ss;
    uint64_t kernel_sp;
    uint64_t ctrlreg[8];  // ctrlreg[3] = kernel L4 frame << 12
    uint64_t debugreg[8];
    uint64_t event_callback_eip;
    uint64_t failsafe_callback_eip;
    uint64_t syscall_callback_eip;
    uint64_t vm_assist;
    uint64_t fs_base;
    uint64_t gs_base_kernel;
    uint64_t gs_base_user;
};
static_assert(sizeof(VcpuGuestContext) == 5168);
static_assert(offsetof(VcpuGuestContext, fpu_ctxt) == 0);
static_assert(offsetof(VcpuGuestContext, flags) == 512);
static_assert(offsetof(VcpuGuestContext, user_regs) == 520);
static_assert(offsetof(VcpuGuestContext, trap_ctxt) == 720);
static_assert(offsetof(VcpuGuestContext, ldt_base) == 4816);
static_assert(offsetof(VcpuGuestContext, ldt_ents) == 4824);
static_assert(offsetof(VcpuGuestContext, gdt_frames) == 4832);
static_assert(offsetof(VcpuGuestContext, gdt_ents) == 4960);
static_assert(offsetof(VcpuGuestContext, kernel_ss) == 4968);
static_assert(offsetof(VcpuGuestContext, kernel_sp) == 4976);
static_assert(offsetof(VcpuGuestContext, ctrlreg) == 4984);
static_assert(offsetof(VcpuGuestContext, debugreg) == 5048);
static_assert(offsetof(VcpuGuestContext, event_callback_eip) == 5112);
static_assert(offsetof(VcpuGuestContext, failsafe_callback_eip) == 5120);
static_assert(offsetof(VcpuGuestContext, syscall_callback_eip) == 5128);
static_assert(offsetof(VcpuGuestContext, vm_assist) == 5136);
static_assert(offsetof(VcpuGuestContext, fs_base) == 5144);
static_assert(offsetof(VcpuGuestContext, gs_base_kernel) == 5152);
static_assert(offsetof(VcpuGuestContext, gs_base_user) == 5160);

// The stack at a HYPERVISOR_iret syscall (lowest address first).
struct IretContext {
    uint64_t rax;
    uint64_t r11;
    uint64_t rcx;
    uint64_t flags;  // vgcf::in_syscall
    uint64_t rip;
    uint64_t cs;
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
};
static_assert(sizeof(IretContext) == 72);
static_assert(offsetof(IretContext, rax) == 0);
static_assert(offsetof(IretContext, r11) == 8);
static_assert(offsetof(IretContext, rcx) == 16);
static_assert(offsetof(IretContext, flags) == 24);
static_assert(offsetof(IretContext, rip) == 32);
static_assert(offsetof(IretContext, cs) == 40);
static_assert(offsetof(IretContext, rflags) == 48);
static_assert(offsetof(IretContext, rsp) == 56);
static_assert(offsetof(IretContext, ss) == 64);

// The bounce frame the hypervisor pushes for an exception or callback (lowest address
// first). error_code is present only for vectors that have one; without it the frame
// is the same minus that slot. cs bits 32-39 hold the saved upcall mask.
struct BounceFrameWithErrorCode {
    uint64_t rcx;
    uint64_t r11;
    uint64_t error_code;
    uint64_t rip;
    uint64_t cs;
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
};
static_assert(sizeof(BounceFrameWithErrorCode) == 64);
static_assert(offsetof(BounceFrameWithErrorCode, rcx) == 0);
static_assert(offsetof(BounceFrameWithErrorCode, r11) == 8);
static_assert(offsetof(BounceFrameWithErrorCode, error_code) == 16);
static_assert(offsetof(BounceFrameWithErrorCode, rip) == 24);
static_assert(offsetof(BounceFrameWithErrorCode, cs) == 32);
static_assert(offsetof(BounceFrameWithErrorCode, rflags) == 40);
static_assert(offsetof(BounceFrameWithErrorCode, rsp) == 48);
static_assert(offsetof(BounceFrameWithErrorCode, ss) == 56);

enum class CallbackType : uint16_t {
    event = 0,
    failsafe = 1,
    syscall = 2,
    sysenter_deprecated = 3,
    nmi = 4,
    sysenter = 5,
    syscall32 = 7,
};
inline constexpr uint16_t callbackf_mask_events = 1u << 0;

// CALLBACKOP_register argument. On 64-bit the address is just the RIP.
struct CallbackRegister {
    uint16_t type;   // CallbackType
    uint16_t flags;  // callbackf_mask_events
    uint32_t pad;
    uint64_t address;
};
static_assert(sizeof(CallbackRegister) == 16);
static_assert(offsetof(CallbackRegister, type) == 0);
static_assert(offsetof(CallbackRegister, flags) == 2);
static_assert(offsetof(CallbackRegister, address) == 8);

// CALLBACKOP_unregister argument (only the NMI callback may be unregistered).
struct CallbackUnregister {
    uint16_t type;
    uint16_t pad;
};
static_assert(sizeof(CallbackUnregister) == 4);
static_assert(offsetof(CallbackUnregister, type) == 0);

}  // namespace xen
