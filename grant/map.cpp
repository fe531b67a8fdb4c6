// GNTTABOP_map_grant_ref (Xen map_grant_ref, PV mapper): pin the grant in the granter's
// table, take the page references each use needs, install the host mapping, record the
// mapping in the mapper's maptrack. Check, then commit: a failure at any step undoes the
// earlier ones in reverse, so the only trace of a failed map is its status.
#include "grant/grant_ops.hpp"
#include "grant/shared_entry.hpp"

namespace hv::grant {

namespace {

using xen::GrantStatus;
namespace gntmap = xen::gntmap;

constexpr int16_t raw(GrantStatus s) { return static_cast<int16_t>(s); }

// The pin units one mapping with `flags` holds (Xen: pin_incr), looked up by the three
// flags that decide them.
constexpr uint32_t kUnitFlags = gntmap::device_map | gntmap::host_map | gntmap::readonly;
static_assert(kUnitFlags == 7);

constexpr uint32_t units_of(uint32_t flags) {
    const bool readonly = (flags & gntmap::readonly) != 0;
    uint32_t units = 0;
    if (flags & gntmap::device_map)
        units += readonly ? pin::device_read : pin::device_write;
    if (flags & gntmap::host_map)
        units += readonly ? pin::host_read : pin::host_write;
    return units;
}

constexpr uint32_t kPinUnits[kUnitFlags + 1] = {units_of(0), units_of(1), units_of(2), units_of(3),
                                                units_of(4), units_of(5), units_of(6), units_of(7)};

uint32_t pin_units(uint32_t flags) { return kPinUnits[flags & kUnitFlags]; }

// Step 1, under the granter's lock: checks the grant for `mapper`, marks the shared
// entry and pins the active entry. On okay `frame` is the pinned frame and, if this was
// the first pin, `took_page` says a general reference to it was taken on the way (Xen's
// get_paged_frame), which the mapping then owns.
GrantStatus pin_grant(GrantContext& ctx, GrantTable& granter, DomainId mapper, xen::GrantRef ref, uint32_t flags,
                      uint32_t units, Frame& frame, bool& took_page) {
    const bool readonly = (flags & gntmap::readonly) != 0;
    LockGuard guard(granter.lock());
    if (granter.frames_released())
        return GrantStatus::bad_domain;  // the granter is being destroyed
    if (ref >= granter.nr_entries())
        return GrantStatus::bad_gntref;
    ActiveEntry& act = granter.active(ref);
    if (act.pin != 0 && (act.domid != mapper || (act.pin & pin::overflow_mask(units)) != 0))
        return GrantStatus::general_error;
    SharedEntry entry = granter.shared_entry(ref);
    took_page = false;
    if (act.pin == 0 || (!readonly && (act.pin & pin::writable_mask) == 0)) {
        if (GrantStatus s = acquire_flags(entry, act.pin != 0, readonly, true, mapper); s != GrantStatus::okay)
            return s;
        if (act.pin == 0) {
            const Frame granted = entry.load_frame();
            if (!ctx.frames.get_page(granted, granter.id())) {
                release_flags(entry, act.pin, readonly);
                return GrantStatus::bad_page;
            }
            act.domid = mapper;
            act.frame = granted;
            took_page = true;
        }
    }
    granter.pin(act, units);
    frame = act.frame;
    return GrantStatus::okay;
}

// Undoes pin_grant (Xen: the tail of map_grant_ref's undo path).
void unpin_grant(GrantTable& granter, xen::GrantRef ref, uint32_t flags, uint32_t units) {
    LockGuard guard(granter.lock());
    ActiveEntry& act = granter.active(ref);
    granter.unpin(act, units);
    release_flags(granter.shared_entry(ref), act.pin, (flags & gntmap::readonly) != 0);
}

// The page references taken for the uses of one mapping, dropped again on failure.
class PageRefs {
public:
    PageRefs(GrantFrames& frames, Frame frame, DomainId owner) : frames_(frames), frame_(frame), owner_(owner) {}
    ~PageRefs() {
        if (kept_)
            return;
        for (; typed_ > 0; --typed_)
            frames_.put_writable(frame_);
        for (; general_ > 0; --general_)
            frames_.put_page(frame_);
    }
    void adopt_general() { ++general_; }
    bool get_general() {
        if (!frames_.get_page(frame_, owner_))
            return false;
        ++general_;
        return true;
    }
    bool get_writable() {
        if (!frames_.get_writable(frame_, owner_))
            return false;
        ++typed_;
        return true;
    }
    void keep() { kept_ = true; }

private:
    GrantFrames& frames_;
    Frame frame_;
    DomainId owner_;
    unsigned general_ = 0;
    unsigned typed_ = 0;
    bool kept_ = false;
};

// Step 2: the references each use needs, and the host mapping. A device mapping's
// references are held by the maptrack entry; a host mapping's by the entry written in
// the mapper's page table.
GrantStatus take_uses(GrantContext& ctx, const xen::GrantMapRef& op, uint32_t flags, DomainId mapper, DomainId owner,
                      Frame frame, bool took_page) {
    const bool readonly = (flags & gntmap::readonly) != 0;
    PageRefs refs(ctx.frames, frame, owner);
    if (took_page)
        refs.adopt_general();
    else if (!refs.get_general())
        return GrantStatus::general_error;  // the granter no longer owns the pinned frame
    if ((flags & gntmap::device_map) && !readonly && !refs.get_writable())
        return GrantStatus::general_error;
    if (flags & gntmap::host_map) {
        if ((flags & gntmap::device_map) && !refs.get_general())
            return GrantStatus::general_error;
        if (!readonly && !refs.get_writable())
            return GrantStatus::general_error;  // e.g. the frame is a page table
        if (GrantStatus s = ctx.mappings.create(mapper, op.host_addr, frame, flags); s != GrantStatus::okay)
            return s;
    }
    refs.keep();
    return GrantStatus::okay;
}

}  // namespace

void map_grant_ref(GrantContext& ctx, GrantTable& mapper, xen::GrantMapRef& op) {
    const uint32_t flags = op.flags;
    const xen::GrantRef ref = op.ref;
    const DomainId dom = op.dom;
    const uint32_t units = pin_units(flags);
    if (units == 0) {
        op.status = raw(GrantStatus::bad_gntref);  // neither a host nor a device mapping
        return;
    }
    TableRef granter = TableRef::find(ctx.domains, dom);
    if (!granter) {
        op.status = raw(GrantStatus::bad_domain);
        return;
    }

    LockGuard maptrack_guard(mapper.maptrack_lock());
    Result<xen::GrantHandle> handle = mapper.get_handle();
    if (!handle.ok()) {
        op.status = raw(GrantStatus::no_space);
        return;
    }
    Frame frame = 0;
    bool took_page = false;
    GrantStatus status = pin_grant(ctx, *granter, mapper.id(), ref, flags, units, frame, took_page);
    if (status == GrantStatus::okay) {
        status = take_uses(ctx, op, flags, mapper.id(), granter->id(), frame, took_page);
        if (status != GrantStatus::okay)
            unpin_grant(*granter, ref, flags, units);
    }
    if (status != GrantStatus::okay) {
        mapper.put_handle(*handle);
        op.status = raw(status);
        return;
    }
    MaptrackEntry& mt = *mapper.maptrack(*handle);
    mt.domid = dom;
    mt.granter = granter.get();
    mt.ref = ref;
    mt.flags = static_cast<uint16_t>(flags);  // Xen keeps the low 16 bits of the flags
    op.dev_bus_addr = frame << 12;
    op.handle = *handle;
    op.status = raw(GrantStatus::okay);
}

}  // namespace hv::grant
