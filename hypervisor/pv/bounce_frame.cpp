// Bounce-frame construction and HYPERVISOR_iret decoding; the layouts and the commit protocol
// are described in bounce_frame.hpp.
#include "pv/bounce_frame.hpp"

#include "hypercall/public/x86_64.hpp"

namespace hv::pv {
namespace {

constexpr uint64_t kStackAlignment = 16;

uint64_t frame_base(const arch::CpuRegs& interrupted, const GuestMode& mode) {
    return (mode.kernel_mode ? interrupted.rsp : mode.kernel_sp) & ~(kStackAlignment - 1);
}

// RFLAGS as the guest handler finds it in the frame: the virtual IF is !mask.
uint64_t frame_rflags(uint64_t interrupted_rflags, uint8_t saved_mask, const GuestMode& mode) {
    uint64_t value = interrupted_rflags & ~(rflags::interrupt | rflags::iopl);
    if (saved_mask == 0)
        value |= rflags::interrupt;
    if (mode.architectural_iopl)
        value |= (uint64_t{mode.iopl} << rflags::iopl_shift) & rflags::iopl;
    return value;
}

// CS as the guest handler finds it: RPL 0 means "interrupted in kernel mode".
uint64_t frame_cs(uint16_t interrupted_cs, uint8_t saved_mask, const GuestMode& mode) {
    const uint16_t cs = mode.kernel_mode ? static_cast<uint16_t>(interrupted_cs & ~3u) : interrupted_cs;
    return (uint64_t{saved_mask} << 32) | cs;
}

struct FrameRequest {
    BounceTarget target;
    bool has_error_code = false;
    uint32_t error_code = 0;
    bool with_selectors = false;  // failsafe layout
};

// Builds into `b` (the caller's storage: a Bounce is 150 bytes and every guest exception
// builds one, so it is neither returned by value nor zeroed).
[[gnu::always_inline]] inline Status create_bounce(const arch::CpuRegs& interrupted, const FrameRequest& request,
                                                  const GuestMode& mode, Bounce& b) {
    if (request.target.address == 0 || !is_canonical(request.target.address))
        return Status::NotFound;

    const uint8_t saved_mask = mode.upcall_mask;
    uint64_t* const words = b.frame.words.data();
    unsigned n = 0;
    words[n++] = interrupted.rcx;
    words[n++] = interrupted.r11;
    if (request.has_error_code)
        words[n++] = request.error_code;
    if (request.with_selectors) {
        words[n++] = interrupted.ds;
        words[n++] = interrupted.es;
        words[n++] = interrupted.fs;
        words[n++] = interrupted.gs;
    }
    words[n++] = interrupted.rip;
    words[n++] = frame_cs(interrupted.cs, saved_mask, mode);
    // Exception frames carry the low 32 bits (Xen stores EFLAGS with a 32-bit move); the
    // upper half of RFLAGS is reserved and zero anyway.
    const uint64_t flags_source = request.with_selectors ? interrupted.rflags : uint32_t(interrupted.rflags);
    words[n++] = frame_rflags(flags_source, saved_mask, mode);
    words[n++] = interrupted.rsp;
    words[n++] = interrupted.ss;
    b.frame.count = static_cast<uint8_t>(n);

    const uint64_t base = frame_base(interrupted, mode);
    if (!frame_placement_ok(base, b.frame.size_bytes()))
        return Status::Fault;
    b.frame.address = base - b.frame.size_bytes();

    b.entry.rip = request.target.address;
    b.entry.cs = xen::flat_kernel_cs;
    b.entry.ss = xen::flat_kernel_ss;
    b.entry.rsp = b.frame.address;
    b.entry.rflags = interrupted.rflags & ~kClearedOnDelivery;
    b.enter_kernel_mode = !mode.kernel_mode;
    b.upcall_mask = request.target.mask_events ? static_cast<uint8_t>(saved_mask | 1) : saved_mask;
    b.may_use_sysret = true;
    return Status::Ok;
}

}  // namespace

Status build_exception_bounce(const arch::CpuRegs& interrupted, const GuestException& exception,
                              const xen::TrapInfo& entry, const GuestMode& mode, Bounce& out) {
    const bool hardware = exception.kind == EventKind::HardwareException;
    if (hardware && exception.vector >= 32)
        return Status::InvalidArgument;
    FrameRequest request{.target = BounceTarget::from_trap(entry)};
    request.has_error_code = hardware && vector_has_error_code(exception.vector);
    request.error_code = exception.error_code;
    if (hardware && exception.vector == vector_page_fault) {
        request.error_code &= ~page_fault_user;
        if (!mode.kernel_mode)
            request.error_code |= page_fault_user;
    }
    return create_bounce(interrupted, request, mode, out);
}

Status build_event_bounce(const arch::CpuRegs& interrupted, uint64_t event_callback, const GuestMode& mode,
                          Bounce& out) {
    return create_bounce(interrupted, FrameRequest{.target = {event_callback, true}}, mode, out);
}

Status build_syscall_bounce(const arch::CpuRegs& at_syscall, BounceTarget syscall_callback,
                            const xen::TrapInfo& invalid_opcode_entry, const GuestMode& mode, Bounce& out) {
    if (mode.kernel_mode)
        return Status::InvalidArgument;
    if (syscall_callback.address != 0) {
        const Status s = create_bounce(at_syscall, FrameRequest{.target = syscall_callback}, mode, out);
        if (s == Status::Ok)
            out.entry.rflags &= ~rflags::direction;
        return s;
    }
    // No callback: #UD at the `syscall` itself (0F 05 is two bytes).
    arch::CpuRegs at_instruction = at_syscall;
    at_instruction.rip -= 2;
    return build_exception_bounce(at_instruction, GuestException{.vector = vector_invalid_opcode},
                                  invalid_opcode_entry, mode, out);
}

Status build_failsafe_bounce(const arch::CpuRegs& regs, BounceTarget failsafe_callback, const GuestMode& mode,
                             Bounce& out) {
    const Status s =
        create_bounce(regs, FrameRequest{.target = failsafe_callback, .with_selectors = true}, mode, out);
    if (s == Status::Ok) {
        out.entry.rflags &= ~rflags::iopl;
        if (failsafe_callback.mask_events)
            out.upcall_mask = 1;
    }
    return s;
}

}  // namespace hv::pv
