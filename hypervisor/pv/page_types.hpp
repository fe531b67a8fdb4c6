// The PV page-type and reference-count core ("the security core"): what makes it safe to let a PV guest
// run on page tables it wrote itself. Semantics are Xen's (xen/arch/x86/mm.c, 4.17); the words are ours.
//
// Model. Every RAM frame (FrameInfo, indexed by MFN) has
//   - an owner (a domain id; kOwnerNone when free) and a general reference count: one allocation
//     reference while the owner holds it, plus one per L1 entry mapping it, one per upper-level entry
//     naming it as a table, one per pin, one per external use (CR3, GDT...) taken through this API;
//   - a type (PageType) with a type count: the number of references that need that type. Each writable
//     L1 mapping holds a Writable type ref, each L(n+1) entry naming it holds an L(n) type ref, each pin
//     holds one, each external typed use holds one. Every type ref is paired with a general ref, except
//     the permanent Writable ref of a hypervisor page given with assign_shared().
//   - flags `validated` (the contents were checked for the current type) and `pinned`.
//
// Invariants (every public call preserves them; tests/host/page_types_support.hpp checks them all):
//  I1 A frame changes type only while its type count is 0.
//  I2 A table type (L1..L4) has count > 0 exactly when it is validated (outside the validating /
//     de-validating window, which only its owner's page-table lock holder can see). The 0 -> 1
//     transition validates every entry, taking the references each entry needs; when it fails nothing is
//     left changed (every reference taken is dropped, the type word is restored, contents untouched).
//     The 1 -> 0 transition drops the references of every entry.
//  I3 A frame with a table or SegDesc type and a non-zero count has no Writable type ref, so no guest
//     mapping of it is writable; a validated L1 entry with RW maps either a Writable-typed RAM frame or
//     permitted MMIO.
//  I4 Every present entry of a validated table satisfies check_entry(), has been adjusted
//     (adjust_entry()), and names: at L1 a RAM frame of the entry's page owner or permitted MMIO; at
//     L2-L4 a frame of the table's owner typed one level lower, or (read-only) a validated frame of the
//     same level ("linear" entry: it holds a type ref of that level), or the table itself (read-only,
//     no references). L4 slots 256..271 hold the hypervisor's entries and no references.
//  I5 Linear entries do not chain: a table holding linear entries (linear count > 0) is never itself
//     the target of one (linear count < 0), so de-validation recursion is bounded (Xen XSA-240).
//  I6 The general count never rises from zero ("cannot revive"); reaching zero frees the frame
//     (FrameAccess::frame_freed) and requires the type count to be zero.
//  I7 A frame that is not RAM (has_frame_info() false: MMIO or a hole, even below frame_count()) has
//     general count 0 forever: the only paths that raise a count from 0 (assign, assign_shared) check
//     has_frame_info(). So a non-zero count means RAM.
//
// Encoding (FrameInfo stays 32 bytes; the allocator's `flags`/`order` are not touched):
//   refcount : bit 31 allocation ref held, bit 30 hypervisor page (assign_shared), bits 0-29 count.
//   type_info: bits 0-31 type count, 32-47 linear count (int16), 48-50 PageType, 51 validated,
//              52 pinned. The type field keeps the last type while the count is 0 (a Writable ->
//              table change then triggers FrameAccess::flush_before_protect); type_of() reports None.
//
// Locking. The general count is changed only by atomic read-modify-write (increment refuses zero and
// overflow). Every change of type_info is a compare-exchange of the whole word. On top of that, every
// operation that can validate or de-validate a table or descriptor page, or that writes a table entry
// (update_entry, pin, unpin, get/put of a non-Writable type), holds the page-table lock of the domain that
// owns the table (stripe `domain % kLockStripes`, taken by the public entry points here, never two at a
// time). Validation and de-validation therefore run alone per domain; the only concurrent changes they can
// meet are Writable refs taken lock-free by other domains (foreign mappings, grant-like uses), which fail
// against a table type. Lock order: page-table stripe < whatever FrameAccess callbacks take (frame
// allocator, the former owner's page list); callers must hold none of those around calls into PageTypes.
//
// Status codes, measured against Xen 4.17 (the PV test guest compares us with real Xen):
//   situation                                                        Xen        Status here
//   present entry with a disallowed flag (PSE/G/PWT/PCD at L2-L4,    -EINVAL    InvalidArgument
//     non-io-capable cache attributes at L1; bit 62 is allowed as release Xen does)
//   L1 maps a RAM frame that is free, hypervisor-held, or owned by   -EBUSY     Busy
//     someone other than the page owner (get_page_from_l1e)
//   L1 maps writable a frame that has a table/SegDesc type          -EBUSY     Busy
//   L1 maps non-RAM without I/O permission                           -EPERM     Permission
//     (the all-ones frame number: -EINVAL)                           -EINVAL    InvalidArgument
//   L1 maps a hypervisor page with non-WB cache attributes           -EACCES    AccessDenied
//   L2-L4 entry names a frame not owned by the table owner / MMIO,  -EINVAL    InvalidArgument
//     the wrong type, or a writable/unvalidated linear target
//   nested validation failure (e.g. pin L4 over an L1 with a         the nested code, propagated
//     foreign mapping: -EBUSY)
//   update of L4 slots 256-271                                       -EINVAL    InvalidArgument
//   update_entry: table not owned by the table owner, or a SegDesc   -EINVAL    InvalidArgument
//     page, or an L2-L4 update with a foreign page owner
//   pin: not owned / wrong current type / already pinned             -EINVAL    InvalidArgument
//   unpin: not owned / not pinned                                    -EINVAL    InvalidArgument
//   type count overflow                                              -EINVAL    InvalidArgument
//   general count overflow at L1 (treated as not referencable)       -EBUSY     Busy
// Not modelled: Xen's preemption of long validations (-ERESTART continuations), L1TF checks of
// non-present entries, shadow/translated guests, DOMID_IO/DOMID_COW owners, XSM target mappings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/spinlock.hpp"
#include "lib/status.hpp"
#include "memory/frame.hpp"
#include "pv/frame_access.hpp"
#include "pv/pte_rules.hpp"
#include "seam/panic.hpp"

