// Table management sub-operations (Xen gnttab_setup_table, gnttab_query_size,
// gnttab_get_version, gnttab_set_version, gnttab_get_status_frames, swap_grant_ref).
// Domains are found with DOMID_SELF allowed; touching another domain's table needs the
// control-domain privilege (Xen's default XSM_TARGET policy).
#include "grant/grant_ops.hpp"

namespace hv::grant {

namespace {

using xen::GrantStatus;

constexpr int16_t raw(GrantStatus s) { return static_cast<int16_t>(s); }

}  // namespace

GrantStatus setup_table(GrantContext& ctx, GrantTable& caller, DomainId dom, uint32_t nr_frames,
                        Frame (&frames)[GrantTable::kMaxGrantFrames]) {
    TableRef target = TableRef::find_any(ctx.domains, caller, dom);
    if (!target)
        return GrantStatus::bad_domain;
    if (!caller.may_control(*target))
        return GrantStatus::permission_denied;
    GrantTable& table = *target;
    LockGuard guard(table.lock());
    if (nr_frames > table.max_frames())
        return GrantStatus::general_error;
    if (nr_frames > table.nr_frames() && table.grow(nr_frames) != Status::Ok)
        return GrantStatus::general_error;
    for (uint32_t i = 0; i < nr_frames; ++i)
        frames[i] = table.frame(i);
    return GrantStatus::okay;
}

GrantStatus query_size(GrantContext& ctx, GrantTable& caller, xen::GrantQuerySize& op) {
    TableRef target = TableRef::find_any(ctx.domains, caller, op.dom);
    GrantStatus status = GrantStatus::okay;
    if (!target) {
        status = GrantStatus::bad_domain;
    } else if (!caller.may_control(*target)) {
        status = GrantStatus::permission_denied;
    } else {
        LockGuard guard(target->lock());
        op.nr_frames = target->nr_frames();
        op.max_nr_frames = target->max_frames();
    }
    op.status = raw(status);
    return status;
}

Result<uint32_t> get_version(GrantContext& ctx, GrantTable& caller, DomainId dom) {
    TableRef target = TableRef::find_any(ctx.domains, caller, dom);
    if (!target)
        return Status::NoSuchDomain;
    if (!caller.may_control(*target))
        return Status::Permission;
    return 1u;
}

Status set_version(uint32_t& version) {
    Status status = Status::Ok;
    if (version != 1 && version != 2)
        status = Status::InvalidArgument;
    else if (version == 2)
        status = Status::NotSupported;  // v2 is not offered (Xen with gnttab=max-ver:1)
    version = 1;
    return status;
}

GrantStatus get_status_frames(GrantContext& ctx, GrantTable& caller, DomainId dom, uint32_t nr_frames) {
    TableRef target = TableRef::find_any(ctx.domains, caller, dom);
    if (!target)
        return GrantStatus::bad_domain;
    if (!caller.may_control(*target))
        return GrantStatus::permission_denied;
    return nr_frames > 0 ? GrantStatus::general_error : GrantStatus::okay;  // v1: no status frames
}

GrantStatus swap_grant_ref(GrantTable& table, xen::GrantRef a, xen::GrantRef b) {
    LockGuard guard(table.lock());
    if (a >= table.nr_entries() || b >= table.nr_entries())
        return GrantStatus::bad_gntref;
    if (a == b)
        return GrantStatus::okay;
    if (table.active(a).pin != 0 || table.active(b).pin != 0)
        return GrantStatus::eagain;
    SharedEntry ea = table.shared_entry(a);
    SharedEntry eb = table.shared_entry(b);
    if (!ea.valid())
        return GrantStatus::okay;  // frames already given back at teardown: nothing to swap
    const uint64_t va = ea.load_raw();
    ea.store_raw(eb.load_raw());
    eb.store_raw(va);
    return GrantStatus::okay;
}

}  // namespace hv::grant
