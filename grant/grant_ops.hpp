// The grant_table_op sub-operations on kernel copies of their argument structs (STYLE.md
// rule 4): hypercall/grant.cpp copies each struct in, calls these, and copies the fields
// Xen writes back out. Semantics and GNTST_* codes are Xen 4.17's (common/grant_table.c,
// arch/x86/pv/grant_table.c); per-operation results go to the struct's `status`.
//
// Batches. map_grant_ref is per element. Unmaps go through an UnmapBatch: each unmap
// removes the mapping at once, and finish() flushes the mapper's TLB before any pin or
// page reference is dropped, so no CPU can still reach a frame the granter gets back.
// Copies go through a CopyBatch, which keeps the last source and destination pinned
// between elements as Xen does. One deliberate difference: Xen 4.17 checks "frames by
// number only for DOMID_SELF" only when an element names other domains than the one
// before; here every claim of a frame is checked (Xen's gap lets a guest reach any frame
// of a domain that granted it one page).
#pragma once

#include <cstdint>

#include "grant/grant_seams.hpp"
#include "grant/grant_table.hpp"
#include "grant/table_ref.hpp"
#include "hypercall/public/grant_table.hpp"
#include "lib/image_inline.hpp"
#include "lib/status.hpp"

namespace hv::grant {

// ---- table management (table_ops.cpp) -------------------------------------------------

// GNTTABOP_setup_table: grows domain `dom`'s table to nr_frames; on okay,
// frames[0..nr_frames) are its frame numbers. bad_domain, permission_denied (another
// domain, caller not a control domain), general_error (beyond the limit, out of memory).
xen::GrantStatus setup_table(GrantContext& ctx, GrantTable& caller, DomainId dom, uint32_t nr_frames,
                             Frame (&frames)[GrantTable::kMaxGrantFrames]);
// GNTTABOP_query_size: fills nr_frames and max_nr_frames on okay.
xen::GrantStatus query_size(GrantContext& ctx, GrantTable& caller, xen::GrantQuerySize& op);
// GNTTABOP_get_version: NoSuchDomain (-ESRCH), Permission (-EPERM); the version is 1.
[[nodiscard]] Result<uint32_t> get_version(GrantContext& ctx, GrantTable& caller, DomainId dom);
// GNTTABOP_set_version on the caller's own table: 1 is kept, 2 is NotSupported (-ENOSYS,
// as Xen with gnttab=max-ver:1), anything else InvalidArgument. `version` becomes the
// version in force either way.
[[nodiscard]] Status set_version(uint32_t& version);
// GNTTABOP_get_status_frames: v1 tables have none, so only nr_frames 0 is okay.
xen::GrantStatus get_status_frames(GrantContext& ctx, GrantTable& caller, DomainId dom, uint32_t nr_frames);
// GNTTABOP_swap_grant_ref on the caller's own table: bad_gntref, eagain if either is in
// use.
xen::GrantStatus swap_grant_ref(GrantTable& table, xen::GrantRef a, xen::GrantRef b);

// ---- mappings (map.cpp, unmap.cpp) -------------------------------------------------------

// GNTTABOP_map_grant_ref: on okay also sets op.handle and op.dev_bus_addr. Inlined
// into the hypercall's loop in the image, as CopyBatch::copy is.
HV_IMAGE_INLINE void map_grant_ref(GrantContext& ctx, GrantTable& mapper, xen::GrantMapRef& op);

class UnmapBatch {
public:
    static constexpr unsigned kCapacity = 32;  // Xen GNTTAB_UNMAP_BATCH_SIZE

    UnmapBatch(GrantContext& ctx, GrantTable& mapper) : ctx_(ctx), mapper_(mapper) {}
    ~UnmapBatch() { finish(); }
    UnmapBatch(const UnmapBatch&) = delete;
    UnmapBatch& operator=(const UnmapBatch&) = delete;

    // Call finish() before adding more than kCapacity operations.
    bool full() const { return count_ == kCapacity; }
    // GNTTABOP_unmap_grant_ref / GNTTABOP_unmap_and_replace, first half: sets op.status.
    void unmap(xen::GrantUnmapRef& op);
    void unmap(xen::GrantUnmapAndReplace& op);
    // Flushes the mapper's TLB and drops the pins and references of every mapping removed.
    void finish();

private:
    struct Pending {
        TableRef granter;
        xen::GrantRef ref = 0;
        Frame frame = 0;
        uint16_t done = 0;  // GNTMAP_host_map / device_map removed, plus GNTMAP_readonly
    };

    xen::GrantStatus unmap_common(uint64_t host_addr, uint64_t dev_bus_addr, uint64_t new_addr,
                                  xen::GrantHandle handle);
    void complete(Pending& p);

