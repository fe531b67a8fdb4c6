// vcpu_op: bringing vCPUs up and down, their timers, and where their shared state lives.
#include "arch/x86_64/layout.hpp"
#include "domain/domain.hpp"
#include "domain/runstate.hpp"
#include "domain/scheduler.hpp"
#include "domain/vcpu_init.hpp"
#include "domain/vcpu_timers.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/vcpu.hpp"
#include "kernel/percpu.hpp"
#include "kernel/pv_time.hpp"
#include "kernel/time.hpp"

namespace hv {
namespace {

using xen::VcpuOp;

constexpr uint64_t kMinPeriodNs = 1000000;            // 1 ms, Xen's lower bound
constexpr uint64_t kMaxDeltaNs = (1ull << 62) - 1;    // Xen's STIME_DELTA_MAX

int64_t down(Vcpu& v) {
    Domain& d = v.domain();
    bool other_up = false;
    for (unsigned i = 0; i < d.vcpu_count(); ++i)
        if (i != v.id() && d.vcpu(i)->online.load())
            other_up = true;
    if (!other_up) {  // the last vCPU going down powers the domain off, as on Xen
        domain_shutdown(d, ShutdownReason::Poweroff);
        return 0;
    }
    if (v.online.exchange(false))
        sched_vcpu_stopped(v);
    return 0;
}

}  // namespace

HV_HYPERCALL(vcpu_op) {
    Domain& d = ctx.domain();
    const uint64_t cmd = args.a[0];
    const uint64_t arg = args.a[2];
    Vcpu* target = args.a[1] < d.vcpu_count() ? d.vcpu(static_cast<unsigned>(args.a[1])) : nullptr;
    if (target == nullptr)
        return to_guest_errno(Status::NotFound);
    Vcpu& v = *target;
    const bool is_current = &v == &ctx.vcpu();

    switch (static_cast<VcpuOp>(cmd)) {
    case VcpuOp::initialise:
        return to_guest_errno(vcpu_initialise_from_guest(v, arg));
    case VcpuOp::up:
        if (!v.initialised)
            return to_guest_errno(Status::InvalidArgument);
        if (!v.online.exchange(true))
            sched_wake(v);
        return 0;
    case VcpuOp::down:
        return down(v);
    case VcpuOp::is_up:
        return v.online.load() ? 1 : 0;
    case VcpuOp::get_runstate_info: {
        xen::VcpuRunstateInfo info = runstate_snapshot(v);
        return to_guest_errno(GuestOut<xen::VcpuRunstateInfo>(arg).write(info));
    }
    case VcpuOp::register_runstate_memory_area: {
        xen::VcpuRegisterMemoryArea area;
        if (Status s = GuestIn<xen::VcpuRegisterMemoryArea>(arg).read(area); s != Status::Ok)
            return to_guest_errno(s);
        if (!guest_range_ok(area.addr, sizeof(xen::VcpuRunstateInfo)))
            return to_guest_errno(Status::Fault);
        v.runstate_area = area.addr;
        runstate_publish(v);
        return 0;
    }
    case VcpuOp::set_periodic_timer: {
        xen::VcpuSetPeriodicTimer set;
        if (Status s = GuestIn<xen::VcpuSetPeriodicTimer>(arg).read(set); s != Status::Ok)
            return to_guest_errno(s);
        if (set.period_ns < kMinPeriodNs || set.period_ns > kMaxDeltaNs)
            return to_guest_errno(Status::InvalidArgument);
        vcpu_set_periodic(v, set.period_ns);
        return 0;
    }
    case VcpuOp::stop_periodic_timer:
        vcpu_set_periodic(v, 0);
        return 0;
    case VcpuOp::set_singleshot_timer: {
        if (!is_current)
            return to_guest_errno(Status::InvalidArgument);
        xen::VcpuSetSingleshotTimer set;
        if (Status s = GuestIn<xen::VcpuSetSingleshotTimer>(arg).read(set); s != Status::Ok)
            return to_guest_errno(s);
        // A deadline already past fires at once (flags other than "future" are ignored, as
        // on Xen 4.17).
        vcpu_set_singleshot(v, set.timeout_abs_ns);
        return 0;
    }
    case VcpuOp::stop_singleshot_timer:
        if (!is_current)
            return to_guest_errno(Status::InvalidArgument);
        vcpu_stop_singleshot(v);
        return 0;
    case VcpuOp::register_vcpu_info: {
        xen::VcpuRegisterVcpuInfo info;
        if (Status s = GuestIn<xen::VcpuRegisterVcpuInfo>(arg).read(info); s != Status::Ok)
            return to_guest_errno(s);
        if (Status s = vcpu_register_info(v, info.mfn, info.offset); s != Status::Ok)
            return to_guest_errno(s);
        pv_time_update(v);
        return 0;
    }
    case VcpuOp::send_nmi:
        if (arg != 0)
            return to_guest_errno(Status::InvalidArgument);
        if (!v.nmi_pending.exchange(true))
            sched_kick(v);  // delivered on its way back to the guest (now, if it runs elsewhere)
        return 0;
    case VcpuOp::register_vcpu_time_memory_area: {
        xen::VcpuRegisterMemoryArea area;
        if (Status s = GuestIn<xen::VcpuRegisterMemoryArea>(arg).read(area); s != Status::Ok)
            return to_guest_errno(s);
        if (!guest_range_ok(area.addr, sizeof(xen::VcpuTimeInfo)))
            return to_guest_errno(Status::Fault);
        v.time_area = area.addr;
        pv_time_update(v);
        return 0;
    }
    case VcpuOp::get_physid: {
        // Only meaningful for the hardware domain's vCPU n on physical CPU n (Xen: a
        // vCPU pinned to one CPU); the id is APIC id | ACPI id << 32.
        PerCpu* cpu = ctx.domain().privileged() ? cpu_by_id(v.id()) : nullptr;
        if (cpu == nullptr)
            return to_guest_errno(Status::InvalidArgument);
        const xen::VcpuGetPhysid id{static_cast<uint64_t>(cpu->apic_id) | (static_cast<uint64_t>(cpu->apic_id) << 32)};
        return to_guest_errno(GuestOut<xen::VcpuGetPhysid>(arg).write(id));
    }
    }
    return to_guest_errno(Status::NotSupported);
}

}  // namespace hv
