// Seams of the grant-table core (STYLE.md rule 2): everything it needs from the rest of
// the hypervisor, as small interfaces the kernel implements (domain/grant_glue.cpp) and
// host tests fake (tests/host/grant_fakes.hpp).
//
//   GrantMemory     table frames (shared with the granting domain) and bookkeeping pages
//   GrantFrames     references on granted frames, and copying bytes between frames
//   HostMappings    the mapping domain's page-table entries for granted frames
//   GrantDomains    finding another domain's grant table by id
//
// Calling context: the core may call these with a maptrack lock and one table lock held
// (grant/grant_table.hpp has the order: the seams' own locks come after both), so an
// implementation must not call back into the grant core.
//
// Reference ownership (the contract that keeps page counts balanced): a host mapping of a
// granted frame owns one general reference to it, plus one writable type reference when
// the mapping is writable, exactly as any other L1 entry does. The core takes those
// references before asking for the mapping and hands them to it on success; it gets them
// back from a successful replace() and drops them itself. Whoever destroys the entry
// otherwise (the guest overwriting it, the page table being torn down) drops them through
// the page-type core, so they can neither leak nor be dropped twice.
//
// GrantMemory is an interface; the other three are on every mapping's and copy's path,
// so they are link-time seams (STYLE.md rule 2): their members are declared here and
// defined by the build, the image's in domain/grant_glue.cpp (which LTO inlines into the
// grant operations) and the host tests' in tests/host/fakes/grant_seams_fake.cpp
// (forwarding to the fake the object is, tests/host/grant_fakes.hpp). The image's
// objects are stateless. All four have protected, non-virtual destructors: the core
// never owns or deletes an implementation (and the freestanding image has no operator
// delete).
#pragma once

#include <cstdint>

#include "hypercall/public/grant_table.hpp"
#include "lib/image_inline.hpp"
#include "lib/status.hpp"

namespace hv::grant {

using DomainId = uint16_t;
using Frame = uint64_t;  // a machine frame number (PV guests name frames by MFN)

class GrantTable;

// A page of the table shared with its domain: where the hypervisor reaches it and the
// frame number the domain is told (GNTTABOP_setup_table).
struct TableFrame {
    void* page = nullptr;
    Frame frame = 0;
};

class GrantMemory {
public:
    // A zeroed frame owned by `owner` that it may map writable and never use as a page
    // table (Xen share_xen_page_with_guest(SHARE_rw)). OutOfMemory when none is left.
    [[nodiscard]] virtual Result<TableFrame> allocate_table_frame(DomainId owner) = 0;
    // Takes the frame back from `owner`; its memory is reused once the domain no longer
    // maps it.
    virtual void free_table_frame(DomainId owner, const TableFrame& frame) = 0;
    // Zeroed, 4 KiB-aligned hypervisor pages for active entries and maptrack; nullptr when
    // memory is exhausted.
    virtual void* allocate_page() = 0;
    virtual void free_page(void* page) = 0;

protected:
    ~GrantMemory() = default;
};

// References on granted frames, and copies between them (a link-time seam).
class GrantFrames {
public:
    // A general reference to RAM frame `frame`, which must belong to `owner` (Xen: the
    // get_page() inside get_page_from_gfn for a non-translated domain). False for a
    // frame that is not RAM, is free, or belongs to someone else.
    [[nodiscard]] bool get_page(Frame frame, DomainId owner);
    void put_page(Frame frame);
    // A writable type reference; the caller holds a general one it took with
    // get_page(frame, owner), so the owner cannot have changed. False if the frame has
    // another type, e.g. it is a page table or descriptor page.
    [[nodiscard]] bool get_writable(Frame frame, DomainId owner);
    void put_writable(Frame frame);
    // put_writable() then put_page(), as one operation (the end of a copy's writable
    // use of a frame).
    HV_IMAGE_INLINE void put_writable_page(Frame frame);
    // Copies `length` bytes; both frames are RAM the caller holds references to, and both
    // ranges lie inside their page.
    void copy(Frame dest, unsigned dest_offset, Frame source, unsigned source_offset, unsigned length);

protected:
    GrantFrames() = default;
    ~GrantFrames() = default;
};

// Host mappings in the mapping domain's page tables, for the vCPU running the hypercall
// (Xen create_grant_pv_mapping / replace_grant_pv_mapping). `host_addr` is a linear
// address in the current page tables, or with GNTMAP_contains_pte the machine address
// of the L1 entry to use. A link-time seam.
class HostMappings {
public:
    // Writes an entry for `frame` (read-only with GNTMAP_readonly, user-accessible with
    // GNTMAP_application_map) at host_addr, dropping the references the entry it
    // replaces held. On okay the entry owns the references the caller took for it.
    xen::GrantStatus create(DomainId mapper, uint64_t host_addr, Frame frame, uint32_t flags);
    // Checks that host_addr maps `frame` with the access `flags` gave it and replaces the
    // entry: with nothing, or (new_addr != 0, linear addresses only) with the entry that
    // maps new_addr, which is cleared. On okay the references of the grant entry are
    // the caller's again (those of a moved entry move with it).
    xen::GrantStatus replace(DomainId mapper, uint64_t host_addr, Frame frame, uint64_t new_addr,
                             uint32_t flags);
    // Removes stale translations of entries replace() cleared, on every CPU the mapper
    // may have used them, before their references are dropped.
    void flush_tlb(DomainId mapper);

protected:
    HostMappings() = default;
    ~HostMappings() = default;
};

// Finding grant tables (a link-time seam).
class GrantDomains {
public:
    // The grant table of live domain `id` (not DOMID_SELF); nullptr if there is none or
    // it is being destroyed (Xen: rcu_lock_domain_by_id). Not counted: the table stays
    // alive until the operation ends, because a domain is torn down only after every
    // CPU has passed a quiescent point since it was unlinked, and no grant operation
    // spans one (the kernel's domain_by_id contract). So there is nothing to release.
    HV_IMAGE_INLINE GrantTable* find(DomainId id);
    // A counted hold, released by release(), on a table the caller knows to be alive
    // because it holds one of its pins (a mapping's: grant_table.hpp G3), also after its
    // domain was destroyed while other domains still pinned its grants (a retired table,
    // as Xen keeps a zombie domain, which only the last hold may delete). Unmaps use it
    // instead of a lookup by id.
    void retain(GrantTable& table);
    void release(GrantTable& table);

protected:
    GrantDomains() = default;
    ~GrantDomains() = default;
};

// The seams a grant operation needs, bundled (all system-wide).
struct GrantContext {
    GrantDomains& domains;
    GrantFrames& frames;
    HostMappings& mappings;
};

}  // namespace hv::grant
