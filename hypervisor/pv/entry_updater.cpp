// EntryUpdater: entry updates with a cached table and the L1 permission-flip shortcut; the contract and
// why the shortcuts give the same results as the general path are in entry_updater.hpp.
#include "pv/entry_updater.hpp"

#include <span>

#include "pv/frame_refs.hpp"
#include "pv/frame_state.hpp"
#include "seam/panic.hpp"

namespace hv::pv {

using namespace frame_state;

namespace {

constexpr PageType stored_type(uint64_t word) { return static_cast<PageType>(type_bits(word)); }
// A table type with references, validated: its entries follow I4 (page_types.hpp).
constexpr bool is_live_table(uint64_t word) {
    return type_refs(word) != 0 && (word & kValidated) != 0 && is_table_type(stored_type(word));
}

}  // namespace

Status EntryUpdater::update(Pfn table, unsigned index, uint64_t new_entry, bool preserve_ad) {
    HV_ASSERT(index < kEntriesPerTable);
    if (table != table_ && !hold_table(table))
        return Status::InvalidArgument;
    LockGuard guard(lock_);
    // The type read here holds until the write: table types are gained and lost only under this lock
    // (I2), and a live table has no Writable ref (I3) that anyone could turn into a Writable type; a page
    // that is not a live table is written holding a Writable ref, which keeps table types out.
    const uint64_t word = load_type(*table_info_);
    const PageType type = stored_type(word);
    if (is_live_table(word) && type == PageType::L1)
        return update_l1_held(table, entries_, index, new_entry, preserve_ad);
    if (is_live_table(word)) {
        if (page_owner_ != table_owner_)
            return Status::InvalidArgument;
        HV_TRY(types_.modify_entry(table, table_level(type), index, new_entry, table_owner_, page_owner_, preserve_ad));
        changed_upper_ = true;
        return Status::Ok;
    }
    // Not a live table: an ordinary write, made while holding a Writable ref so that the page cannot
    // become a table meanwhile.
    if (!get_writable_ref(*table_info_))
        return Status::InvalidArgument;
    store_entry(&entries_[index], new_entry);
    put_writable_ref(*table_info_);
    return Status::Ok;
}

// Every table on the walk is reached from `l4` through present entries of validated tables of the table
// owner, which name validated tables of the table owner (I4) and change only under the lock held here: so
// no table on the path can be freed or retyped during the update, and the walk needs no references. The
// bounds check only keeps a broken invariant from indexing outside the frame table.
Status EntryUpdater::update_mapping(Pfn l4, uint64_t va, uint64_t new_entry) {
    LockGuard guard(lock_);
    const std::span<FrameInfo> frames = types_.frames_;
    FrameAccess& access = types_.access_;
    // The caller's reference keeps `l4` a live L4 of the table owner (its CR3), never guest input.
    HV_ASSERT(l4 < frames.size());
    Pfn table = l4;
    uint64_t* entries = access.table(table);
    for (unsigned shift = 39; shift > kPageShift; shift -= 9) {
        const uint64_t entry = load_entry(&entries[(va >> shift) & (kEntriesPerTable - 1)]);
        if ((entry & (pte::kPresent | pte::kLargePage)) != pte::kPresent)
            return Status::InvalidArgument;
        table = entry_frame(entry);
        if (table >= frames.size())
            return Status::InvalidArgument;
        entries = access.table(table);
    }
    // A read-only linear entry on the path leads to a table of a higher level: Xen's update_va_mapping
    // refuses anything but an L1 (-EINVAL).
    const uint64_t word = load_type(frames[table]);
    if (!is_live_table(word) || stored_type(word) != PageType::L1)
        return Status::InvalidArgument;
    const unsigned index = static_cast<unsigned>((va >> kPageShift) & (kEntriesPerTable - 1));
    return update_l1_held(table, entries, index, new_entry, false);
}

// PageTypes::get_page(), with the frame kept in hand.
bool EntryUpdater::hold_table(Pfn table) {
    if (table_ != kNoTable)
        release_table();
    if (table >= types_.frames_.size())
        return false;
    FrameInfo& f = types_.frames_[table];
    const uint16_t owner = get_general_ref(f);
    if (owner != table_owner_ || owner == kOwnerNone) {
        if (owner != kOwnerNone)
            types_.drop_ref(table);
        return false;
    }
    table_ = table;
    table_info_ = &f;
    entries_ = types_.access_.table(table);
    return true;
}

void EntryUpdater::release_table() {
    if (put_general_ref(*table_info_))
        types_.free_frame(table_);
    table_ = kNoTable;
}

Status EntryUpdater::update_l1_held(Pfn table, uint64_t* entries, unsigned index, uint64_t new_entry, bool preserve_ad) {
    uint64_t* slot = &entries[index];
    const uint64_t old_entry = load_entry(slot);
    if (entry_present(new_entry)) {
        // check_entry(1, ...), asking the seam about the table owner only when cache attributes are set.
        if ((new_entry & disallowed_flags(1, true)) != 0 ||
            ((new_entry & pte::kCacheAttributes) != 0 && !types_.access_.io_capable(table_owner_)))
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
                    if (!get_writable_ref(f))
                        return Status::Busy;  // as take_l1_refs(): a table or SegDesc page, or a saturated count
                    write_live_entry(slot, old_entry, adjusted, preserve_ad);
                } else {
                    write_live_entry(slot, old_entry, adjusted, preserve_ad);
                    put_writable_ref(f);
                }
                return Status::Ok;
            }
        }
    }
    return types_.modify_entry(table, 1, index, new_entry, table_owner_, page_owner_, preserve_ad);
}

}  // namespace hv::pv
