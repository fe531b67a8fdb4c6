// Bounce-frame construction and HYPERVISOR_iret decoding; the layouts and the commit protocol
// are described in bounce_frame.hpp.
#include "pv/bounce_frame.hpp"

#include "hypercall/public/x86_64.hpp"

namespace hv::pv {
namespace {

constexpr uint64_t kStackAlignment = 16;

// Flags the CPU clears when delivering an exception through an interrupt/trap gate, plus AC
// (alignment checks must not fire in the guest kernel's entry code).
constexpr uint64_t kClearedOnDelivery =
    rflags::trap | rflags::nested_task | rflags::resume | rflags::virtual_8086 | rflags::alignment_check;

// See "Frame placement invariant" in the header.
bool frame_placement_ok(uint64_t base, uint64_t size) {
    if (base < size)
        return false;  // would wrap below address 0
    const uint64_t low = base - size;
    if (low < xen::hypervisor_virt_end && base > xen::hypervisor_virt_start)
        return false;
    return is_canonical(low) && is_canonical(base - 1);
}

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

Result<Bounce> create_bounce(const arch::CpuRegs& interrupted, const FrameRequest& request, const GuestMode& mode) {
    if (request.target.address == 0 || !is_canonical(request.target.address))
        return Status::NotFound;

    const uint8_t saved_mask = mode.upcall_mask;
    Bounce b;
    GuestStackFrame& f = b.frame;
    auto push = [&f](uint64_t word) { f.words[f.count++] = word; };
    push(interrupted.rcx);
    push(interrupted.r11);
    if (request.has_error_code)
        push(request.error_code);
    if (request.with_selectors) {
        push(interrupted.ds);
        push(interrupted.es);
        push(interrupted.fs);
        push(interrupted.gs);
    }
    push(interrupted.rip);
    push(frame_cs(interrupted.cs, saved_mask, mode));
    // Exception frames carry the low 32 bits (Xen stores EFLAGS with a 32-bit move); the
    // upper half of RFLAGS is reserved and zero anyway.
    const uint64_t flags_source = request.with_selectors ? interrupted.rflags : uint32_t(interrupted.rflags);
    push(frame_rflags(flags_source, saved_mask, mode));
    push(interrupted.rsp);
    push(interrupted.ss);

    const uint64_t base = frame_base(interrupted, mode);
    if (!frame_placement_ok(base, f.size_bytes()))
        return Status::Fault;
    f.address = base - f.size_bytes();

    b.entry.rip = request.target.address;
    b.entry.cs = xen::flat_kernel_cs;
    b.entry.ss = xen::flat_kernel_ss;
    b.entry.rsp = f.address;
    b.entry.rflags = interrupted.rflags & ~kClearedOnDelivery;
    b.enter_kernel_mode = !mode.kernel_mode;
    b.upcall_mask = request.target.mask_events ? static_cast<uint8_t>(saved_mask | 1) : saved_mask;
    b.may_use_sysret = true;
    return b;
}

}  // namespace

Result<Bounce> build_exception_bounce(const arch::CpuRegs& interrupted, const GuestException& exception,
                                      const xen::TrapInfo& entry, const GuestMode& mode) {
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
    return create_bounce(interrupted, request, mode);
}

Result<Bounce> build_event_bounce(const arch::CpuRegs& interrupted, uint64_t event_callback, const GuestMode& mode) {
    return create_bounce(interrupted, FrameRequest{.target = {event_callback, true}}, mode);
}

Result<Bounce> build_syscall_bounce(const arch::CpuRegs& at_syscall, BounceTarget syscall_callback,
                                    const xen::TrapInfo& invalid_opcode_entry, const GuestMode& mode) {
    if (mode.kernel_mode)
        return Status::InvalidArgument;
    if (syscall_callback.address != 0) {
        Result<Bounce> b = create_bounce(at_syscall, FrameRequest{.target = syscall_callback}, mode);
        if (b.ok())
            b->entry.rflags &= ~rflags::direction;
        return b;
    }
    // No callback: #UD at the `syscall` itself (0F 05 is two bytes).
    arch::CpuRegs at_instruction = at_syscall;
    at_instruction.rip -= 2;
    return build_exception_bounce(at_instruction, GuestException{.vector = vector_invalid_opcode},
                                  invalid_opcode_entry, mode);
}

Result<Bounce> build_failsafe_bounce(const arch::CpuRegs& regs, BounceTarget failsafe_callback, const GuestMode& mode) {
    Result<Bounce> b = create_bounce(regs, FrameRequest{.target = failsafe_callback, .with_selectors = true}, mode);
    if (b.ok()) {
        b->entry.rflags &= ~rflags::iopl;
        if (failsafe_callback.mask_events)
            b->upcall_mask = 1;
    }
    return b;
}

}  // namespace hv::pv
