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

HV_HYPERCALL(iret) {
    Vcpu& v = ctx.vcpu();
    arch::CpuRegs& frame = ctx.frame();
    xen::IretContext saved;
    if (copy_from_guest(&saved, frame.rsp, sizeof(saved)) != Status::Ok) {
        crash_domain(v, frame, "iret frame unreadable");
        return kNoReturnValue;
    }
    auto outcome = pv::decode_iret_frame(saved, frame, guest_mode_of(v));  // frame updated in place
    if (!outcome.ok()) {
        crash_domain(v, frame, "iret to user mode without a user page table");
        return kNoReturnValue;
    }
    v.nmi_masked = false;  // the end of an NMI handler (harmless otherwise), as Xen's iret does
    if (outcome->enter_user_mode)
        toggle_guest_mode(v);
    if (v.vcpu_info() != nullptr)
        __atomic_store_n(&v.vcpu_info()->evtchn_upcall_mask, outcome->upcall_mask, __ATOMIC_RELEASE);
    if (outcome->deliver_general_protection)
        bounce_exception(v, frame, 13, 0);
    return kNoReturnValue;
}

}  // namespace hv
