// Kernel side of the grant-table core: the seams of grant/grant_seams.hpp on the page-type
// core (pv/page_types), the direct map, the frame allocator and the domain registry.
//
// Host mappings (Xen create_grant_pv_mapping / replace_grant_pv_mapping): `host_addr` is
// a linear address in the page tables of the vCPU making the hypercall, whose L1 entry
// is found by walking its current L4 (Xen walks the linear map: the same tables), or with
// GNTMAP_contains_pte the machine address of an L1 entry. Either way the L1 must be a
// validated L1 table of the mapping domain; the page-type core walks to it and writes the
// entry under its page-table lock (pv/grant_entries.cpp), so the walk needs no references.
#include "domain/grant_glue.hpp"

#include <new>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/layout.hpp"
#include "domain/domain.hpp"
#include "domain/grant_frame_refs.hpp"
#include "domain/page_types_glue.hpp"
#include "domain/vcpu.hpp"
#include "grant/grant_ops.hpp"
#include "grant/grant_table.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "pv/pte_rules.hpp"
#include "seam/panic.hpp"

namespace hv {
namespace {

using grant::Frame;
using xen::GrantStatus;
namespace gntmap = xen::gntmap;

// ---- table frames and bookkeeping pages --------------------------------------------------

class KernelGrantMemory final : public grant::GrantMemory {
public:
    Result<grant::TableFrame> allocate_table_frame(grant::DomainId owner) override {
        void* page = allocate_pages(0);
        if (page == nullptr)
            return Status::OutOfMemory;
        const Pfn mfn = layout::virt_to_phys(page) >> kPageShift;
        if (page_types().assign_shared(mfn, owner) != Status::Ok) {
            free_pages(page, 0);
            return Status::OutOfMemory;
        }
        return grant::TableFrame{page, mfn};
    }
    // The frame goes back to the allocator when its last reference goes (frame_freed()
    // in domain/page_types_glue.cpp): now, or when the domain's last mapping of it goes.
    void free_table_frame(grant::DomainId owner, const grant::TableFrame& frame) override {
        if (page_types().release(frame.frame, owner) != Status::Ok)
            LOG_WARN("grant: d%u table frame %#llx was not the domain's", owner,
                     static_cast<unsigned long long>(frame.frame));
    }
    void* allocate_page() override { return allocate_pages(0); }
    void free_page(void* page) override { free_pages(page, 0); }
};

// ---- granted frames -------------------------------------------------------------------------

// Set once, under creation_lock before the first grant table is published
// (grant_table_of), so every grant operation, which needs a table, sees it.
constinit GrantFrameRefs frame_refs;

// The image's GrantFrames: stateless, its members below (grant_seams.hpp).
class KernelGrantFrames final : public grant::GrantFrames {};

// ---- host mappings in PV page tables ---------------------------------------------------------

using GrantSlot = pv::PageTypes::GrantSlot;

// Xen __addr_ok: below the canonical hole, or above the hypervisor's L4 slots.
bool linear_address_ok(uint64_t va) { return va < (1ull << 47) || va >= layout::kHypervisorVirtEnd; }

// The L1 entry for linear address `va` in the vCPU's current page tables (Xen map_guest_l1e), which the
// page-type core walks under its page-table lock (page_types.hpp, GrantSlot).
[[gnu::always_inline]] inline Result<GrantSlot> linear_slot(const Vcpu& v, uint64_t va) {
    if (!linear_address_ok(va))
        return Status::InvalidArgument;
    return GrantSlot::address(v.pv.kernel_mode ? v.pv.guest_table : v.pv.guest_table_user, va);
}

// host_addr as the grant flags read it: a linear address, or with GNTMAP_contains_pte the
// machine address of an L1 entry.
[[gnu::always_inline]] inline Result<GrantSlot> find_slot(const Vcpu& v, uint64_t host_addr, uint32_t flags) {
    if (flags & gntmap::contains_pte) {
        if (host_addr % sizeof(uint64_t) != 0)
            return Status::InvalidArgument;  // would overlap two entries
        return GrantSlot::entry(host_addr >> kPageShift, static_cast<unsigned>((host_addr & (kPageSize - 1)) / 8));
    }
    return linear_slot(v, host_addr);
}

// Xen grant_to_pte_flags + adjust_guest_l1e for a RAM frame: present, accessed, dirty,
// never executable; user-accessible only with GNTMAP_application_map; read-only with
// GNTMAP_readonly; the guest's three "available" flag bits (GNTMAP_guest_avail) in PTE
// bits 9-11 (XENFEAT_gnttab_map_avail_bits). No grant marker, as in release Xen.
uint64_t grant_entry(Frame frame, uint32_t flags) {
    uint64_t e = (frame << kPageShift) | pv::pte::kPresent | pv::pte::kAccessed | pv::pte::kDirty |
                 pv::pte::kNoExecute;
    if (flags & gntmap::application_map)
        e |= pv::pte::kUser;
    if (!(flags & gntmap::readonly))
        e |= pv::pte::kWritable;
    e |= (static_cast<uint64_t>(flags >> gntmap::guest_avail_shift) << 9) & pv::pte::kAvailable;
    return pv::adjust_entry(1, e);
}

Vcpu& mapping_vcpu(grant::DomainId mapper) {
    Vcpu* v = this_cpu().current;
    HV_ASSERT(v != nullptr && v->domain().id() == mapper);
    return *v;
}

// The image's HostMappings and GrantDomains: stateless, their members below.
class KernelHostMappings final : public grant::HostMappings {};

// ---- domains -------------------------------------------------------------------------------
//
// A live domain's table hangs off its Domain. When a domain is destroyed while other
// domains still pin its grants, its table is retired: no lookup by id finds it any more,
// but the maptrack entries of those domains still point at it (grant_table.hpp G3), until
// the last pin and hold go. That is what Xen's zombie domain gives a backend whose
// frontend died: its unmaps still work (Linux's netback BUG()s when one fails).

constinit TicketLock retired_lock;  // GrantTable::retired, deciding who deletes; leaf

class KernelGrantDomains final : public grant::GrantDomains {};

constinit KernelGrantMemory memory;
constinit KernelGrantFrames frames;
constinit KernelHostMappings mappings;
constinit KernelGrantDomains domains;
constinit grant::GrantContext context{domains, frames, mappings};
constinit TicketLock creation_lock;  // leaf: only around creating a table

}  // namespace

// ---- GrantFrames, the image's definitions (a link-time seam, grant_seams.hpp) ---------------

bool grant::GrantFrames::get_page(Frame frame, grant::DomainId owner) { return frame_refs.get_page(frame, owner); }
void grant::GrantFrames::put_page(Frame frame) { frame_refs.put_page(frame); }
bool grant::GrantFrames::get_writable(Frame frame, grant::DomainId owner) {
    return frame_refs.get_writable(frame, owner);
}
void grant::GrantFrames::put_writable(Frame frame) { frame_refs.put_writable(frame); }
void grant::GrantFrames::put_writable_page(Frame frame) { frame_refs.put_writable_page(frame); }
void grant::GrantFrames::copy(Frame dest, unsigned dest_offset, Frame source, unsigned source_offset,
                              unsigned length) {
    auto* to = static_cast<uint8_t*>(layout::phys_to_virt(dest << kPageShift)) + dest_offset;
    const auto* from = static_cast<const uint8_t*>(layout::phys_to_virt(source << kPageShift)) + source_offset;
    // Ranges overlap only within one frame; otherwise the plain forward copy (Xen's memcpy).
    if (dest == source)
        __builtin_memmove(to, from, length);
    else
        __builtin_memcpy(to, from, length);
}

// ---- HostMappings, the image's definitions (a link-time seam, grant_seams.hpp) --------------

GrantStatus grant::HostMappings::create(grant::DomainId mapper, uint64_t host_addr, Frame frame, uint32_t flags) {
    auto slot = find_slot(mapping_vcpu(mapper), host_addr, flags);
    if (!slot.ok())
        return GrantStatus::general_error;
    if (page_types().install_grant_entry(*slot, grant_entry(frame, flags), mapper) != Status::Ok)
        return GrantStatus::general_error;
    // The entry may have replaced a present one. Xen does not flush here, but its
    // guests see the new mapping at once because XPTI reloads CR3 on every return to
    // a PV guest; do the same for this one translation.
    if (flags & gntmap::contains_pte)
        arch::flush_tlb_local();
    else
        arch::invlpg(host_addr);
    return GrantStatus::okay;
}
GrantStatus grant::HostMappings::replace(grant::DomainId mapper, uint64_t host_addr, Frame frame, uint64_t new_addr,
                                        uint32_t flags) {
    const Vcpu& v = mapping_vcpu(mapper);
    if ((flags & gntmap::contains_pte) && new_addr != 0)
        return GrantStatus::general_error;  // Xen: no replace by PTE address
    // Xen takes the new entry first; if the rest fails, that mapping is lost too.
    uint64_t moved = 0;
    if (new_addr != 0) {
        auto from = linear_slot(v, new_addr);
        if (!from.ok())
            return GrantStatus::general_error;
        auto taken = page_types().take_entry(*from, mapper);
        if (!taken.ok())
            return GrantStatus::general_error;
        moved = *taken;
    }
    auto slot = find_slot(v, host_addr, flags);
    const bool writable = (flags & gntmap::readonly) == 0;
    if (!slot.ok() ||
        page_types().remove_grant_entry(*slot, mapper, frame, writable, moved) != Status::Ok) {
        page_types().drop_entry_refs(moved);
        return GrantStatus::general_error;
    }
    return GrantStatus::okay;
}
// One vCPU per domain runs at a time, on this CPU, as everywhere in the PV core so far
// (hypercall/mmu.cpp): a local flush reaches every stale translation.
void grant::HostMappings::flush_tlb(grant::DomainId) { arch::flush_tlb_local(); }

// ---- GrantDomains, the image's definitions (a link-time seam, grant_seams.hpp) --------------

// Alive until this CPU's next quiescent point, as the Domain is: grant_domain_destroy
// runs after destroy.cpp's quiesce.
grant::GrantTable* grant::GrantDomains::find(grant::DomainId id) {
    if (Domain* d = domain_by_id(id)) {
        auto table = grant_table_of(*d);
        if (table.ok())
            return *table;
    }
    return nullptr;
}
// The caller holds a pin of `table`, so release() cannot be deleting it now: its
// pinned_entries() check fails until that pin is dropped, after this increment
// (ordered before the unpin's release store of pinned_entries).
void grant::GrantDomains::retain(grant::GrantTable& table) { table.holds.fetch_add(1, std::memory_order_relaxed); }
void grant::GrantDomains::release(grant::GrantTable& table) {
    if (table.holds.fetch_sub(1, std::memory_order_acq_rel) != 1 || !table.retired.load(std::memory_order_acquire) ||
        table.pinned_entries() != 0)
        return;
    // Possibly the last use of a retired table: delete it if nothing can reach it any
    // more (a new hold needs a pin, so none comes once pinned_entries() is 0).
    bool dead = false;
    {
        LockGuard guard(retired_lock);
        if (table.retired.load(std::memory_order_relaxed) && table.holds.load(std::memory_order_acquire) == 0 &&
            table.pinned_entries() == 0) {
            table.retired.store(false, std::memory_order_relaxed);
            dead = true;
        }
    }
    if (dead)
        delete &table;
}

grant::GrantContext& grant_context() { return context; }

Result<grant::GrantTable*> detail::grant_table_create(Domain& d) {
    LockGuard guard(creation_lock);
    if (grant::GrantTable* t = d.grant_table.load(std::memory_order_acquire))
        return t;
    if (d.dying.load())
        return Status::NoSuchDomain;  // no new table for a domain being torn down
    if (!frame_refs.attached())  // the first table, created before any grant operation can run
        frame_refs = GrantFrameRefs({&frame_info(0), max_pfn()}, page_types());
    grant::GrantTableConfig config;
    config.id = d.id();
    config.control_domain = d.privileged();
    auto* table = new (std::nothrow_t{}) grant::GrantTable(config, memory);  // no std::nothrow object in the image
    if (table == nullptr)
        return Status::OutOfMemory;
    if (Status s = table->init(); s != Status::Ok) {
        delete table;
        return s;
    }
    d.grant_table.store(table, std::memory_order_release);
    return table;
}

Status grant_attach(Domain& d) {
    auto t = grant_table_of(d);
    return t.ok() ? Status::Ok : t.status();
}

void grant_domain_destroy(Domain& d) {
    grant::GrantTable* t;
    {
        // Serialised against a lazy creation: once dying is set none starts.
        LockGuard guard(creation_lock);
        t = d.grant_table.exchange(nullptr, std::memory_order_acq_rel);
    }
    if (t == nullptr)
        return;
    grant::release_mappings(context, *t);
    t->release_frames();
    {
        LockGuard guard(retired_lock);
        // The quiesce in destroy.cpp has finished every operation that found this
        // table by id or retained it; what can still reach it is other domains' pins
        // (retired until the last one goes, deleted by that unmap's release()).
        if (t->pinned_entries() != 0 || t->holds.load(std::memory_order_acquire) != 0) {
            LOG_INFO("grant: d%u destroyed with %u grants still mapped by others; its table stays until they are unmapped",
                     d.id(), t->pinned_entries());
            t->retired.store(true, std::memory_order_release);
            return;
        }
    }
    delete t;
}

}  // namespace hv
