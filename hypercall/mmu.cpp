// mmu_update, mmuext_op, update_va_mapping: every page-table change a PV guest makes goes
// through the page-type core (pv/page_types), which checks fully before it writes.
// Batches stop at the first failing entry, report progress through *pdone, and are
// preemptible with Xen's continuation encoding (count | MMU_UPDATE_PREEMPTED).
//
// TLB maintenance follows Xen: L1 updates are the guest's to flush (Linux does); updates
// of L2-L4 entries flush this CPU's TLB before the hypercall returns.
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/pv/context.hpp"
#include "domain/domain.hpp"
#include "domain/page_types_glue.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/mmu.hpp"
#include "pv/entry_updater.hpp"
#include "kernel/m2p.hpp"
#include "kernel/memory.hpp"

namespace hv {
namespace {

using pv::PageType;
using xen::MmuextCmd;

// The domain whose pages a batch may reference (low 16 bits of foreigndom).
Result<Domain*> page_owner(HypercallContext& ctx, uint64_t foreigndom) {
    const uint16_t id = static_cast<uint16_t>(foreigndom);
    if (id == kDomidSelf || id == ctx.domain().id())
        return &ctx.domain();
    if (!ctx.domain().privileged())
        return Status::NoSuchDomain;  // Xen's get_pg_owner fails: -ESRCH
    Domain* d = domain_by_id(id);
    return d != nullptr ? Result<Domain*>(d) : Result<Domain*>(Status::NoSuchDomain);
}

void flush_local() { arch::flush_tlb_local(); }

// Applies the flush part of update_va_mapping's flags for `va`.
Status flush_for(uint64_t flags, uint64_t va) {
    switch (flags & xen::uvmf::flush_type_mask) {
    case xen::uvmf::none:
        return Status::Ok;
    case xen::uvmf::tlb_flush:
        flush_local();
        return Status::Ok;
    case xen::uvmf::invlpg:
        arch::invlpg(va);
        return Status::Ok;
    }
    return Status::InvalidArgument;
}

// New kernel or user L4 for the current vCPU: take the new reference before dropping
// the old one, so switching to the same table never frees it.
Status new_baseptr(Vcpu& v, Pfn mfn, bool user) {
    Domain& d = v.domain();
    Pfn& slot = user ? v.pv.guest_table_user : v.pv.guest_table;
    if (user && mfn == 0) {
        if (slot != 0)
            page_types().put_page_and_type(slot);
        slot = 0;
        return Status::Ok;
    }
    HV_TRY(page_types().get_page_and_type(mfn, PageType::L4, d.id()));
    const Pfn old = slot;
    slot = mfn;
    if (old != 0)
        page_types().put_page_and_type(old);
    if (v.pv.kernel_mode != user)
        load_guest_cr3(v);
    return Status::Ok;
}

Status run_mmuext(HypercallContext& ctx, Domain& owner, const xen::MmuextOp& op) {
    Vcpu& v = ctx.vcpu();
    const uint16_t id = owner.id();
    switch (static_cast<MmuextCmd>(op.cmd)) {
    case MmuextCmd::pin_l1_table:
    case MmuextCmd::pin_l2_table:
    case MmuextCmd::pin_l3_table:
    case MmuextCmd::pin_l4_table:
        return page_types().pin(op.arg1.mfn, pv::table_type(op.cmd + 1), id);
    case MmuextCmd::unpin_table:
        return page_types().unpin(op.arg1.mfn, id);
    case MmuextCmd::new_baseptr:
        return new_baseptr(v, op.arg1.mfn, false);
    case MmuextCmd::new_user_baseptr:
        return new_baseptr(v, op.arg1.mfn, true);
    case MmuextCmd::tlb_flush_local:
    case MmuextCmd::tlb_flush_multi:
    case MmuextCmd::tlb_flush_all:
        flush_local();  // one vCPU per domain runs at a time on this CPU for now
        return Status::Ok;
    case MmuextCmd::invlpg_local:
    case MmuextCmd::invlpg_multi:
    case MmuextCmd::invlpg_all:
        if (layout::is_canonical(op.arg1.linear_addr))
            arch::invlpg(op.arg1.linear_addr);
        return Status::Ok;
    case MmuextCmd::flush_cache:
    case MmuextCmd::flush_cache_global:
        if (&owner != &ctx.domain())
            return Status::Permission;
        if (!ctx.domain().privileged())
            return Status::AccessDenied;
        asm volatile("wbinvd" ::: "memory");
        return Status::Ok;
    case MmuextCmd::set_ldt: {
        const uint64_t base = op.arg1.linear_addr;
        const uint32_t entries = op.arg2.nr_ents;
        if ((base & (kPageSize - 1)) != 0 || entries > 8192 || !guest_range_ok(base, entries * 8ull))
            return Status::InvalidArgument;
        v.pv.ldt_base = base;
        v.pv.ldt_entries = entries;
        return Status::Ok;
    }
    case MmuextCmd::clear_page:
    case MmuextCmd::copy_page: {
        HV_TRY(page_types().get_page_and_type(op.arg1.mfn, PageType::Writable, id));
        void* dst = layout::phys_to_virt(op.arg1.mfn << kPageShift);
        Status s = Status::Ok;
        if (static_cast<MmuextCmd>(op.cmd) == MmuextCmd::clear_page) {
            __builtin_memset(dst, 0, kPageSize);
        } else if (page_types().get_page(op.arg2.src_mfn, id)) {
            __builtin_memcpy(dst, layout::phys_to_virt(op.arg2.src_mfn << kPageShift), kPageSize);
            page_types().put_page(op.arg2.src_mfn);
        } else {
            s = Status::InvalidArgument;
        }
        page_types().put_page_and_type(op.arg1.mfn);
        return s;
    }
    case MmuextCmd::mark_super:
    case MmuextCmd::unmark_super:
        return Status::OperationNotSupported;
    }
    return Status::NotSupported;
}

// Shared loop of mmu_update and mmuext_op: per-entry work, preemption, *pdone. `owner`: the batch's
// page owner (page_owner()), checked by the caller before anything else.
template <typename Entry, typename Fn>
int64_t run_batch(HypercallContext& ctx, const HypercallArgs& args, Fn&& apply) {
    GuestIn<Entry> list(args.a[0]);
    uint32_t count = static_cast<uint32_t>(args.a[1]);
    GuestInOut<uint32_t> pdone(args.a[2]);
    uint32_t done = 0;
    if (count & xen::mmu_update_preempted) {
        count &= ~xen::mmu_update_preempted;
        if (!pdone.is_null())
            (void)pdone.read(done);
    }
    Status status = Status::Ok;
    uint32_t i = 0;
    bool preempted = false;
    for (; i < count; ++i) {
        if (i != 0 && ctx.should_preempt()) {
            preempted = true;
            break;
        }
        Entry e;
        status = list.read(i, e);
        if (status == Status::Ok)
            status = apply(e);
        if (status != Status::Ok)
            break;
    }
    if (!pdone.is_null())
        (void)pdone.write(done + i);
    if (preempted) {
        auto rest = list.at(i);
        if (!rest.ok())
            return to_guest_errno(rest.status());
        return ctx.continue_with({{rest->address(), (count - i) | xen::mmu_update_preempted, args.a[2], args.a[3]}});
    }
    return to_guest_errno(status);
}

}  // namespace

HV_HYPERCALL(mmu_update) {
    auto owner = page_owner(ctx, args.a[3]);
    if (!owner.ok())
        return to_guest_errno(owner.status());
    Domain& pages = **owner;
    pv::EntryUpdater updater(page_types(), ctx.domain().id(), pages.id());
    const int64_t rc = run_batch<xen::MmuUpdate>(ctx, args, [&](const xen::MmuUpdate& req) {
        const uint64_t cmd = req.ptr & xen::mmu_cmd_mask;
        const uint64_t address = req.ptr & ~7ull;
        const Pfn mfn = address >> kPageShift;
        switch (static_cast<xen::MmuCmd>(cmd)) {
        case xen::MmuCmd::normal_pt_update:
        case xen::MmuCmd::pt_update_preserve_ad:
        case xen::MmuCmd::pt_update_no_translate: {
            const unsigned index = static_cast<unsigned>((address & (kPageSize - 1)) >> 3);
            const bool preserve = static_cast<xen::MmuCmd>(cmd) == xen::MmuCmd::pt_update_preserve_ad;
            return updater.update(mfn, index, req.val, preserve);
        }
        case xen::MmuCmd::machphys_update:
            if (&pages != &ctx.domain() && !ctx.domain().privileged())
                return Status::Permission;
            if (!page_types().get_page(mfn, pages.id()))
                return Status::InvalidArgument;
            m2p_set(mfn, req.val);
            page_types().put_page(mfn);
            return Status::Ok;
        }
        return Status::NotSupported;
    });
    if (updater.changed_upper())
        flush_local();
    return rc;
}

HV_HYPERCALL(mmuext_op) {
    auto owner = page_owner(ctx, args.a[3]);
    if (!owner.ok())
        return to_guest_errno(owner.status());
    return run_batch<xen::MmuextOp>(ctx, args, [&](const xen::MmuextOp& op) { return run_mmuext(ctx, **owner, op); });
}

HV_HYPERCALL(update_va_mapping) {
    const uint64_t va = args.a[0], value = args.a[1], flags = args.a[2];
    if (!guest_range_ok(va, 1))
        return to_guest_errno(Status::InvalidArgument);
    Vcpu& v = ctx.vcpu();
    pv::EntryUpdater updater(page_types(), v.domain().id(), v.domain().id());
    if (Status s = updater.update_mapping(v.pv.guest_table, va, value); s != Status::Ok)
        return to_guest_errno(s);
    return to_guest_errno(flush_for(flags, va));
}

HV_HYPERCALL(update_va_mapping_otherdomain) {
    if (!ctx.domain().privileged())
        return to_guest_errno(Status::Permission);
    const uint64_t va = args.a[0], value = args.a[1], flags = args.a[2];
    Domain* owner = domain_by_id(static_cast<uint16_t>(args.a[3]));
    if (owner == nullptr)
        return to_guest_errno(Status::NoSuchDomain);
    if (!guest_range_ok(va, 1))
        return to_guest_errno(Status::InvalidArgument);
    pv::EntryUpdater updater(page_types(), ctx.domain().id(), owner->id());
    if (Status s = updater.update_mapping(ctx.vcpu().pv.guest_table, va, value); s != Status::Ok)
        return to_guest_errno(s);
    return to_guest_errno(flush_for(flags, va));
}

}  // namespace hv
