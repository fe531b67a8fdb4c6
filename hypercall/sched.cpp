// sched_op and set_timer_op: giving up the CPU, shutting down, and the one-shot timer.
#include "domain/domain.hpp"
#include "domain/events_glue.hpp"
#include "domain/scheduler.hpp"
#include "domain/vcpu_timers.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/sched.hpp"

namespace hv {
namespace {

constexpr uint32_t kMaxPollPorts = 128;  // Xen's limit for SCHEDOP_poll

// SCHEDOP_block: "enable interrupts" and wait for an event. An event already pending
// returns at once, so the guest's check-then-block is race-free (spec §14.5).
int64_t block(Vcpu& v) {
    xen::VcpuInfo* info = v.vcpu_info();
    __atomic_store_n(&info->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&info->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        return 0;
    sched_block(v);
    // An event may have arrived between the check and the block: re-check and undo.
    if (__atomic_load_n(&info->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        sched_wake(v);
    return 0;
}

int64_t poll(Vcpu& v, uint64_t arg) {
    xen::SchedPoll p;
    if (Status s = GuestIn<xen::SchedPoll>(arg).read(p); s != Status::Ok)
        return to_guest_errno(s);
    if (p.nr_ports > kMaxPollPorts)
        return to_guest_errno(Status::InvalidArgument);
    uint32_t ports[kMaxPollPorts];
    if (Status s = copy_from_guest(ports, p.ports, p.nr_ports * sizeof(uint32_t)); s != Status::Ok)
        return to_guest_errno(s);
    // Blocked first, then registered, so a wake-up between the two is not lost.
    sched_block(v);
    auto ready = events_poll(v, {ports, p.nr_ports});
    if (!ready.ok() || *ready) {
        sched_wake(v);
        return ready.ok() ? 0 : to_guest_errno(ready.status());
    }
    if (p.timeout != 0)
        vcpu_set_poll_timeout(v, p.timeout);
    return 0;
}

}  // namespace

HV_HYPERCALL(sched_op) {
    Vcpu& v = ctx.vcpu();
    const uint64_t arg = args.a[1];
    switch (static_cast<xen::SchedOp>(args.a[0])) {
    case xen::SchedOp::yield:
        sched_yield(v);
        return 0;
    case xen::SchedOp::block:
        return block(v);
    case xen::SchedOp::shutdown:
    case xen::SchedOp::shutdown_code: {
        xen::SchedShutdown s;
        if (Status st = GuestIn<xen::SchedShutdown>(arg).read(s); st != Status::Ok)
            return to_guest_errno(st);
        const auto reason = static_cast<ShutdownReason>(static_cast<uint8_t>(s.reason));
        if (static_cast<xen::SchedOp>(args.a[0]) == xen::SchedOp::shutdown_code) {
            ctx.domain().shutdown_reason = reason;  // recorded for a later shutdown
            return 0;
        }
        domain_shutdown(ctx.domain(), reason);
        return 0;
    }
    case xen::SchedOp::poll:
        return poll(v, arg);
    case xen::SchedOp::remote_shutdown: {
        if (!ctx.domain().privileged())
            return to_guest_errno(Status::Permission);
        xen::SchedRemoteShutdown s;
        if (Status st = GuestIn<xen::SchedRemoteShutdown>(arg).read(s); st != Status::Ok)
            return to_guest_errno(st);
        Domain* target = domain_by_id(s.domain_id);
        if (target == nullptr)
            return to_guest_errno(Status::NoSuchDomain);
        domain_shutdown(*target, static_cast<ShutdownReason>(static_cast<uint8_t>(s.reason)));
        return 0;
    }
    case xen::SchedOp::pin_override: {
        if (!ctx.domain().privileged())
            return to_guest_errno(Status::Permission);
        xen::SchedPinOverride s;
        if (Status st = GuestIn<xen::SchedPinOverride>(arg).read(s); st != Status::Ok)
            return to_guest_errno(st);
        return 0;  // vCPUs of dom0 stay where they are; firmware calls need no pinning here
    }
    case xen::SchedOp::watchdog:
        break;
    }
    return to_guest_errno(Status::NotSupported);
}

HV_HYPERCALL(set_timer_op) {
    const uint64_t deadline = args.a[0];
    if (deadline == 0)
        vcpu_stop_singleshot(ctx.vcpu());
    else
        vcpu_set_singleshot(ctx.vcpu(), deadline);
    return 0;
}

}  // namespace hv
