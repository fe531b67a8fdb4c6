// GNTTABOP_copy (Xen gnttab_copy and its helpers). Each side of a copy is a Buffer: the
// side's domain, then either a grant of that domain (pinned for reading, or for writing
// on the destination side) or, for DOMID_SELF only, one of the caller's own frames. A
// CopyBatch keeps both Buffers from one element to the next when the next names the
// same domains and the same grant or frame, exactly as Xen does; a failed element
// releases both.
//
// Checks come in Xen's order, since the first failure is the status the guest sees:
// domains (source, then destination), then claiming the source, then the destination,
// then the offsets and length.
#include "grant/grant_ops.hpp"
#include "grant/shared_entry.hpp"

namespace hv::grant {

namespace {

using xen::GrantStatus;
namespace gntcopy = xen::gntcopy;

constexpr int16_t raw(GrantStatus s) { return static_cast<int16_t>(s); }
constexpr uint64_t kRefMask = 0xffffffffu;

// Frames are named by number only on the caller's own side (DOMID_SELF); another
// domain's memory is reachable only through its grants.
constexpr bool frame_allowed(DomainId domid, bool is_gref) { return is_gref || domid == kDomidSelf; }

}  // namespace

CopyBatch::~CopyBatch() {
    release(source_);
    release(dest_);
    unlock_domains();
}

void CopyBatch::copy(xen::GrantCopy& op) {
    const GrantStatus status = copy_one(op);
    if (status != GrantStatus::okay) {
        release(source_);
        release(dest_);
    }
    op.status = raw(status);
}

[[gnu::always_inline]] inline GrantStatus CopyBatch::copy_one(const xen::GrantCopy& op) {
    if (!source_.domain || op.source.domid != source_.domid || !dest_.domain || op.dest.domid != dest_.domid) {
        // Both sides are locked or neither is, and a side holds something only while
        // locked: the first element of a batch has nothing to release.
        if (source_.domain) {
            release(source_);
            release(dest_);
            unlock_domains();
        }
        if (GrantStatus s = lock_domains(op); s != GrantStatus::okay)
            return s;
    }
    if (!usable(op.source, source_, op.flags & gntcopy::source_gref)) {
        GrantStatus s;
        if ((op.flags & gntcopy::source_gref) && source_.held == (kHeldGrant | kHeldPage)) {
            s = switch_source_grant(op.source.u.ref);
        } else {
            release(source_);
            s = claim(op, op.source, source_, gntcopy::source_gref);
        }
        if (s != GrantStatus::okay)
            return s;
    }
    if (!usable(op.dest, dest_, op.flags & gntcopy::dest_gref)) {
        release(dest_);
        if (GrantStatus s = claim(op, op.dest, dest_, gntcopy::dest_gref); s != GrantStatus::okay)
            return s;
    }
    // Offsets and length are 16 bits: these sums cannot wrap. Xen then checks both
    // ranges against the buffers' granted ranges (general_error); for whole pages that
    // check cannot fail once this one passed.
    if (unsigned{op.source.offset} + op.len > kPageSize || unsigned{op.dest.offset} + op.len > kPageSize)
        return GrantStatus::bad_copy_arg;
    ctx_.frames.copy(dest_.frame, op.dest.offset, source_.frame, op.source.offset, op.len);
    return GrantStatus::okay;
}

// ---- domains -----------------------------------------------------------------------------

[[gnu::always_inline]] inline GrantStatus CopyBatch::lock_domain(DomainId domid, bool is_gref, Buffer& buf) {
    if (!frame_allowed(domid, is_gref))
        return GrantStatus::permission_denied;
    buf.domain = TableRef::find_any(ctx_.domains, caller_, domid);
    if (!buf.domain)
        return GrantStatus::bad_domain;
    buf.domid = domid;
    return GrantStatus::okay;
}

[[gnu::always_inline]] inline GrantStatus CopyBatch::lock_domains(const xen::GrantCopy& op) {
    GrantStatus s = lock_domain(op.source.domid, op.flags & gntcopy::source_gref, source_);
    if (s == GrantStatus::okay)
        s = lock_domain(op.dest.domid, op.flags & gntcopy::dest_gref, dest_);
    if (s != GrantStatus::okay)
        unlock_domains();
    return s;
}

[[gnu::always_inline]] inline void CopyBatch::unlock_domains() {
    source_.domain.reset();
    dest_.domain.reset();
}

// ---- buffers -------------------------------------------------------------------------------

bool CopyBatch::usable(const xen::GrantCopyPointer& ptr, const Buffer& buf, bool is_gref) {
    if (buf.held == 0)
        return false;
    if (is_gref)
        return (buf.held & kHeldGrant) != 0 && ptr.u.ref == static_cast<xen::GrantRef>(buf.key & kRefMask);
    // Xen compares the whole 64-bit union, whichever way the buffer was claimed.
    return ptr.u.gmfn == buf.key;
}

[[gnu::always_inline]] inline GrantStatus CopyBatch::claim(const xen::GrantCopy& op, const xen::GrantCopyPointer& ptr, Buffer& buf,
                             uint16_t gref_flag) {
    const bool read_only = gref_flag == gntcopy::source_gref;
    GrantTable& owner = *buf.domain;
    if (op.flags & gref_flag) {
        const xen::GrantRef ref = ptr.u.ref;
        GrantStatus s;
        {
            LockGuard guard(owner.lock());
            s = acquire_grant(owner, ref, read_only, buf);
        }
        if (s != GrantStatus::okay)
            return s;
        hold_grant(buf, ref);
    } else {
        // Deliberately stricter than Xen 4.17, which checks this (in lock_domain) only
        // when an element names other domains than the one before, so an element naming
        // the domains of the previous one could reach any frame of another domain by
        // number. A buffer already claimed stays usable, as on Xen: it was claimed
        // through a grant or on the caller's own side.
        if (buf.domid != kDomidSelf)
            return GrantStatus::permission_denied;
        if (!ctx_.frames.get_page(ptr.u.gmfn, owner.id()))
            return GrantStatus::bad_page;
        buf.frame = ptr.u.gmfn;
        buf.key = ptr.u.gmfn;
        buf.held = kHeldPage;
    }
    if (!read_only) {
        if (!ctx_.frames.get_writable(buf.frame, owner.id()))
            return GrantStatus::general_error;  // e.g. a page table; release() drops the rest
        buf.held |= kHeldType;
    }
    return GrantStatus::okay;
}

// After acquire_grant() filled in the buffer's frame, active and shared entry.
[[gnu::always_inline]] inline void CopyBatch::hold_grant(Buffer& buf, xen::GrantRef ref) {
    buf.key = (buf.key & ~kRefMask) | ref;
    buf.held = kHeldGrant | kHeldPage;
}

// The source buffer holds a grant (read-only: a pin and a general reference, no type
// reference) of the granter this element names too, and the element names another ref
// of it: what release() then claim() do, with the old grant released and the new one
// acquired under one hold of the granter's lock instead of two. Xen takes the lock
// twice; no other CPU can tell the difference, since all it could have seen in between
// is the old grant released, which it sees here too. On failure the buffer holds
// nothing, as after release() and a failed claim().
[[gnu::always_inline]] inline GrantStatus CopyBatch::switch_source_grant(xen::GrantRef ref) {
    Buffer& buf = source_;
    GrantTable& granter = *buf.domain;
    const Frame old_frame = buf.frame;
    GrantStatus s;
    {
        LockGuard guard(granter.lock());
        // release_grant() then acquire_grant(), with their common check made once: the
        // lock is held throughout, so frames_released() cannot change in between. (The
        // two calls as they stand measured ~6 instructions more per batch element.)
        const uint32_t left = granter.unpin(*buf.active, pin::host_read);
        if (granter.frames_released()) {
            s = GrantStatus::bad_domain;  // the entries are gone: no flags to clear
        } else {
            release_flags(SharedEntry{buf.entry}, left, true);
            s = acquire_live_grant(granter, ref, true, buf);
        }
    }
    ctx_.frames.put_page(old_frame);
    buf.held = 0;
    if (s != GrantStatus::okay)
        return s;
    hold_grant(buf, ref);
    return GrantStatus::okay;
}

[[gnu::always_inline]] inline void CopyBatch::release_held(Buffer& buf) {
    if (buf.held & kHeldGrant) {
        LockGuard guard(buf.domain->lock());
        release_grant(*buf.domain, buf, is_source(buf));
    }
    // A type reference is only ever held with a general one.
    if (buf.held & kHeldType)
        ctx_.frames.put_writable_page(buf.frame);
    else if (buf.held & kHeldPage)
        ctx_.frames.put_page(buf.frame);
    buf.held = 0;
}

// ---- grants ---------------------------------------------------------------------------------
//
// A copy pins the grant like a host mapping (host_read / host_write units) for as long
// as the buffer holds it, and takes one general reference to the frame (Xen
// acquire_grant_for_copy / release_grant_for_copy, v1 entries). Both run with the
// granter's lock held.

// Inlined into both callers: a call here cost more than the duplicated code.
[[gnu::always_inline]] inline GrantStatus CopyBatch::acquire_grant(GrantTable& granter, xen::GrantRef ref, bool readonly, Buffer& buf) {
    if (granter.frames_released())
        return GrantStatus::bad_domain;
    return acquire_live_grant(granter, ref, readonly, buf);
}

// acquire_grant() of a granter whose frames are not released.
// On okay: buf.frame, buf.active and buf.entry are the grant's.
[[gnu::always_inline]] inline GrantStatus CopyBatch::acquire_live_grant(GrantTable& granter, xen::GrantRef ref, bool readonly,
                                                                        Buffer& buf) {
    const uint32_t units = readonly ? pin::host_read : pin::host_write;
    const DomainId user = caller_.id();
    if (ref >= granter.nr_entries())
        return GrantStatus::bad_gntref;
    ActiveEntry& act = granter.active(ref);
    if (act.pin != 0 && (act.domid != user || (act.pin & pin::overflow_mask(units)) != 0))
        return GrantStatus::general_error;
    SharedEntry entry = granter.shared_entry(ref);
    if (act.pin == 0 || (!readonly && (act.pin & pin::writable_mask) == 0)) {
        if (GrantStatus s = acquire_flags(entry, act.pin != 0, readonly, false, user); s != GrantStatus::okay)
            return s;
        const Frame granted = entry.load_frame();
        if (!ctx_.frames.get_page(granted, granter.id())) {
            release_flags(entry, act.pin, readonly);
            return GrantStatus::bad_page;
        }
        if (act.pin == 0) {
            act.domid = user;
            act.frame = granted;
        } else if (act.frame != granted) {
            // The guest moved the grant to another frame while it was pinned.
            ctx_.frames.put_page(granted);
            release_flags(entry, act.pin, readonly);
            return GrantStatus::general_error;
        }
    } else if (!ctx_.frames.get_page(act.frame, granter.id())) {
        release_flags(entry, act.pin, readonly);
        return GrantStatus::bad_domain;  // Xen: the owner changed or is dying
    }
    granter.pin(act, units);
    buf.frame = act.frame;
    buf.active = &act;
    buf.entry = entry.get();
    return GrantStatus::okay;
}

// The buffer's grant, through the entries it kept: active pages live as long as the
// table, and the shared entry is good while the table's frames are (Buffer::entry).
[[gnu::always_inline]] inline void CopyBatch::release_grant(GrantTable& granter, Buffer& buf, bool readonly) {
    const uint32_t left = granter.unpin(*buf.active, readonly ? pin::host_read : pin::host_write);
    release_flags(SharedEntry{granter.frames_released() ? nullptr : buf.entry}, left, readonly);
}

}  // namespace hv::grant