namespace hv::pv {

// TODO(abi): these equal xen::domid_invalid / xen::domid_xen (hypercall/public/hypercalls.hpp).
inline constexpr uint16_t kOwnerNone = 0x7FF4;
inline constexpr uint16_t kOwnerXen = 0x7FF2;

enum class PageType : uint8_t { None = 0, L1 = 1, L2 = 2, L3 = 3, L4 = 4, SegDesc = 5, Writable = 6 };

constexpr bool is_table_type(PageType t) { return t >= PageType::L1 && t <= PageType::L4; }
constexpr unsigned table_level(PageType t) { return is_table_type(t) ? static_cast<unsigned>(t) : 0; }
constexpr PageType table_type(unsigned level) { return static_cast<PageType>(level); }  // level 1..4

class PageTypes {
public:
    static constexpr unsigned kLockStripes = 64;

    PageTypes(std::span<FrameInfo> frames, FrameAccess& access);
    PageTypes(const PageTypes&) = delete;
    PageTypes& operator=(const PageTypes&) = delete;

    // Ownership. assign: a free RAM frame becomes `domain`'s with its allocation reference (Busy if in
    // use). assign_shared: the same for a hypervisor page the domain may map writable (shared_info, grant
    // frames); it also holds a permanent Writable type ref so it can never become a table. release: drop
    // the allocation ref (and the permanent one); the frame is freed when the last reference goes.
    [[nodiscard]] Status assign(Pfn mfn, uint16_t domain);
    [[nodiscard]] Status assign_shared(Pfn mfn, uint16_t domain);
    [[nodiscard]] Status release(Pfn mfn, uint16_t domain);
    // XENMEM_exchange (Xen's steal_page): takes a frame back from `domain` without freeing it, only if
    // nothing but the allocation reference holds it (not mapped, not typed, not a hypervisor page);
    // Busy otherwise, InvalidArgument if `domain` does not own it. Afterwards the frame is unowned with
    // count 0 and the caller either frees it to the allocator or assign()s it back.
    [[nodiscard]] Status steal(Pfn mfn, uint16_t domain);

    // General references: only on a RAM frame owned by `domain` with a non-zero count.
    [[nodiscard]] bool get_page(Pfn mfn, uint16_t domain);
    void put_page(Pfn mfn);

    // Type references. The caller holds a general ref on a frame `domain` owns; the first ref of a table
    // or SegDesc type validates. put_type of the last table ref de-validates.
    [[nodiscard]] Status get_type(Pfn mfn, PageType type, uint16_t domain);
    void put_type(Pfn mfn);
    // Both at once (Xen get_page_and_type_from_mfn: CR3, GDT frames); not owned -> InvalidArgument.
    [[nodiscard]] Status get_page_and_type(Pfn mfn, PageType type, uint16_t domain);
    void put_page_and_type(Pfn mfn);

