// grant_table_op, the table-management half: set_version, get_version, query_size and
// setup_table, so PV kernels can find their grant frames at boot. Mapping, unmapping and
// copying grants (and v2 tables, which Xen also hides with gnttab=max-ver:1) are answered
// -ENOSYS until the grant-table core lands in grant/.
//
// Invariants: a domain's table has between 1 and kMaxFrames hypervisor frames, each given
// to the domain with assign_shared (mappable writable, never a page table); frames are
// only added, under the domain's lock.
#include "arch/x86_64/layout.hpp"
#include "domain/domain.hpp"
#include "domain/page_types_glue.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/grant_table.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "kernel/memory.hpp"

namespace hv {
namespace {

using xen::GrantStatus;
using xen::GrantTableOp;

// The domain an argument names, or a grant status (Xen: GNTST_bad_domain / permission).
Result<Domain*> grant_domain(HypercallContext& ctx, uint16_t domid, int16_t& status) {
    Domain* d = domid == kDomidSelf ? &ctx.domain() : domain_by_id(domid);
    if (d == nullptr) {
        status = xen::raw(GrantStatus::bad_domain);
        return Status::NotFound;
    }
    if (d != &ctx.domain() && !ctx.domain().privileged()) {
        status = xen::raw(GrantStatus::permission_denied);
        return Status::Permission;
    }
    return d;
}

// Grows the table to `frames` frames (caller holds d.lock).
Status grow(Domain& d, unsigned frames) {
    GrantTableFrames& gt = d.grant_frames;
    while (gt.count < frames) {
        void* page = allocate_pages(0);
        if (page == nullptr)
            return Status::OutOfMemory;
        const Pfn mfn = layout::virt_to_phys(page) >> kPageShift;
        if (page_types().assign_shared(mfn, d.id()) != Status::Ok) {
            free_pages(page, 0);
            return Status::Busy;
        }
        gt.frames[gt.count++] = mfn;
    }
    return Status::Ok;
}

int64_t setup_table(HypercallContext& ctx, uint64_t arg) {
    GuestInOut<xen::GrantSetupTable> uop(arg);
    xen::GrantSetupTable op;
    if (Status s = uop.read(op); s != Status::Ok)
        return to_guest_errno(s);
    if (!guest_range_ok(op.frame_list, uint64_t{op.nr_frames} * sizeof(uint64_t)))
        return to_guest_errno(Status::Fault);
    auto d = grant_domain(ctx, op.dom, op.status);
    if (d.ok()) {
        LockGuard guard((*d)->lock);
        if (op.nr_frames > GrantTableFrames::kMaxFrames || grow(**d, op.nr_frames) != Status::Ok) {
            op.status = xen::raw(GrantStatus::general_error);
        } else {
            op.status = xen::raw(GrantStatus::okay);
            GuestOut<uint64_t> list(op.frame_list);
            for (uint32_t i = 0; i < op.nr_frames; ++i)
                if (Status s = list.write(i, (*d)->grant_frames.frames[i]); s != Status::Ok)
                    return to_guest_errno(s);
        }
    }
    return to_guest_errno(uop.write(op));
}

int64_t query_size(HypercallContext& ctx, uint64_t arg) {
    GuestInOut<xen::GrantQuerySize> uop(arg);
    xen::GrantQuerySize op;
    if (Status s = uop.read(op); s != Status::Ok)
        return to_guest_errno(s);
    auto d = grant_domain(ctx, op.dom, op.status);
    if (d.ok()) {
        LockGuard guard((*d)->lock);
        if (grow(**d, 1) != Status::Ok) {  // every table has its first frame
            op.status = xen::raw(GrantStatus::general_error);
        } else {
            op.nr_frames = (*d)->grant_frames.count;
            op.max_nr_frames = GrantTableFrames::kMaxFrames;
            op.status = xen::raw(GrantStatus::okay);
        }
    }
    return to_guest_errno(uop.write(op));
}

}  // namespace

HV_HYPERCALL(grant_table_op) {
    const uint64_t arg = args.a[1];
    const uint32_t count = static_cast<uint32_t>(args.a[2]);
    switch (static_cast<GrantTableOp>(args.a[0])) {
    case GrantTableOp::setup_table:
        return count == 1 ? setup_table(ctx, arg) : to_guest_errno(Status::InvalidArgument);
    case GrantTableOp::query_size:
        return count == 1 ? query_size(ctx, arg) : to_guest_errno(Status::InvalidArgument);
    case GrantTableOp::set_version: {
        if (count != 1)
            return to_guest_errno(Status::InvalidArgument);
        xen::GrantSetVersion op;
        if (Status s = GuestInOut<xen::GrantSetVersion>(arg).read(op); s != Status::Ok)
            return to_guest_errno(s);
        if (op.version != 1 && op.version != 2)
            return to_guest_errno(Status::InvalidArgument);
        int64_t rc = 0;
        if (op.version == 2)
            rc = to_guest_errno(Status::NotSupported);  // v2 not offered (Xen with max-ver:1)
        op.version = 1;  // the version in force is reported back either way
        if (Status s = GuestInOut<xen::GrantSetVersion>(arg).write(op); s != Status::Ok)
            return to_guest_errno(s);
        return rc;
    }
    case GrantTableOp::get_version: {
        if (count != 1)
            return to_guest_errno(Status::InvalidArgument);
        GuestInOut<xen::GrantGetVersion> uop(arg);
        xen::GrantGetVersion op;
        if (Status s = uop.read(op); s != Status::Ok)
            return to_guest_errno(s);
        int16_t status = 0;
        auto d = grant_domain(ctx, op.dom, status);
        if (!d.ok())
            return to_guest_errno(status == xen::raw(GrantStatus::bad_domain) ? Status::NoSuchDomain : Status::Permission);
        op.version = 1;
        return to_guest_errno(uop.write(op));
    }
    default:
        break;
    }
    return to_guest_errno(Status::NotSupported);
}

}  // namespace hv
