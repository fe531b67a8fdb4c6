// Delivering things to a PV guest: exceptions through its trap table, event upcalls
// through its event callback, and crashing it when delivery is impossible. Each builds a
// bounce with pv/bounce_frame (pure) and commits it here: frame onto the guest kernel
// stack, mode switch, upcall mask, registers into CpuInfo::guest_regs.
#pragma once

#include <cstdint>

#include "arch/x86_64/regs.hpp"
#include "pv/bounce_frame.hpp"

namespace hv {

class Vcpu;
class Domain;

// Whether a virtual NMI / an event upcall is waiting to be delivered to `v` (the exit
// path's fast check and deliver_pending_upcall use the same two rules).
inline bool nmi_due(const Vcpu& v);
inline bool upcall_due(const Vcpu& v);

// Delivers a pending virtual NMI, then the event upcall if one is due. False if delivery
// crashed the domain.
bool deliver_pending_upcall(Vcpu& v);

// Reflects exception `vector` to the guest's trap table from the interrupted `frame`
// (which is the vCPU's live frame). Crashes the domain if it has no handler.
void bounce_exception(Vcpu& v, arch::CpuRegs& frame, uint8_t vector, uint32_t error_code,
                      pv::EventKind kind = pv::EventKind::HardwareException);

// Commits a built bounce (see pv/bounce_frame.hpp); false (domain crashed) on a fault
// writing the frame.
bool commit_bounce(Vcpu& v, arch::CpuRegs& frame, const pv::Bounce& bounce);

pv::GuestMode guest_mode_of(const Vcpu& v);

// Stops the domain with reason "crash" after logging why and the vCPU's registers.
void crash_domain(Vcpu& v, const arch::CpuRegs& frame, const char* why);

}  // namespace hv

#include "domain/vcpu.hpp"

// NMIs wait for the previous handler's iret (nmi_masked).
inline bool hv::nmi_due(const Vcpu& v) {
    return !v.nmi_masked && v.nmi_pending.load(std::memory_order_relaxed);
}

inline bool hv::upcall_due(const Vcpu& v) {
    const xen::VcpuInfo* info = v.vcpu_info();
    return info != nullptr && v.pv.event_callback != 0 &&
           pv::event_upcall_due(__atomic_load_n(&info->evtchn_upcall_pending, __ATOMIC_ACQUIRE),
                                __atomic_load_n(&info->evtchn_upcall_mask, __ATOMIC_ACQUIRE));
}
