// Entering and leaving a 64-bit PV guest kernel's handlers: the frames the hypervisor pushes
// on the guest stack to deliver an exception, an event upcall, a user `syscall` or a failsafe
// callback ("bounce frames"), and the frame HYPERVISOR_iret pops. Facts: shared/spec/
// xen-pv-abi.md §3.1, §3.4, §6.6-6.8, §7.3; Xen 4.17's create_bounce_frame, load_segments and
// do_iret.
//
// Every function here is a pure decision: it reads the interrupted register frame and a
// snapshot of the vCPU (GuestMode) and returns what to write and what to load, or a Status
// meaning "crash the domain" (every non-Ok status does). Nothing is changed until the caller
// commits, in this order:
//   1. write frame.qwords() to guest virtual address frame.address through the guest *kernel*
//      page tables (a write fault there also crashes the domain, as in Xen);
//   2. if enter_kernel_mode: switch the vCPU to guest kernel mode (kernel L4, swap GS bases);
//   3. store upcall_mask into vcpu_info.evtchn_upcall_mask; load regs.
//
// Bounce frame (lowest address first; the new guest RSP points at RCX):
//
//     +0  RCX     interrupted RCX
//     +8  R11     interrupted R11
//    [+16 ERRCODE only for hardware exceptions 8,10-14,17,21,29,30]
//     +.. RIP     interrupted RIP
//     +.. CS      bits 0-15: interrupted CS, RPL cleared if the guest was in kernel mode;
//                 bits 32-39: the upcall mask before delivery
//     +.. RFLAGS  interrupted RFLAGS (low 32 bits) with IF := !saved mask, IOPL := 0 (or the
//                 virtual IOPL under VMASST_TYPE_architectural_iopl)
//     +.. RSP     interrupted RSP
//     +.. SS      interrupted SS
//   The failsafe frame inserts DS, ES, FS, GS (in that order) between R11 and RIP.
//
// Frame placement invariant: the frame base is the interrupted RSP (kernel mode) or kernel_sp
// (user mode), aligned down to 16 bytes; the frame [address, base) is canonical, does not wrap
// and does not touch the hypervisor range [0xffff800000000000, 0xffff880000000000). (Xen's own
// test, "base not in (start, end + 64)", is implied: bases are 16-byte aligned and every frame
// is at least 56 bytes.)
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "arch/x86_64/regs.hpp"
#include "hypercall/public/trap.hpp"
#include "hypercall/public/x86_64.hpp"
#include "lib/status.hpp"

namespace hv::pv {

// RFLAGS bits (SDM vol. 1, 3.4.3).
namespace rflags {
inline constexpr uint64_t carry = 1u << 0;
inline constexpr uint64_t fixed_one = 1u << 1;
inline constexpr uint64_t trap = 1u << 8;
inline constexpr uint64_t interrupt = 1u << 9;
inline constexpr uint64_t direction = 1u << 10;
inline constexpr uint64_t iopl = 3u << 12;
inline constexpr unsigned iopl_shift = 12;
inline constexpr uint64_t nested_task = 1u << 14;
inline constexpr uint64_t resume = 1u << 16;
inline constexpr uint64_t virtual_8086 = 1u << 17;
inline constexpr uint64_t alignment_check = 1u << 18;
// Every defined flag (CF PF AF ZF SF TF IF DF OF IOPL NT RF VM AC VIF VIP ID).
inline constexpr uint64_t all_defined = 0x003f7fd5;
}  // namespace rflags

// Bits 63..47 all equal (48-bit virtual addresses).
constexpr bool is_canonical(uint64_t address) {
    return static_cast<uint64_t>(static_cast<int64_t>(address << 16) >> 16) == address;
}

// See "Frame placement invariant" above: [base - size, base) is guest memory.
// Guest memory is [0, 2^47) and [HYPERVISOR_VIRT_END, 2^64): a range in neither crosses
// the non-canonical hole or touches the hypervisor's slots.
inline bool frame_placement_ok(uint64_t base, uint64_t size) {
    if (base < size)
        return false;  // would wrap below address 0
    return base <= (uint64_t{1} << 47) || base - size >= xen::hypervisor_virt_end;
}

// Flags the CPU clears when delivering an exception through an interrupt/trap gate, plus AC
// (alignment checks must not fire in the guest kernel's entry code).
inline constexpr uint64_t kClearedOnDelivery =
    rflags::trap | rflags::nested_task | rflags::resume | rflags::virtual_8086 | rflags::alignment_check;

// The vCPU facts a bounce or an iret depends on, read once by the caller.
struct GuestMode {
    bool kernel_mode = true;             // Xen TF_kernel_mode
    uint64_t kernel_sp = 0;              // stack_switch(): frame base for bounces from user mode
    uint8_t upcall_mask = 0;             // vcpu_info.evtchn_upcall_mask, now
    bool architectural_iopl = false;     // VMASST_TYPE_architectural_iopl enabled
    uint8_t iopl = 0;                    // virtual IOPL, 0-3 (PHYSDEVOP_set_iopl)
    bool has_user_page_table = false;    // a user L4 exists (needed to iret to user mode)
};

// Where a bounce goes: a trap-table entry or a registered callback.
struct BounceTarget {
    uint64_t address = 0;
    bool mask_events = false;  // trap flags bit 2 / CALLBACKF_mask_events

