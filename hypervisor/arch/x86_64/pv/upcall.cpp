#include "arch/x86_64/pv/upcall.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/pv/context.hpp"
#include "arch/x86_64/traps.hpp"
#include "domain/domain.hpp"
#include "kernel/log.hpp"
#include "kernel/panic.hpp"
#include "kernel/percpu.hpp"
#include "lib/format.hpp"
#include "seam/guest_memory.hpp"

namespace hv {

pv::GuestMode guest_mode_of(const Vcpu& v) {
    pv::GuestMode m;
    m.kernel_mode = v.pv.kernel_mode;
    m.kernel_sp = v.pv.kernel_sp;
    m.upcall_mask = v.vcpu_info() ? v.vcpu_info()->evtchn_upcall_mask : 1;
    m.architectural_iopl = v.domain().vm_assist_enabled(4);
    m.iopl = static_cast<uint8_t>(v.pv.iopl);
    m.has_user_page_table = v.pv.guest_table_user != 0;
    return m;
}

void crash_domain(Vcpu& v, const arch::CpuRegs& frame, const char* why) {
    LOG_ERROR("d%uv%u crashed: %s", v.domain().id(), v.id(), why);
    dump_registers(frame);
    domain_shutdown(v.domain(), ShutdownReason::Crash);
}

bool commit_bounce(Vcpu& v, arch::CpuRegs& frame, const pv::Bounce& bounce) {
    // The frame goes onto the guest kernel stack, through the kernel page tables.
    if (bounce.enter_kernel_mode)
        arch::write_cr3(v.pv.guest_table << kPageShift);
    const auto words = bounce.frame.qwords();
    if (copy_to_guest(bounce.frame.address, words.data(), words.size_bytes()) != Status::Ok) {
        if (bounce.enter_kernel_mode)
            load_guest_cr3(v);
        crash_domain(v, frame, "cannot write an exception frame to the guest kernel stack");
        return false;
    }
    if (bounce.enter_kernel_mode)
        toggle_guest_mode(v);
    if (v.vcpu_info() != nullptr)
        __atomic_store_n(&v.vcpu_info()->evtchn_upcall_mask, bounce.upcall_mask, __ATOMIC_RELEASE);
    bounce.entry.apply(frame);
    return true;
}

void bounce_exception(Vcpu& v, arch::CpuRegs& frame, uint8_t vector, uint32_t error_code, pv::EventKind kind) {
    const pv::GuestException e{vector, kind, error_code};
    pv::Bounce b;
    if (pv::build_exception_bounce(frame, e, v.pv.trap_table[vector], guest_mode_of(v), b) != Status::Ok) {
        char why[96];
        format(why, sizeof(why), "unhandled %s (vector %u, error code %#x)",
               vector < 32 ? arch::exception_name(vector) : "software interrupt", vector, error_code);
        crash_domain(v, frame, why);
        return;
    }
    (void)commit_bounce(v, frame, b);
}

bool deliver_pending_upcall(Vcpu& v) {
    // A virtual NMI first (through trap-table vector 2, as Xen delivers it), one at a
    // time: the next waits for the handler's iret.
    if (nmi_due(v) && v.pv.trap_table[2].address != 0) {
        v.nmi_pending.store(false);
        v.nmi_masked = true;
        bounce_exception(v, cpu_info()->guest_regs, 2, 0);
        if (v.domain().shut_down.load())
            return false;
    }
    if (!upcall_due(v))
        return true;
    arch::CpuRegs& frame = cpu_info()->guest_regs;
    pv::Bounce b;
    if (pv::build_event_bounce(frame, v.pv.event_callback, guest_mode_of(v), b) != Status::Ok) {
        crash_domain(v, frame, "cannot deliver an event upcall (bad kernel stack)");
        return false;
    }
    return commit_bounce(v, frame, b);
}

}  // namespace hv