    // MMUEXT_PIN_L<n>_TABLE / MMUEXT_UNPIN_TABLE. A pin is one general + one type ref.
    [[nodiscard]] Status pin(Pfn mfn, PageType level, uint16_t domain);
    [[nodiscard]] Status unpin(Pfn mfn, uint16_t domain);

    // mmu_update MMU_NORMAL_PT_UPDATE / MMU_PT_UPDATE_PRESERVE_AD of entry `index` of `table_mfn`, owned by
    // `domain`. A validated table is updated under the entry rules (new references first, then the old
    // ones dropped); an untyped or Writable page gets a plain write; anything else is InvalidArgument.
    [[nodiscard]] Status update_entry(Pfn table_mfn, unsigned index, uint64_t new_entry, uint16_t domain,
                                      bool preserve_ad);
    // The same where L1 entries may name frames of `page_owner` (mmu_update with a foreign domain, after
    // the caller checked `table_owner` may map `page_owner`'s memory).
    [[nodiscard]] Status update_foreign_entry(Pfn table_mfn, unsigned index, uint64_t new_entry,
                                              uint16_t table_owner, uint16_t page_owner, bool preserve_ad);

    // Grant mappings (Xen create_grant_pv_mapping / replace_grant_pv_mapping; pv/grant_entries.cpp). The
    // one place an L1 entry may name a frame of a domain other than the page owner without the checks of
    // update_foreign_entry: the grant core (grant/) has already taken the references the entry needs (a
    // general one, plus a Writable type one for a writable entry) on the granted frame and hands them to
    // the entry here, so I4 holds with "a RAM frame of the page owner" read as "or a frame whose references
    // the entry owns". From then on it is an ordinary entry: if the guest overwrites it or the L1 is
    // de-validated, drop_l1_refs() drops exactly those references once (release Xen has no grant marker in
    // the entry either), and a later grant unmap finds no matching entry and fails.
    //
    // Where the entry is (Xen's two forms of a PV grant host_addr), a GrantSlot:
    //  - entry(l1, index): entry `index` of L1 `l1` (GNTMAP_contains_pte, a machine address the guest
    //    named). It must be a validated L1 table owned by `table_owner`; it is held with a general ref
    //    while it is checked and written.
    //  - address(l4, va): the L1 entry mapping linear address `va` (below the hypervisor's L4 slots; the
    //    caller checked) in the hierarchy under `l4`, which must be a validated L4 of `table_owner`, the
    //    calling vCPU's (it holds a type ref on it). The walk runs under the owner's page-table lock, so
    //    by I2/I4 every table it passes through is a validated table of the owner that no one can change
    //    or de-validate meanwhile: no reference is taken. The last one must be an L1 (a linear entry can
    //    lead elsewhere). Every level must be present and not a large page (Xen map_guest_l1e).
    // Anything else is InvalidArgument, nothing changed.
    struct GrantSlot {
        Pfn table;
        uint64_t index_or_va;
        bool linear;

        static GrantSlot entry(Pfn l1, unsigned index) { return {l1, index, false}; }
        static GrantSlot address(Pfn l4, uint64_t va) { return {l4, va, true}; }
    };
    // install_grant_entry writes `entry` (present, already adjusted) at `slot` and drops the references
    // of the entry it replaces.
    [[nodiscard]] Status install_grant_entry(const GrantSlot& slot, uint64_t entry, uint16_t table_owner);
    // remove_grant_entry: the entry at `slot` must be present and map `frame`, writable iff `writable`
    // (else InvalidArgument, nothing changed). It becomes `replacement` (0, or an entry from take_entry,
    // whose references move with it) and its own references are the caller's to drop.
    [[nodiscard]] Status remove_grant_entry(const GrantSlot& slot, uint16_t table_owner, Pfn frame, bool writable,
                                            uint64_t replacement);
    // take_entry clears the entry at `slot` and returns it with its references, which the caller places
    // with remove_grant_entry or gives back with drop_entry_refs.
    [[nodiscard]] Result<uint64_t> take_entry(const GrantSlot& slot, uint16_t table_owner);
    // The same by (L1, index).
    [[nodiscard]] Status install_grant_entry(Pfn l1_mfn, unsigned index, uint64_t entry, uint16_t table_owner) {
        return install_grant_entry(GrantSlot::entry(l1_mfn, index), entry, table_owner);
    }
    [[nodiscard]] Status remove_grant_entry(Pfn l1_mfn, unsigned index, uint16_t table_owner, Pfn frame,
                                            bool writable, uint64_t replacement) {
        return remove_grant_entry(GrantSlot::entry(l1_mfn, index), table_owner, frame, writable, replacement);
    }
    [[nodiscard]] Result<uint64_t> take_entry(Pfn l1_mfn, unsigned index, uint16_t table_owner) {
        return take_entry(GrantSlot::entry(l1_mfn, index), table_owner);
    }
    void drop_entry_refs(uint64_t entry);

