// PageTypes, part three: the L1 entries of grant mappings (the contract is in page_types.hpp, next to the
// declarations). Everything runs under the table owner's page-table lock, like any other entry update, so
// validation and de-validation of the L1 never see a half-done change.
#include "pv/frame_state.hpp"
#include "pv/page_types.hpp"
#include "seam/panic.hpp"

namespace hv::pv {

using namespace frame_state;

Result<uint64_t*> PageTypes::grant_slot(Pfn l1_mfn, unsigned index, uint16_t owner) {
    HV_ASSERT(index < kEntriesPerTable);
    // get_page() without its RAM check: a frame the core never counted has count 0, which
    // get_ref() refuses. Our reference pins the owner and keeps the frame allocated.
    if (l1_mfn >= frames_.size() || !get_ref(l1_mfn, owner))
        return Status::InvalidArgument;
    const uint64_t word = load_type(frame(l1_mfn));
    if (static_cast<PageType>(type_bits(word)) != PageType::L1 || type_refs(word) == 0 || (word & kValidated) == 0) {
        drop_ref(l1_mfn);
        return Status::InvalidArgument;  // Xen: page_lock() fails or the type is not PGT_l1_page_table
    }
    return &access_.table(l1_mfn)[index];
}

Status PageTypes::install_grant_entry(Pfn l1_mfn, unsigned index, uint64_t entry, uint16_t table_owner) {
    const Pfn target = entry_frame(entry);
    // The caller's references are what make this entry legal; check they are there (a
    // non-zero count implies RAM with a FrameInfo).
    HV_ASSERT(entry_present(entry) && target < frames_.size() && ref_count(load_ref(frame(target))) != 0);
    HV_ASSERT(!entry_writable(entry) || (static_cast<PageType>(type_bits(load_type(frame(target)))) == PageType::Writable &&
                                         type_refs(load_type(frame(target))) != 0));
    LockGuard guard(lock_for(table_owner));
    auto slot = grant_slot(l1_mfn, index, table_owner);
    if (!slot.ok())
        return slot.status();
    const uint64_t old = exchange_entry(*slot, entry);
    drop_l1_refs(old);
    drop_ref(l1_mfn);
    return Status::Ok;
}

Status PageTypes::remove_grant_entry(Pfn l1_mfn, unsigned index, uint16_t table_owner, Pfn frame_mfn, bool writable,
                                     uint64_t replacement) {
    LockGuard guard(lock_for(table_owner));
    auto slot = grant_slot(l1_mfn, index, table_owner);
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
    drop_ref(l1_mfn);
    return status;
}

Result<uint64_t> PageTypes::take_entry(Pfn l1_mfn, unsigned index, uint16_t table_owner) {
    LockGuard guard(lock_for(table_owner));
    auto slot = grant_slot(l1_mfn, index, table_owner);
    if (!slot.ok())
        return slot.status();
    const uint64_t old = exchange_entry(*slot, 0);
    drop_ref(l1_mfn);
    return old;
}

void PageTypes::drop_entry_refs(uint64_t entry) { drop_l1_refs(entry); }

}  // namespace hv::pv
