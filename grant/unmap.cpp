// GNTTABOP_unmap_grant_ref and GNTTABOP_unmap_and_replace (Xen unmap_common and
// unmap_common_complete). The first half, under the mapper's maptrack lock, removes the
// host mapping and retires the maptrack entry; the second, after the TLB flush, drops
// the pins and the references the mapping held. Until the flush a CPU may still reach
// the frame through a stale translation, so nothing that lets the granter reuse the
// frame (GTF flags cleared, pins or references dropped) happens before it.
#include <new>
#include <utility>

#include "grant/grant_ops.hpp"
#include "grant/shared_entry.hpp"
#include "seam/panic.hpp"

namespace hv::grant {

namespace {

using xen::GrantStatus;
namespace gntmap = xen::gntmap;

constexpr int16_t raw(GrantStatus s) { return static_cast<int16_t>(s); }

}  // namespace

void UnmapBatch::unmap(xen::GrantUnmapRef& op) {
    op.status = raw(unmap_common(op.host_addr, op.dev_bus_addr, 0, op.handle));
}

void UnmapBatch::unmap(xen::GrantUnmapAndReplace& op) {
    op.status = raw(unmap_common(op.host_addr, 0, op.new_addr, op.handle));
}

GrantStatus UnmapBatch::unmap_common(uint64_t host_addr, uint64_t dev_bus_addr, uint64_t new_addr,
                                     xen::GrantHandle handle) {
    HV_ASSERT(count_ < kCapacity);
    LockGuard maptrack_guard(mapper_.maptrack_lock());
    MaptrackEntry* map = mapper_.maptrack(handle);
    if (map == nullptr || map->flags == 0)
        return GrantStatus::bad_handle;
    const uint16_t flags = map->flags;
    const xen::GrantRef ref = map->ref;
    // No lookup by id: this mapping's pins keep the granter's table alive (G3), also
    // after the granting domain was destroyed (its table is then retired). The map checked
    // `ref` against the table's size, which never shrinks.
    TableRef granter = TableRef::retain(ctx_.domains, *map->granter);
    const Frame frame = granter->pinned_frame(ref);
    if (dev_bus_addr != 0 && (flags & gntmap::device_map) && dev_bus_addr != frame << 12)
        return GrantStatus::bad_dev_addr;

    uint16_t done = 0;
    if (host_addr != 0 && (flags & gntmap::host_map)) {
        if (GrantStatus s = ctx_.mappings.replace(mapper_.id(), host_addr, frame, new_addr, flags);
            s != GrantStatus::okay)
            return s;
        map->flags &= ~gntmap::host_map;
        done |= gntmap::host_map | (flags & gntmap::readonly);
    }
    if (dev_bus_addr != 0 && (flags & gntmap::device_map)) {
        map->flags &= ~gntmap::device_map;
        done |= gntmap::device_map | (flags & gntmap::readonly);
    }
    if ((map->flags & (gntmap::device_map | gntmap::host_map)) == 0) {
        map->flags = 0;
        mapper_.put_handle(handle);
    }
    if (done != 0)
        new (&pending_.items[count_++]) Pending{std::move(granter), ref, frame, done};
    return GrantStatus::okay;
}

void UnmapBatch::finish() {
    if (count_ == 0)
        return;
    ctx_.mappings.flush_tlb(mapper_.id());
    for (unsigned i = 0; i < count_; ++i) {
        complete(pending_.items[i]);
        pending_.items[i].~Pending();
    }
    count_ = 0;
}

void UnmapBatch::complete(Pending& p) {
    const bool readonly = (p.done & gntmap::readonly) != 0;
    uint32_t units = 0;
    unsigned general = 0, typed = 0;
    if (p.done & gntmap::device_map) {
        units += readonly ? pin::device_read : pin::device_write;
        ++general;
        typed += readonly ? 0 : 1;
    }
    if (p.done & gntmap::host_map) {
        units += readonly ? pin::host_read : pin::host_write;  // references handed back by replace()
        ++general;
        typed += readonly ? 0 : 1;
    }
    GrantTable& granter = *p.granter;
    {
        LockGuard guard(granter.lock());
        ActiveEntry& act = granter.active(p.ref);
        granter.unpin(act, units);
        release_flags(granter.shared_entry(p.ref), act.pin, readonly);
    }
    for (; typed > 0; --typed)
        ctx_.frames.put_writable(p.frame);
    for (; general > 0; --general)
        ctx_.frames.put_page(p.frame);
    p.granter.reset();
}

}  // namespace hv::grant
