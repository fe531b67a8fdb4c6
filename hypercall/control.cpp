// Our control operation (hypercall 36): the toolstack's domctl/sysctl-style functions with
// our own versioned layout (hypercall/public/control.hpp; why: shared/spec/toolstack.md
// §2.4). Copy in, check magic/version/privilege, run, copy the same struct back out.
#include "domain/domain.hpp"
#include "domain/runstate.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/control.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "kernel/time.hpp"

namespace hv {
namespace {

namespace ctl = xen::control;
using ctl::Command;

ctl::PhysInfo physinfo() {
    ctl::PhysInfo p{};
    p.total_pages = total_ram_frames();
    p.free_pages = frame_allocator().free_frames();
    p.nr_cpus = cpus_online();
    p.cpu_khz = static_cast<uint32_t>(tsc_hz() / 1000);
    return p;
}

// Xen's getdomaininfo: "blocked" only if every online vCPU is blocked, "running" if one
// is on a CPU, "paused" for a controller pause, the shutdown code in bits 16-23.
ctl::DomainInfo domain_info(Domain& d) {
    ctl::DomainInfo info{};
    info.domid = d.id();
    uint32_t flags = ctl::dominf::blocked;
    for (unsigned i = 0; i < d.vcpu_count(); ++i) {
        const Vcpu& v = *d.vcpu(i);
        const xen::VcpuRunstateInfo rs = runstate_snapshot(v);
        info.cpu_time_ns += rs.time[0];
        info.max_vcpu_id = i;
        if (!v.online.load())
            continue;
        ++info.nr_online_vcpus;
        if (!v.blocked.load())
            flags &= ~ctl::dominf::blocked;
        if (v.loaded_on.load() != -1)
            flags |= ctl::dominf::running;
    }
    if (d.shut_down.load())
        flags |= ctl::dominf::shutdown |
                 (static_cast<uint32_t>(d.shutdown_reason) & ctl::dominf::shutdown_mask) << ctl::dominf::shutdown_shift;
    if (d.controller_pauses.load() != 0)
        flags |= ctl::dominf::paused;
    if (d.dying.load())
        flags |= ctl::dominf::dying;
    info.flags = flags;
    info.tot_pages = d.tot_pages;
    info.max_pages = d.max_pages;
    info.shared_info_frame = d.shared_info_mfn();
    return info;
}

Status run(HypercallContext& ctx, ctl::ControlOp& op) {
    if (op.magic != ctl::kMagic || op.version != ctl::kVersion)
        return Status::AccessDenied;
    if (!ctx.domain().privileged())
        return Status::Permission;
    if (static_cast<Command>(op.cmd) == Command::physinfo) {
        op.u.physinfo = physinfo();
        return Status::Ok;
    }
    Domain* d = domain_by_id(op.domid == kDomidSelf ? ctx.domain().id() : op.domid);
    switch (static_cast<Command>(op.cmd)) {
    case Command::getinfo:
        if (!d)
            return Status::NoSuchDomain;
        op.u.domain = domain_info(*d);
        return Status::Ok;
    case Command::destroy:
        if (!d)
            return Status::NoSuchDomain;
        if (d == &ctx.domain())
            return Status::InvalidArgument;  // a domain cannot destroy itself from inside
        return domain_destroy(*d);
    case Command::pause:
        if (!d)
            return Status::NoSuchDomain;
        if (d == &ctx.domain())
            return Status::InvalidArgument;
        return domain_controller_pause(*d);
    case Command::unpause:
        if (!d)
            return Status::NoSuchDomain;
        return domain_controller_unpause(*d);
    default:
        return Status::NotSupported;
    }
}

}  // namespace

HV_HYPERCALL(control_op) {
    GuestInOut<ctl::ControlOp> uop(args.a[0]);
    ctl::ControlOp op;
    if (Status s = uop.read(op); s != Status::Ok)
        return to_guest_errno(s);
    if (Status s = run(ctx, op); s != Status::Ok)
        return to_guest_errno(s);
    return to_guest_errno(uop.write(op));
}

}  // namespace hv
