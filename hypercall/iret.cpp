// HYPERVISOR_iret: every return of a 64-bit PV kernel, to its own code and to user space,
// pops the iret_context the guest pushed (spec §3.4). Nothing returns to the instruction
// after the `syscall`; the whole frame is replaced.
#include "arch/x86_64/pv/context.hpp"
#include "arch/x86_64/pv/upcall.hpp"
#include "domain/domain.hpp"
#include "hypercall/handlers.hpp"
#include "pv/bounce_frame.hpp"
#include "seam/guest_memory.hpp"

namespace hv {

void pv_iret(Vcpu& v, arch::CpuRegs& frame) {
    xen::IretContext saved;
    if (copy_from_guest(&saved, frame.rsp, sizeof(saved)) != Status::Ok) [[unlikely]] {
        crash_domain(v, frame, "iret frame unreadable");
        return;
    }
    constexpr unsigned kVmassistArchitecturalIopl = 4;
    pv::GuestMode mode;  // what decode_iret_frame reads
    mode.kernel_mode = v.pv.kernel_mode;
    mode.architectural_iopl = v.domain().vm_assist_enabled(kVmassistArchitecturalIopl);
    mode.iopl = static_cast<uint8_t>(v.pv.iopl);
    mode.has_user_page_table = v.pv.guest_table_user != 0;
    auto outcome = pv::decode_iret_frame(saved, frame, mode);  // frame updated in place
    if (!outcome.ok()) [[unlikely]] {
        crash_domain(v, frame, "iret to user mode without a user page table");
        return;
    }
    // With VMASST_TYPE_architectural_iopl the frame's RFLAGS.IOPL becomes the virtual IOPL,
    // as in Xen's do_iret.
    v.pv.iopl = outcome->iopl;
    v.nmi_masked = false;  // the end of an NMI handler (harmless otherwise), as Xen's iret does
    if (outcome->enter_user_mode)
        toggle_guest_mode(v);
    if (xen::VcpuInfo* info = v.vcpu_info())
        __atomic_store_n(&info->evtchn_upcall_mask, outcome->upcall_mask, __ATOMIC_RELEASE);
    if (outcome->deliver_general_protection) [[unlikely]]
        bounce_exception(v, frame, 13, 0);
}

// Through the table only from a multicall: a `syscall` with eax = iret takes the direct
// entry (hv_guest_iret).
HV_HYPERCALL(iret) {
    (void)args;
    pv_iret(ctx.vcpu(), ctx.frame());
    return kNoReturnValue;
}

}  // namespace hv
