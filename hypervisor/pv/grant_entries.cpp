// PageTypes, part three: the L1 entries of grant mappings (the contract is in page_types.hpp, next to the
// declarations). Everything runs under the table owner's page-table lock, like any other entry update, so
// validation and de-validation of the L1 never see a half-done change.
#include "pv/frame_state.hpp"
#include "pv/page_types.hpp"
#include "seam/panic.hpp"

namespace hv::pv {

using namespace frame_state;

namespace {

constexpr bool validated_table(uint64_t word, PageType type) { return live_type(word, static_cast<uint8_t>(type)); }

}  // namespace

// The entry form, out of line: the address form is the common one and needs no reference, so it is
// inlined into its three callers without this path's register pressure.
[[gnu::noinline]] Result<uint64_t*> PageTypes::grant_slot_of_entry(const GrantSlot& slot, uint16_t owner, Pfn& held) {
    const auto index = static_cast<unsigned>(slot.index_or_va);
    HV_ASSERT(index < kEntriesPerTable);
    // get_page() without its RAM check: a frame the core never counted has count 0, which
    // get_ref() refuses. Our reference pins the owner and keeps the frame allocated; the L1 may be
    // any frame the guest named, so nothing but that reference keeps it from changing hands.
    if (slot.table >= frames_.size() || !get_ref(slot.table, owner))
        return Status::InvalidArgument;
    if (!validated_table(load_type(frame(slot.table)), PageType::L1)) {
        drop_ref(slot.table);
        return Status::InvalidArgument;  // Xen: page_lock() fails or the type is not PGT_l1_page_table
    }
    held = slot.table;
    return &access_.table(slot.table)[index];
}

[[gnu::always_inline]] inline Result<uint64_t*> PageTypes::grant_slot(const GrantSlot& slot, uint16_t owner,
                                                                       Pfn& held) {
    held = kNoParent;
    if (!slot.linear)
        return grant_slot_of_entry(slot, owner, held);
    // The root is checked rather than trusted (a vCPU without a user L4 passes 0). Its type ref, held by
    // the calling vCPU, pins its owner.
    Pfn table = slot.table;
    if (table >= frames_.size() || !validated_table(load_type(frames_[table]), PageType::L4) ||
        load_owner(frames_[table]) != owner)
        return Status::InvalidArgument;
    const uint64_t va = slot.index_or_va;
    FrameAccess& access = access_;
    uint64_t* entries = access.table(table);
#pragma GCC unroll 3
    for (unsigned shift = 39; shift > 12; shift -= 9) {  // unrolled: constant shifts, no loop counter
        // Relaxed: the lock orders us after every writer; only the MMU's A/D updates can race.
        const uint64_t e = __atomic_load_n(&entries[(va >> shift) % kEntriesPerTable], __ATOMIC_RELAXED);
        if ((e & (pte::kPresent | pte::kLargePage)) != pte::kPresent)
            return Status::InvalidArgument;
        table = entry_frame(e);  // I4: a validated table of `owner` (one level lower, or a linear target)
        entries = access.table(table);
    }
    if (!validated_table(load_type(frame(table)), PageType::L1))
        return Status::InvalidArgument;
    return &entries[(va >> 12) % kEntriesPerTable];
}

Status PageTypes::install_grant_entry(const GrantSlot& where, uint64_t entry, uint16_t table_owner) {
    const Pfn target = entry_frame(entry);
    // The caller's references are what make this entry legal; check they are there (a
    // non-zero count implies RAM with a FrameInfo).
    HV_ASSERT(entry_present(entry) && target < frames_.size() && ref_count(load_ref(frame(target))) != 0);
    HV_ASSERT(!entry_writable(entry) || (static_cast<PageType>(type_bits(load_type(frame(target)))) == PageType::Writable &&
                                         type_refs(load_type(frame(target))) != 0));
    LockGuard guard(lock_for(table_owner));
    Pfn held;
    auto slot = grant_slot(where, table_owner, held);
    if (!slot.ok())
        return slot.status();
    const uint64_t old = exchange_entry(*slot, entry);
    drop_l1_refs(old);
    release_grant_slot(held);
    return Status::Ok;
}

Status PageTypes::remove_grant_entry(const GrantSlot& where, uint16_t table_owner, Pfn frame_mfn, bool writable,
                                     uint64_t replacement) {
    LockGuard guard(lock_for(table_owner));
    Pfn held;
    auto slot = grant_slot(where, table_owner, held);
    if (!slot.ok())
        return slot.status();
    uint64_t old = load_entry(*slot);
    Status status = Status::Ok;
    for (;;) {
        // Xen replace_grant_pv_mapping: the frame and the P/RW bits must match the grant.
        if (!entry_present(old) || entry_frame(old) != frame_mfn || entry_writable(old) != writable) {
            status = Status::InvalidArgument;
            break;
        }
        // The MMU may set A/D meanwhile; nothing else writes the entry while the lock is held.
        if (compare_exchange_entry(*slot, old, replacement))
            break;
    }
    release_grant_slot(held);
    return status;
}

Result<uint64_t> PageTypes::take_entry(const GrantSlot& where, uint16_t table_owner) {
    LockGuard guard(lock_for(table_owner));
    Pfn held;
    auto slot = grant_slot(where, table_owner, held);
    if (!slot.ok())
        return slot.status();
    const uint64_t old = exchange_entry(*slot, 0);
    release_grant_slot(held);
    return old;
}

void PageTypes::drop_entry_refs(uint64_t entry) { drop_l1_refs(entry); }

}  // namespace hv::pv