    static BounceTarget from_trap(const xen::TrapInfo& entry) {
        return {entry.address, (entry.flags & xen::trap_info_mask_events) != 0};
    }
    static BounceTarget from_callback(uint64_t address, uint16_t callback_flags) {
        return {address, (callback_flags & xen::callbackf_mask_events) != 0};
    }
};

enum class EventKind : uint8_t {
    HardwareException,  // a fault/trap the hypervisor took for the guest; vector < 32
    SoftwareInterrupt,  // `int n` permitted by the entry's DPL; never has an error code
};

struct GuestException {
    uint8_t vector = 0;
    EventKind kind = EventKind::HardwareException;
    uint32_t error_code = 0;  // used only if vector_has_error_code(vector) and hardware
};

// Vectors for which the CPU pushes an error code (SDM vol. 3, table 6-1): #DF #TS #NP #SS #GP
// #PF #AC #CP #VC #SX.
constexpr bool vector_has_error_code(uint8_t vector) {
    return vector < 32 && ((0x60227d00u >> vector) & 1) != 0;
}

inline constexpr uint8_t vector_invalid_opcode = 6;
inline constexpr uint8_t vector_general_protection = 13;
inline constexpr uint8_t vector_page_fault = 14;
inline constexpr uint32_t page_fault_user = 1u << 2;

struct GuestStackFrame {
    static constexpr unsigned max_qwords = 11;

    uint64_t address = 0;  // guest VA of qwords()[0]; the handler's RSP
    std::array<uint64_t, max_qwords> words;  // [0, count) valid (not zeroed: every bounce builds one)
    uint8_t count = 0;

