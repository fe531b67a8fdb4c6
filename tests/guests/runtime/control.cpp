#include "control.hpp"

#include "hypercall.hpp"
#include "xen_control.hpp"

#include "hypercall/public/control.hpp"

namespace guest::control {
namespace {

using xen::Errno;

xenctl::Domctl xen_domctl(xenctl::DomctlCmd cmd, uint16_t domid) {
    xenctl::Domctl op{};
    op.cmd = xen::raw(cmd);
    op.interface_version = xenctl::domctl_interface_version;
    op.domain = domid;
    return op;
}

xen::control::ControlOp ours_op(xen::control::Command cmd, uint16_t domid) {
    xen::control::ControlOp op{};
    op.magic = xen::control::kMagic;
    op.version = xen::control::kVersion;
    op.cmd = xen::raw(cmd);
    op.domid = domid;
    return op;
}

int64_t call_ours(xen::control::ControlOp* op) {
    return hypercall1(xen::Hypercall::domctl, op);
}

int64_t call_xen(xenctl::Domctl* op) {
    return hypercall1(xen::Hypercall::domctl, op);
}

}  // namespace

const char* backend_name(Backend backend) {
    return backend == Backend::xen ? "xen-domctl" : "control-op";
}

int64_t physinfo(Backend backend, HostMemory* out) {
    if (backend == Backend::xen) {
        xenctl::Sysctl op{};
        op.cmd = xen::raw(xenctl::SysctlCmd::physinfo);
        op.interface_version = xenctl::sysctl_interface_version;
        const int64_t rc = hypercall1(xen::Hypercall::sysctl, &op);
        if (rc == 0)
            *out = {op.u.physinfo.total_pages, op.u.physinfo.free_pages};
        return rc;
    }
    auto op = ours_op(xen::control::Command::physinfo, 0);
    const int64_t rc = call_ours(&op);
    if (rc == 0)
        *out = {op.u.physinfo.total_pages, op.u.physinfo.free_pages};
    return rc;
}

int64_t getinfo(Backend backend, uint16_t domid, DomainStatus* out) {
    if (backend == Backend::xen) {
        auto op = xen_domctl(xenctl::DomctlCmd::getdomaininfo, domid);
        const int64_t rc = call_xen(&op);
        if (rc != 0)
            return rc;
        const xenctl::GetDomainInfo& info = op.u.getdomaininfo;
        if (info.domain != domid)
            return xen::error_return(Errno::esrch);
        *out = {info.domain, info.flags, info.tot_pages, info.max_pages, info.shared_info_frame};
        return 0;
    }
    auto op = ours_op(xen::control::Command::getinfo, domid);
    const int64_t rc = call_ours(&op);
    if (rc != 0)
        return rc;
    const xen::control::DomainInfo& info = op.u.domain;
    if (info.domid != domid)
        return xen::error_return(Errno::esrch);
    *out = {info.domid, info.flags, info.tot_pages, info.max_pages, info.shared_info_frame};
    return 0;
}

int64_t destroy(Backend backend, uint16_t domid) {
    if (backend == Backend::xen) {
        auto op = xen_domctl(xenctl::DomctlCmd::destroydomain, domid);
        return call_xen(&op);
    }
    auto op = ours_op(xen::control::Command::destroy, domid);
    return call_ours(&op);
}

int64_t unpause(Backend backend, uint16_t domid) {
    if (backend == Backend::xen) {
        auto op = xen_domctl(xenctl::DomctlCmd::unpausedomain, domid);
        return call_xen(&op);
    }
    auto op = ours_op(xen::control::Command::unpause, domid);
    return call_ours(&op);
}

}  // namespace guest::control
