// PageTypes, part two: the references one entry holds, whole-page validation and de-validation, and
// the update of one entry of a live table. Invariants I2-I5 of page_types.hpp are established here.
//
// Validation is check-then-commit: the first pass takes every entry's references (dropping them all again
// if one entry fails), the second writes the adjusted entries (and an L4's hypervisor slots). The page
// cannot change between the passes: it has no Writable type ref (I1/I3) and its owner's page-table lock
// is held.
#include <climits>

#include "pv/frame_refs.hpp"
#include "pv/frame_state.hpp"
#include "pv/page_types.hpp"
#include "seam/panic.hpp"

namespace hv::pv {

using namespace frame_state;

namespace {

constexpr PageType stored_type(uint64_t word) { return static_cast<PageType>(type_bits(word)); }

}  // namespace

// ---- references held by one entry --------------------------------------------------------------------

uint64_t PageTypes::mmio_flip(uint64_t entry) const {
    const Pfn target = entry_frame(entry);
    if (has_frame_info(target))
        return 0;
    uint64_t flip = mmio_cache_flip(entry);
    if (entry_writable(entry) && access_.mmio_read_only(target))
        flip |= pte::kWritable;
    return flip;
}

Status PageTypes::take_l1_refs(uint64_t entry, uint16_t table_owner, uint16_t page_owner, uint64_t* flip) {
    *flip = 0;
    const Pfn target = entry_frame(entry);
    if (!has_frame_info(target)) {
        if (!access_.io_allowed(page_owner, target) ||
            (page_owner != table_owner && !access_.io_allowed(table_owner, target)))
            return target == kEntryMaxFrame ? Status::InvalidArgument : Status::Permission;
        *flip = mmio_flip(entry);
        return Status::Ok;
    }
    const uint16_t owner = get_ref_and_owner(target);
    if (owner == kOwnerNone)
        return Status::Busy;  // free, hypervisor-held, or count saturated
    if (owner != page_owner) {
        drop_ref(target);
        return Status::Busy;
    }
    const bool writable = entry_writable(entry);
    if (writable && get_type_held(target, PageType::Writable) != Status::Ok) {
        drop_ref(target);
        return Status::Busy;
    }
    if ((entry & pte::kCacheAttributes) != 0 && is_hypervisor_page(target)) {
        if (writable)
            put_type_held(target, kNoParent);
        drop_ref(target);
        return Status::AccessDenied;  // Xen: -EACCES
    }
    return Status::Ok;
}

void PageTypes::drop_l1_refs(uint64_t entry) {
    const Pfn target = entry_frame(entry);
    if (!entry_present(entry) || !has_frame_info(target))
        return;
    FrameInfo& f = frame(target);
    // I3: a writable entry of RAM holds a Writable type ref (put_type_held's first case, inline: this runs
    // for every entry an update or a grant mapping replaces).
    if (entry_writable(entry))
        put_writable_ref(f);
    if (put_general_ref(f))
        free_frame(target);
}

Status PageTypes::take_upper_refs(Pfn table, unsigned level, uint64_t entry, uint16_t owner) {
    const Status status = get_page_and_type_held(entry_frame(entry), table_type(level - 1), owner);
    if (status == Status::InvalidArgument && take_linear_refs(table, level, entry, owner))
        return Status::Ok;
    return status;
}

// A read-only entry naming a table of the entry's own level: the table itself (no references), or another
// already validated one that holds no linear entries, from a table that is not itself a linear target (I5).
bool PageTypes::take_linear_refs(Pfn table, unsigned level, uint64_t entry, uint16_t owner) {
    if (entry_writable(entry))
        return false;
    const Pfn target = entry_frame(entry);
    if (target == table)
        return true;
    if (!get_page(target, owner))
        return false;

    FrameInfo& holder = frame(table);
    uint64_t holder_word = load_type(holder);
    do {
        if (linear(holder_word) < 0 || linear(holder_word) >= SHRT_MAX) {
            drop_ref(target);
            return false;
        }
    } while (!exchange_type(holder, holder_word, with_linear(holder_word, linear(holder_word) + 1)));

    FrameInfo& used = frame(target);
    uint64_t used_word = load_type(used);
    do {
        const bool usable = stored_type(used_word) == table_type(level) && (used_word & kValidated) != 0 &&
                            type_refs(used_word) != 0 && type_refs(used_word) != kTypeCountMask &&
                            linear(used_word) <= 0 && linear(used_word) > SHRT_MIN;
        if (!usable) {
            holder_word = load_type(holder);
            while (!exchange_type(holder, holder_word, with_linear(holder_word, linear(holder_word) - 1))) {
            }
            drop_ref(target);
            return false;
        }
    } while (!exchange_type(used, used_word, with_linear(used_word + 1, linear(used_word) - 1)));
    return true;
}

void PageTypes::drop_upper_refs(Pfn table, uint64_t entry) {
    const Pfn target = entry_frame(entry);
    if (!entry_present(entry) || target == table)
        return;
    put_type_held(target, table);
    drop_ref(target);
}

// ---- whole pages ------------------------------------------------------------------------------------

Status PageTypes::validate(Pfn mfn, PageType type) {
    const uint16_t owner = load_owner(frame(mfn));
    switch (type) {
    case PageType::L1:
        return validate_l1(mfn, owner);
    case PageType::L2:
    case PageType::L3:
    case PageType::L4:
        return validate_upper(mfn, table_level(type), owner);
    case PageType::SegDesc:
        return access_.validate_descriptor_page(owner, mfn);
    default:
        panic("validate: frame %#llx has no contents to check for type %u", static_cast<unsigned long long>(mfn),
              static_cast<unsigned>(type));
    }
}

void PageTypes::devalidate(Pfn mfn, PageType type) { drop_entries(mfn, table_level(type), kEntriesPerTable); }

// Drops the references of entries [0, end), last first (the reverse of validation).
void PageTypes::drop_entries(Pfn mfn, unsigned level, unsigned end) {
    const uint64_t* entries = access_.table(mfn);
    for (unsigned i = end; i-- > 0;) {
        if (level == 4 && !is_guest_l4_slot(i))
            continue;
        const uint64_t entry = load_entry(&entries[i]);
        if (level == 1)
            drop_l1_refs(entry);
        else
            drop_upper_refs(mfn, entry);
    }
}

Status PageTypes::validate_l1(Pfn mfn, uint16_t owner) {
    uint64_t* entries = access_.table(mfn);
    const bool io_capable = access_.io_capable(owner);
    for (unsigned i = 0; i < kEntriesPerTable; ++i) {
        const uint64_t entry = load_entry(&entries[i]);
        Status status = check_entry(1, entry, io_capable);
        uint64_t flip = 0;
        if (status == Status::Ok && entry_present(entry))
            status = take_l1_refs(entry, owner, owner, &flip);
        if (status != Status::Ok) {
            drop_entries(mfn, 1, i);
            return status;
        }
    }
    for (unsigned i = 0; i < kEntriesPerTable; ++i) {
        const uint64_t entry = load_entry(&entries[i]);
        if (entry_present(entry))
            store_entry(&entries[i], adjust_entry(1, entry ^ mmio_flip(entry)));
    }
    return Status::Ok;
}

Status PageTypes::validate_upper(Pfn mfn, unsigned level, uint16_t owner) {
    uint64_t* entries = access_.table(mfn);
    for (unsigned i = 0; i < kEntriesPerTable; ++i) {
        if (level == 4 && !is_guest_l4_slot(i))
            continue;
        const uint64_t entry = load_entry(&entries[i]);
        Status status = check_entry(level, entry, false);
        if (status == Status::Ok && entry_present(entry))
            status = take_upper_refs(mfn, level, entry, owner);
        if (status != Status::Ok) {
            drop_entries(mfn, level, i);
            return status;
        }
    }
    for (unsigned i = 0; i < kEntriesPerTable; ++i) {
        if (level == 4 && !is_guest_l4_slot(i))
            continue;
        const uint64_t entry = load_entry(&entries[i]);
        if (entry_present(entry))
            store_entry(&entries[i], adjust_entry(level, entry));
    }
    if (level == 4) {
        uint64_t slots[kHypervisorL4Slots];
        access_.hypervisor_l4_slots(mfn, slots);
        for (unsigned i = 0; i < kHypervisorL4Slots; ++i)
            store_entry(&entries[kFirstHypervisorL4Slot + i], slots[i]);
    }
    return Status::Ok;
}

// ---- one entry of a live table ------------------------------------------------------------------------

Status PageTypes::modify_entry(Pfn table, unsigned level, unsigned index, uint64_t new_entry, uint16_t owner,
                               uint16_t page_owner, bool preserve_ad) {
    if (level == 4 && !is_guest_l4_slot(index))
        return Status::InvalidArgument;
    uint64_t* slot = &access_.table(table)[index];
    const uint64_t old_entry = load_entry(slot);
    if (entry_present(new_entry)) {
        HV_TRY(check_entry(level, new_entry, level == 1 && access_.io_capable(owner)));
        new_entry = adjust_entry(level, new_entry);
        if (same_mapping(old_entry, new_entry)) {
            write_live_entry(slot, old_entry, new_entry, preserve_ad);
            return Status::Ok;
        }
        // New references first: the old entry may hold the last reference the new one needs.
        if (level == 1) {
            uint64_t flip = 0;
            HV_TRY(take_l1_refs(new_entry, owner, page_owner, &flip));
            new_entry ^= flip;
        } else {
            HV_TRY(take_upper_refs(table, level, new_entry, owner));
        }
    }
    write_live_entry(slot, old_entry, new_entry, preserve_ad);
    if (level == 1)
        drop_l1_refs(old_entry);
    else
        drop_upper_refs(table, old_entry);
    return Status::Ok;
}

}  // namespace hv::pv
