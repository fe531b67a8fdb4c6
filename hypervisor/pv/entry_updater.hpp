// EntryUpdater: a run of page-table entry updates made by one caller on one CPU (one mmu_update batch,
// one update_va_mapping): the hot path of a PV guest's memory management. Each update gives exactly the
// result PageTypes::update_foreign_entry specifies (that function is one EntryUpdater update); these
// shortcuts make a run cheap without changing any result:
//
//  - Table cache. The updater keeps a general reference on the table it last updated, with the table's
//    direct-map address, so consecutive updates of one table skip the lookup and the ownership check.
//    While that reference is held the frame cannot be freed, so its owner (checked when the reference
//    was taken) cannot change; its type can, so the type word is re-read under the page-table lock on
//    every update. The reference is dropped when the run moves to another table and at destruction,
//    never under the page-table lock (dropping the last one frees the frame, see FrameAccess).
//
//  - Permission flip. An L1 update that keeps the frame and the cache attributes of a present entry and
//    only adds or removes RW moves no general reference: the old entry's reference on the frame is the
//    new entry's. Only the Writable type ref moves, exactly as take_l1_refs()/drop_l1_refs() would move
//    it (taken before the write, dropped after it). The shortcut is taken only when the slow path could
//    not fail for any other reason: the frame is RAM owned by the page owner with a general count below
//    the limit (so no foreign or grant mapping, which the slow path refuses with Busy, gains RW), and the
//    cache attributes are those the old entry was already accepted with (the hypervisor-page check gives
//    the same answer while the old entry keeps the frame allocated).
//
//  - update_va_mapping walks to its L1 under the page-table lock, where the tables on the path are
//    validated tables of the table owner that nobody else can change, so the walk takes no references.
//
// Not shared between CPUs; several updaters (one per vCPU) may run on one domain's tables at once: every
// entry write and type change still happens under the table owner's page-table lock or by CAS, as
// page_types.hpp describes.
#pragma once

#include <cstdint>

#include "lib/spinlock.hpp"
#include "lib/status.hpp"
#include "memory/frame.hpp"
#include "pv/page_types.hpp"

namespace hv::pv {

class EntryUpdater {
public:
    // Updates of tables owned by `table_owner` whose L1 entries may map frames of `page_owner` (the same
    // domain, or one the caller checked `table_owner` may map).
    EntryUpdater(PageTypes& types, uint16_t table_owner, uint16_t page_owner)
        : types_(types),
          lock_(types.lock_for(table_owner)),
          table_owner_(table_owner),
          page_owner_(page_owner) {}
    ~EntryUpdater() {
        if (table_ != kNoTable)
            release_table();
    }
    EntryUpdater(const EntryUpdater&) = delete;
    EntryUpdater& operator=(const EntryUpdater&) = delete;

    // mmu_update MMU_NORMAL_PT_UPDATE / MMU_PT_UPDATE_PRESERVE_AD: see PageTypes::update_entry.
    [[nodiscard]] Status update(Pfn table, unsigned index, uint64_t new_entry, bool preserve_ad);
    // update_va_mapping: the L1 entry that maps `va` (canonical, outside the hypervisor's slots) in the
    // tables under `l4`, the table owner's current L4 (validated, referenced by the caller). Only a
    // validated L1 is updated (Xen: -EINVAL otherwise, and when the walk finds no L1).
    [[nodiscard]] Status update_mapping(Pfn l4, uint64_t va, uint64_t new_entry);
    // Some successful update changed an entry of an L2-L4 table (the caller's TLB flush decision).
    bool changed_upper() const { return changed_upper_; }

private:
    static constexpr Pfn kNoTable = ~Pfn{0};
    bool hold_table(Pfn table);
    void release_table();
    [[gnu::always_inline]] inline Status update_l1_held(Pfn table, uint64_t* entries, unsigned index, uint64_t new_entry, bool preserve_ad);

    PageTypes& types_;
    TicketLock& lock_;
    const uint16_t table_owner_;
    const uint16_t page_owner_;
    bool changed_upper_ = false;
    Pfn table_ = kNoTable;  // the table whose general ref is held, or kNoTable
    FrameInfo* table_info_ = nullptr;
    uint64_t* entries_ = nullptr;
};

}  // namespace hv::pv