    // Queries (racy snapshots unless the caller knows the frame is quiescent).
    PageType type_of(Pfn mfn) const;  // None while the type count is 0
    uint32_t type_count(Pfn mfn) const;
    uint32_t general_count(Pfn mfn) const;
    bool is_pinned(Pfn mfn) const;
    bool is_validated(Pfn mfn) const;
    bool is_allocated(Pfn mfn) const;        // the allocation reference is held
    bool is_hypervisor_page(Pfn mfn) const;  // given with assign_shared
    uint16_t owner_of(Pfn mfn) const;        // kOwnerNone when free
    int linear_count(Pfn mfn) const;         // > 0: linear entries held; < 0: linear uses of it
    bool has_frame_info(Pfn mfn) const { return mfn < frames_.size() && access_.is_ram(mfn); }  // RAM: refcounted
    size_t frame_count() const { return frames_.size(); }

private:
    friend class EntryUpdater;  // the entry-update path (pv/entry_updater.hpp) works on the internals below
    static constexpr Pfn kNoParent = ~Pfn{0};

    // General count (lock-free).
    uint16_t get_ref_and_owner(Pfn mfn);  // kOwnerNone if the count is 0 or would overflow
    bool get_ref(Pfn mfn, uint16_t domain);
    void drop_ref(Pfn mfn);
    void free_frame(Pfn mfn);

    // Type count; table types need the owner's page-table lock held.
    Status get_type_held(Pfn mfn, PageType type);
    void put_type_held(Pfn mfn, Pfn parent_table);
    Status get_page_and_type_held(Pfn mfn, PageType type, uint16_t domain);

    // Validation and de-validation of whole pages (page_validation.cpp).
    Status validate(Pfn mfn, PageType type);
    void devalidate(Pfn mfn, PageType type);
    Status validate_l1(Pfn mfn, uint16_t owner);
    Status validate_upper(Pfn mfn, unsigned level, uint16_t owner);
    void drop_entries(Pfn mfn, unsigned level, unsigned end);

    // References held by one entry (page_validation.cpp).
    Status take_l1_refs(uint64_t entry, uint16_t table_owner, uint16_t page_owner, uint64_t* flip);
    void drop_l1_refs(uint64_t entry);
    Status take_upper_refs(Pfn table, unsigned level, uint64_t entry, uint16_t owner);
    bool take_linear_refs(Pfn table, unsigned level, uint64_t entry, uint16_t owner);
    void drop_upper_refs(Pfn table, uint64_t entry);
    uint64_t mmio_flip(uint64_t entry) const;

    Status modify_entry(Pfn table, unsigned level, unsigned index, uint64_t new_entry, uint16_t owner,
                        uint16_t page_owner, bool preserve_ad);
    // The entry `slot` names, with lock_for(owner) held (grant_entries.cpp). `held` is the L1 whose general
    // ref was taken for the caller to drop (entry form), or kNoParent (address form).
    Result<uint64_t*> grant_slot(const GrantSlot& slot, uint16_t owner, Pfn& held);
    Result<uint64_t*> grant_slot_of_entry(const GrantSlot& slot, uint16_t owner, Pfn& held);
    void release_grant_slot(Pfn held) {
        if (held != kNoParent)
            drop_ref(held);
    }

    TicketLock& lock_for(uint16_t domain) { return locks_[domain % kLockStripes]; }
    // Every frame reached here has a FrameInfo by construction; checked anyway, since a broken invariant
    // would otherwise become a write outside the frame table.
    FrameInfo& frame(Pfn mfn) {
        HV_ASSERT(mfn < frames_.size());
        return frames_[mfn];
    }
    const FrameInfo& frame(Pfn mfn) const {
        HV_ASSERT(mfn < frames_.size());
        return frames_[mfn];
    }

    std::span<FrameInfo> frames_;
    FrameAccess& access_;
    TicketLock locks_[kLockStripes];
};

}  // namespace hv::pv
