// EntryUpdater: entry updates with a cached table and the L1 permission-flip shortcut; the contract and
// why the shortcuts give the same results as the general path are in entry_updater.hpp.
#include "pv/entry_updater.hpp"

#include "pv/frame_state.hpp"
#include "seam/panic.hpp"

namespace hv::pv {

using namespace frame_state;

namespace {

constexpr PageType stored_type(uint64_t word) { return static_cast<PageType>(type_bits(word)); }

}  // namespace

EntryUpdater::EntryUpdater(PageTypes& types, uint16_t table_owner, uint16_t page_owner)
    : types_(types),
      lock_(types.lock_for(table_owner)),
      table_owner_(table_owner),
      page_owner_(page_owner),
      l1_disallowed_(disallowed_flags(1, types.access_.io_capable(table_owner))) {}

EntryUpdater::~EntryUpdater() { release_table(); }

Status EntryUpdater::update(Pfn table, unsigned index, uint64_t new_entry, bool preserve_ad) {
    return run(table, index, new_entry, preserve_ad, Accept::AnyPage);
}

Status EntryUpdater::update_l1(Pfn table, unsigned index, uint64_t new_entry) {
    return run(table, index, new_entry, false, Accept::L1Only);
}

bool EntryUpdater::hold_table(Pfn table) {
    release_table();
    if (!types_.get_page(table, table_owner_))
        return false;
    table_ = table;
    table_info_ = &types_.frame(table);
    entries_ = types_.access_.table(table);
    return true;
}

void EntryUpdater::release_table() {
    if (table_ == kNoTable)
        return;
    types_.drop_ref(table_);
    table_ = kNoTable;
}

Status EntryUpdater::run(Pfn table, unsigned index, uint64_t new_entry, bool preserve_ad, Accept accept) {
    HV_ASSERT(index < kEntriesPerTable);
    if (table != table_ && !hold_table(table))
        return Status::InvalidArgument;
    LockGuard guard(lock_);
    // The type read here holds until the write: table types are gained and lost only under this lock
    // (I2), and a live table has no Writable ref (I3) that anyone could turn into a Writable type; a page
    // that is not a live table is written holding a Writable ref, which keeps table types out.
    const uint64_t word = load_type(*table_info_);
    const PageType type = stored_type(word);
    const bool live = type_refs(word) != 0 && (word & kValidated) != 0 && is_table_type(type);
    if (live && type == PageType::L1)
        return update_l1_held(index, new_entry, preserve_ad);
    if (accept == Accept::L1Only || (live && page_owner_ != table_owner_))
        return Status::InvalidArgument;
    if (live) {
        HV_TRY(types_.modify_entry(table_, table_level(type), index, new_entry, table_owner_, page_owner_, preserve_ad));
        changed_upper_ = true;
        return Status::Ok;
    }
    // Not a live table: an ordinary write, made while holding a Writable ref so that the page cannot
    // become a table meanwhile.
    if (types_.get_type_held(table_, PageType::Writable) != Status::Ok)
        return Status::InvalidArgument;
    store_entry(&entries_[index], new_entry);
    types_.put_type_held(table_, PageTypes::kNoParent);
    return Status::Ok;
}

Status EntryUpdater::update_l1_held(unsigned index, uint64_t new_entry, bool preserve_ad) {
    uint64_t* slot = &entries_[index];
    const uint64_t old_entry = load_entry(slot);
    if (entry_present(new_entry)) {
        if ((new_entry & l1_disallowed_) != 0)
            return Status::InvalidArgument;
        const uint64_t adjusted = adjust_entry(1, new_entry);
        const uint64_t changed = (old_entry ^ adjusted) & kMappingBits;
        if (changed == 0) {  // same_mapping(): no reference moves
            write_live_entry(slot, old_entry, adjusted, preserve_ad);
            return Status::Ok;
        }
        // The permission flip (entry_updater.hpp): old and new are present, same frame and cache
        // attributes, RW differs. A general count in [1, limit) means RAM (frames without FrameInfo never
        // gain a reference, I7) with the old entry's reference on it; the owner is then stable.
        const Pfn target = entry_frame(adjusted);
        if (changed == pte::kWritable && target < types_.frames_.size()) {
            FrameInfo& f = types_.frames_[target];
            const uint32_t count = ref_count(load_ref(f));
            if (count != 0 && count < kCountLimit && load_owner(f) == page_owner_) {
                if (entry_writable(adjusted)) {
                    if (types_.get_type_held(target, PageType::Writable) != Status::Ok)
                        return Status::Busy;  // as take_l1_refs(): a table or SegDesc page, or a saturated count
                    write_live_entry(slot, old_entry, adjusted, preserve_ad);
                } else {
                    write_live_entry(slot, old_entry, adjusted, preserve_ad);
                    types_.put_type_held(target, PageTypes::kNoParent);
                }
                return Status::Ok;
            }
        }
    }
    return types_.modify_entry(table_, 1, index, new_entry, table_owner_, page_owner_, preserve_ad);
}

}  // namespace hv::pv