    std::span<const uint64_t> qwords() const { return {words.data(), count}; }
    uint64_t size_bytes() const { return uint64_t{count} * 8; }
};

// Where the handler starts: the registers a bounce changes (every other register keeps the
// interrupted value, so the frame is updated in place rather than copied).
struct HandlerEntry {
    uint64_t rip = 0, rsp = 0, rflags = 0;
    uint16_t cs = 0, ss = 0;
    void apply(arch::CpuRegs& regs) const {
        regs.rip = rip;
        regs.cs = cs;
        regs.rflags = rflags;
        regs.rsp = rsp;
        regs.ss = ss;
    }
};

struct Bounce {
    GuestStackFrame frame;
    HandlerEntry entry;            // handler RIP, its stack (the frame), flat kernel CS/SS
    bool enter_kernel_mode = false;
    uint8_t upcall_mask = 0;       // new vcpu_info.evtchn_upcall_mask
    // The return may use SYSRET (RCX := RIP, R11 := RFLAGS): the frame holds the guest's own.
    bool may_use_sysret = true;
};

// Exceptions and `int n`. #PF: the error code's U/S bit is replaced by "guest was in user mode"
// (the hardware CPL is always 3); storing CR2 in vcpu_info.arch.cr2 is the caller's job.
// NotFound: no handler (address 0) or a non-canonical one; Fault: bad frame placement;
// InvalidArgument: a hardware exception vector >= 32.
[[nodiscard]] Status build_exception_bounce(const arch::CpuRegs& interrupted, const GuestException& exception,
                                            const xen::TrapInfo& entry, const GuestMode& mode, Bounce& out);

// The hot case of build_exception_bounce in one step, for the fast path of guest page
// faults: a hardware exception with an error code, taken in guest kernel mode (no stack
// switch); with architectural IOPL it declines. The words, frame address, handler
// registers and upcall mask equal what build_exception_bounce builds for the same input
// (a host test compares them). False when build_exception_bounce must decide instead: no or a non-canonical
// handler, or a frame that would not be in guest memory (frame_placement_ok).
struct KernelExceptionBounce {
    static constexpr unsigned words = 8;  // rcx r11 error rip cs rflags rsp ss
    uint64_t frame[words];
    uint64_t frame_address;               // the handler's rsp
    uint64_t handler_rip, handler_rflags;
    uint8_t upcall_mask;
    // The registers the handler starts with (HandlerEntry::apply for this bounce).
    void apply(arch::CpuRegs& regs) const {
        regs.rip = handler_rip;
        regs.cs = xen::flat_kernel_cs;
        regs.rflags = handler_rflags;
        regs.rsp = frame_address;
        regs.ss = xen::flat_kernel_ss;
    }
};
inline bool build_kernel_exception_bounce(const arch::CpuRegs& at, uint8_t vector, uint32_t error_code,
                                          const xen::TrapInfo& handler, uint8_t saved_mask,
                                          bool architectural_iopl, KernelExceptionBounce& out) {
    if (architectural_iopl || handler.address == 0 || !is_canonical(handler.address) || !vector_has_error_code(vector))
        return false;
    const uint64_t base = at.rsp & ~uint64_t{15};
    const uint64_t size = KernelExceptionBounce::words * 8;
    if (!frame_placement_ok(base, size))
        return false;
    out.frame[0] = at.rcx;
    out.frame[1] = at.r11;
    out.frame[2] = vector == vector_page_fault ? (error_code & ~page_fault_user) : error_code;
    out.frame[3] = at.rip;
    out.frame[4] = (uint64_t{saved_mask} << 32) | static_cast<uint16_t>(at.cs & ~3u);
    out.frame[5] = (uint32_t(at.rflags) & ~(rflags::interrupt | rflags::iopl)) | (saved_mask ? 0 : rflags::interrupt);
    out.frame[6] = at.rsp;
    out.frame[7] = at.ss;
    out.frame_address = base - size;
    out.handler_rip = handler.address;
    out.handler_rflags = at.rflags & ~kClearedOnDelivery;
    out.upcall_mask = (handler.flags & xen::trap_info_mask_events) ? static_cast<uint8_t>(saved_mask | 1) : saved_mask;
    return true;
}

// The event-channel upcall (§7.3): no error code, events always masked.
[[nodiscard]] Status build_event_bounce(const arch::CpuRegs& interrupted, uint64_t event_callback,
                                        const GuestMode& mode, Bounce& out);

// Whether an upcall must be delivered before returning to the guest. Xen tests both bytes as
// one 16-bit value: deliver iff pending != 0 and mask == 0.
constexpr bool event_upcall_due(uint8_t pending, uint8_t mask) { return pending != 0 && mask == 0; }

// A `syscall` from guest user mode. at_syscall is the frame the SYSCALL entry builds: RIP = the
// return address (RCX), RFLAGS = R11, CS = FLAT_USER_CS (0xe033, or 0xe023 from compat code),
// SS = FLAT_USER_SS, RSP = the user RSP. The callback runs with DF cleared (the fixed virtual
// SYSCALL_MASK). Without a callback, #UD is delivered at the syscall instruction (RIP - 2)
// through invalid_opcode_entry instead, DF untouched. InvalidArgument if the vCPU is in kernel
// mode (a kernel `syscall` is a hypercall).
[[nodiscard]] Status build_syscall_bounce(const arch::CpuRegs& at_syscall, BounceTarget syscall_callback,
                                          const xen::TrapInfo& invalid_opcode_entry, const GuestMode& mode, Bounce& out);

// The failsafe callback, when the hypervisor could not load the guest's DS/ES/FS/GS on return
// (regs.ds/es/fs/gs hold the selectors that failed). Events masked if the callback asked.
// Deliberate difference: Xen jumps to a null failsafe address; here that is NotFound.
[[nodiscard]] Status build_failsafe_bounce(const arch::CpuRegs& regs, BounceTarget failsafe_callback,
                                           const GuestMode& mode, Bounce& out);

struct IretOutcome {
    bool enter_user_mode = false;  // switch to the user L4 and swap GS bases
    uint8_t upcall_mask = 0;       // !RFLAGS.IF of the frame
    uint8_t iopl = 0;              // the virtual IOPL afterwards
    // VGCF_in_syscall: the return is as by SYSRET (RCX = RIP, R11 = RFLAGS).
    bool may_use_sysret = false;
    // The new RIP is not canonical. Xen's IRETQ faults and the #GP is reflected: the caller
    // must commit this outcome and then deliver #GP(0) with the new regs as the interrupted frame
    // (after any pending upcall), never resume at regs.rip.
    bool deliver_general_protection = false;
};

// HYPERVISOR_iret: frame is the 72-byte iret_context copied from the guest RSP (a fault copying
// it crashes the domain); regs is the register frame of the hypercall and, on success only,
// becomes the frame to return with (updated in place: this is every kernel return's hot path).
// CS/SS get RPL 3, RFLAGS loses IOPL/VM and gains IF, RAX comes from the frame. NotFound:
// returning to user mode without a user L4; InvalidArgument: called from guest user mode.
// Inline: every kernel return goes through it. Reads mode.kernel_mode, architectural_iopl,
// iopl and has_user_page_table only.
[[nodiscard]] inline Result<IretOutcome> decode_iret_frame(const xen::IretContext& frame, arch::CpuRegs& regs,
                                                    const GuestMode& mode) {
    if (!mode.kernel_mode)
        return Status::InvalidArgument;
    IretOutcome out;
    out.enter_user_mode = (frame.cs & 3) == 3;
    if (out.enter_user_mode && !mode.has_user_page_table)
        return Status::NotFound;

    out.iopl = mode.architectural_iopl ? static_cast<uint8_t>((frame.rflags & rflags::iopl) >> rflags::iopl_shift)
                                       : mode.iopl;
    regs.rax = frame.rax;
    regs.rip = frame.rip;
    regs.cs = static_cast<uint16_t>(frame.cs | 3);  // the guest never runs at RPL < 3
    regs.rflags = (frame.rflags & rflags::all_defined & ~(rflags::iopl | rflags::virtual_8086)) |
                  rflags::interrupt | rflags::fixed_one;
    regs.rsp = frame.rsp;
    regs.ss = static_cast<uint16_t>(frame.ss | 3);
    out.may_use_sysret = (frame.flags & xen::vgcf::in_syscall) != 0;
    // With VGCF_in_syscall Xen returns through SYSRET, which leaves RCX = RIP and
    // R11 = RFLAGS; otherwise the frame's values.
    regs.rcx = out.may_use_sysret ? regs.rip : frame.rcx;
    regs.r11 = out.may_use_sysret ? regs.rflags : frame.r11;
    out.upcall_mask = (frame.rflags & rflags::interrupt) ? 0 : 1;
    out.deliver_general_protection = !is_canonical(frame.rip);
    return out;
}

}  // namespace hv::pv