    GrantContext& ctx_;
    GrantTable& mapper_;
    // Only pending_.items[0, count_) are constructed: a batch of one unmap pays for one.
    union Slots {
        Slots() {}
        ~Slots() {}
        Pending items[kCapacity];
    } pending_;
    unsigned count_ = 0;
};

// ---- copies (copy.cpp) -----------------------------------------------------------------

class CopyBatch {
public:
    CopyBatch(GrantContext& ctx, GrantTable& caller) : ctx_(ctx), caller_(caller) {}
    HV_IMAGE_INLINE ~CopyBatch();
    CopyBatch(const CopyBatch&) = delete;
    CopyBatch& operator=(const CopyBatch&) = delete;

    // GNTTABOP_copy of one element: sets op.status. Inlined into the hypercall's loop
    // (one caller in the image), where a call per element cost ~20 instructions.
    HV_IMAGE_INLINE void copy(xen::GrantCopy& op);

private:
    // Xen struct gnttab_copy_buf: one side of the copy, kept between elements. The
    // source side is always read-only and the destination side writable (Xen's
    // buf->read_only), so that is which member a Buffer is, not a field. v1 grants and
    // frames named by number are whole pages, so Xen's per-buffer granted range (used by
    // v2 sub-page grants) is always [0, 4096) here and not kept.
    //
    // Only `domain`, `key` and `held` start initialised (`key` because a grant
    // replaces only its low 32 bits, as in Xen's buffers, zeroed per batch): every other
    // field is written by lock_domain() or claim() before anything reads it (reads check
    // `domain` or `held` first), so a batch of one does not pay for zeroing them.
    //
    // `held` is also Xen's buf->virt, "claimed and usable": a claim that fails part-way
    // leaves bits in it, but copy() releases both buffers before it returns the failure,
    // so between elements held != 0 only for a completed claim.
    struct Buffer {
        TableRef domain;       // the side's domain while "locked"
        DomainId domid;        // the domid the element named (DOMID_SELF kept as is)
        uint64_t key = 0;      // the gmfn, or the grant ref in the low 32 bits
        Frame frame;
        ActiveEntry* active;   // the pinned active entry, while kHeldGrant
        // Its shared entry: usable under the granter's lock while !frames_released(),
        // since table frames are only added until release_frames() sets that flag.
        xen::GrantEntryV1* entry;
        uint8_t held = 0;      // kHeld* bits: what release() gives back
    };
    static constexpr uint8_t kHeldGrant = 1, kHeldPage = 2, kHeldType = 4;

    bool is_source(const Buffer& buf) const { return &buf == &source_; }
    xen::GrantStatus copy_one(const xen::GrantCopy& op);
    xen::GrantStatus lock_domains(const xen::GrantCopy& op);
    xen::GrantStatus lock_domain(DomainId domid, bool is_gref, Buffer& buf);
    void unlock_domains();
    xen::GrantStatus claim(const xen::GrantCopy& op, const xen::GrantCopyPointer& ptr, Buffer& buf, uint16_t gref_flag);
    static bool usable(const xen::GrantCopyPointer& ptr, const Buffer& buf, bool is_gref);
    [[gnu::always_inline]] void release(Buffer& buf) {
        if (buf.held != 0)
            release_held(buf);
    }
    void release_held(Buffer& buf);
    static void hold_grant(Buffer& buf, xen::GrantRef ref);
    xen::GrantStatus switch_source_grant(xen::GrantRef ref);
    // With the granter's lock held.
    xen::GrantStatus acquire_grant(GrantTable& granter, xen::GrantRef ref, bool readonly, Buffer& buf);
    xen::GrantStatus acquire_live_grant(GrantTable& granter, xen::GrantRef ref, bool readonly, Buffer& buf);
    static void release_grant(GrantTable& granter, Buffer& buf, bool readonly);

    GrantContext& ctx_;
    GrantTable& caller_;
    Buffer source_;
    Buffer dest_;
};

// ---- teardown (teardown.cpp) --------------------------------------------------------------
//
// Destroying a domain, in Xen's order: release_mappings() drops every pin its mappings
// hold on other domains' grants (Xen gnttab_release_mappings: for a PV domain the
// references of host mappings belong to its page-table entries, dropped when those are
// torn down; device mappings' references are dropped here); then
// GrantTable::release_frames() gives its shared frames back. While pinned_entries() is
// not 0, other domains still map its grants: the table must stay alive for their maptrack
// entries (GrantDomains, "retired") so that their unmaps succeed, as they do on Xen against a
// zombie domain; once it is 0 and no retained hold is in flight it may be deleted.
void release_mappings(GrantContext& ctx, GrantTable& mapper);

}  // namespace hv::grant
