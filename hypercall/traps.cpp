// Trap table, callbacks, kernel stack, segment bases, FPU switch and debug registers:
// the per-vCPU state a PV kernel registers instead of loading an IDT, MSRs and DRs.
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/pv/context.hpp"
#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/trap.hpp"

extern "C" void hv_load_user_gs_selector(uint16_t selector);

namespace hv {
namespace {

using layout::is_canonical;

Status register_callback(Vcpu& v, const xen::CallbackRegister& reg) {
    if (!is_canonical(reg.address))
        return Status::InvalidArgument;
    const bool masks = reg.flags & xen::callbackf_mask_events;
    PvVcpuState& s = v.pv;
    switch (static_cast<xen::CallbackType>(reg.type)) {
    case xen::CallbackType::event:
        s.event_callback = reg.address;
        s.event_masks = masks;
        return Status::Ok;
    case xen::CallbackType::failsafe:
        s.failsafe_callback = reg.address;
        s.failsafe_masks = masks;
        return Status::Ok;
    case xen::CallbackType::syscall:
        s.syscall_callback = reg.address;
        s.syscall_masks = masks;
        return Status::Ok;
    case xen::CallbackType::syscall32:
        s.syscall32_callback = reg.address;
        return Status::Ok;
    case xen::CallbackType::sysenter:
        s.sysenter_callback = reg.address;
        return Status::Ok;
    case xen::CallbackType::nmi:
        s.nmi_callback = reg.address;
        return Status::Ok;
    case xen::CallbackType::sysenter_deprecated:
        break;
    }
    return Status::NotSupported;
}

}  // namespace

HV_HYPERCALL(set_trap_table) {
    PvVcpuState& s = ctx.vcpu().pv;
    GuestIn<xen::TrapInfo> table(args.a[0]);
    if (table.is_null()) {
        for (auto& t : s.trap_table)
            t = {};
        return 0;
    }
    for (uint64_t i = 0;; ++i) {
        if (i != 0 && ctx.should_preempt()) {
            auto rest = table.at(i);
            return rest.ok() ? ctx.continue_with({{rest->address()}}) : to_guest_errno(rest.status());
        }
        xen::TrapInfo entry;
        if (Status st = table.read(i, entry); st != Status::Ok)
            return to_guest_errno(st);
        if (entry.address == 0)
            return 0;
        if (!is_canonical(entry.address))
            return to_guest_errno(Status::InvalidArgument);
        entry.cs = guest_selector(entry.cs);
        s.trap_table[entry.vector] = entry;
    }
}

HV_HYPERCALL(set_callbacks) {
    Vcpu& v = ctx.vcpu();
    const xen::CallbackRegister regs[] = {
        {xen::raw(xen::CallbackType::event), 0, 0, args.a[0]},
        {xen::raw(xen::CallbackType::failsafe), 0, 0, args.a[1]},
        {xen::raw(xen::CallbackType::syscall), 0, 0, args.a[2]},
    };
    for (const auto& r : regs)
        (void)register_callback(v, r);  // Xen ignores the individual results here
    return 0;
}

HV_HYPERCALL(callback_op) {
    switch (static_cast<xen::CallbackOp>(args.a[0])) {
    case xen::CallbackOp::register_callback: {
        xen::CallbackRegister reg;
        if (Status s = GuestIn<xen::CallbackRegister>(args.a[1]).read(reg); s != Status::Ok)
            return to_guest_errno(s);
        return to_guest_errno(register_callback(ctx.vcpu(), reg));
    }
    case xen::CallbackOp::unregister_callback: {
        xen::CallbackUnregister unreg;
        if (Status s = GuestIn<xen::CallbackUnregister>(args.a[1]).read(unreg); s != Status::Ok)
            return to_guest_errno(s);
        switch (static_cast<xen::CallbackType>(unreg.type)) {
        case xen::CallbackType::nmi:
            ctx.vcpu().pv.nmi_callback = 0;
            return 0;
        case xen::CallbackType::event:
        case xen::CallbackType::failsafe:
        case xen::CallbackType::syscall:
        case xen::CallbackType::syscall32:
        case xen::CallbackType::sysenter:
            return to_guest_errno(Status::InvalidArgument);  // only NMI may be unregistered
        case xen::CallbackType::sysenter_deprecated:
            break;
        }
        return to_guest_errno(Status::NotSupported);
    }
    }
    return to_guest_errno(Status::NotSupported);
}

HV_HYPERCALL(stack_switch) {
    PvVcpuState& s = ctx.vcpu().pv;
    s.kernel_ss = guest_selector(static_cast<uint16_t>(args.a[0]));
    s.kernel_sp = args.a[1];
    return 0;
}

HV_HYPERCALL(fpu_taskswitch) {
    Vcpu& v = ctx.vcpu();
    v.pv.virtual_ts = args.a[0] != 0;
    load_guest_ts(v);
    return 0;
}

HV_HYPERCALL(set_segment_base) {
    Vcpu& v = ctx.vcpu();
    PvVcpuState& s = v.pv;
    const uint64_t base = args.a[1];
    switch (static_cast<xen::SegmentBase>(args.a[0])) {
    case xen::SegmentBase::fs:
        if (!is_canonical(base))
            return to_guest_errno(Status::InvalidArgument);
        arch::wrmsr(arch::msr::kFsBase, base);
        s.fs_base = base;
        return 0;
    case xen::SegmentBase::gs_user:
        if (!is_canonical(base))
            return to_guest_errno(Status::InvalidArgument);
        // Hypercalls come from kernel mode, where the user base is the inactive one.
        arch::wrmsr(arch::msr::kKernelGsBase, base);
        s.gs_base_user = base;
        return 0;
    case xen::SegmentBase::gs_kernel:
        if (!is_canonical(base))
            return to_guest_errno(Status::InvalidArgument);
        arch::wrmsr(arch::msr::kGsBase, base);
        s.gs_base_kernel = base;
        return 0;
    case xen::SegmentBase::gs_user_sel:
        hv_load_user_gs_selector(static_cast<uint16_t>(base));
        s.gs_base_user = arch::rdmsr(arch::msr::kKernelGsBase);
        return 0;
    }
    return to_guest_errno(Status::InvalidArgument);
}

// Debug registers (Xen's set_debugreg): DR0-3 must hold guest addresses; DR4/DR5 alias
// DR6/DR7 unless the guest set CR4.DE; reserved bits are forced; DR7.GD and I/O
// breakpoints without CR4.DE are refused. Values reach the hardware while the vCPU runs.
HV_HYPERCALL(set_debugreg) {
    Vcpu& v = ctx.vcpu();
    PvVcpuState& s = v.pv;
    uint64_t reg = args.a[0];
    uint64_t value = args.a[1];
    constexpr uint64_t kCr4De = 1u << 3;
    const bool de = s.virtual_cr4 & kCr4De;
    if ((reg == 4 || reg == 5) && !de)
        reg += 2;
    switch (reg) {
    case 0:
    case 1:
    case 2:
    case 3:
        if (!guest_range_ok(value, 1))
            return to_guest_errno(Status::Permission);
        break;
    case 6:
        if (value >> 32)
            return to_guest_errno(Status::InvalidArgument);
        value = (value & ~0x1000ull) | 0xffff0ff0ull;  // bit 12 reads 0, bits 4-11 and 16-31 read 1
        break;
    case 7: {
        if (value >> 32)
            return to_guest_errno(Status::InvalidArgument);
        value = (value & ~0xd800ull) | 0x400ull;  // bits 11, 12, 14, 15 read 0; bit 10 reads 1
        if (value & (1u << 13))
            return to_guest_errno(Status::Permission);  // general detect is the hypervisor's
        for (unsigned i = 16; i < 32; i += 4)
            if (((value >> i) & 3) == 2 && !de)
                return to_guest_errno(Status::Permission);  // I/O breakpoints need CR4.DE
        break;
    }
    default:
        return to_guest_errno(Status::NoDevice);
    }
    s.debugreg[reg] = value;
    load_guest_debugregs(v);
    return 0;
}

HV_HYPERCALL(get_debugreg) {
    uint64_t reg = args.a[0];
    const PvVcpuState& s = ctx.vcpu().pv;
    constexpr uint64_t kCr4De = 1u << 3;
    if ((reg == 4 || reg == 5) && !(s.virtual_cr4 & kCr4De))
        reg += 2;
    if (reg > 7 || reg == 4 || reg == 5)
        return to_guest_errno(Status::NoDevice);
    return static_cast<int64_t>(s.debugreg[reg]);
}

}  // namespace hv
