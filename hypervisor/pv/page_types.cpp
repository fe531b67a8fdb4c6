// PageTypes: ownership, general references, type references, pins and entry updates. Model, invariants,
// locking and status codes: page_types.hpp. Whole-page validation and per-entry references:
// page_validation.cpp.
#include "pv/page_types.hpp"

#include "pv/entry_updater.hpp"
#include "pv/frame_refs.hpp"
#include "pv/frame_state.hpp"
#include "seam/panic.hpp"

namespace hv::pv {

using namespace frame_state;

namespace {

constexpr uint8_t raw(PageType t) { return static_cast<uint8_t>(t); }
constexpr PageType stored_type(uint64_t word) { return static_cast<PageType>(type_bits(word)); }

}  // namespace

PageTypes::PageTypes(std::span<FrameInfo> frames, FrameAccess& access) : frames_(frames), access_(access) {}

// ---- ownership ---------------------------------------------------------------------------------------

Status PageTypes::assign(Pfn mfn, uint16_t domain) {
    if (!has_frame_info(mfn) || domain == kOwnerNone)
        return Status::InvalidArgument;
    FrameInfo& f = frame(mfn);
    if (load_ref(f) != 0)
        return Status::Busy;
    // Nobody can look at owner/type_info while the count is 0; the release exchange below publishes them.
    store_owner(f, domain);
    store_type(f, 0);
    uint32_t expected = 0;
    return exchange_ref(f, expected, kAllocated | 1) ? Status::Ok : Status::Busy;
}

Status PageTypes::assign_shared(Pfn mfn, uint16_t domain) {
    if (!has_frame_info(mfn) || domain == kOwnerNone)
        return Status::InvalidArgument;
    FrameInfo& f = frame(mfn);
    if (load_ref(f) != 0)
        return Status::Busy;
    store_owner(f, domain);
    store_type(f, with_type(kValidated | 1, raw(PageType::Writable)));
    uint32_t expected = 0;
    return exchange_ref(f, expected, kAllocated | kHypervisorPage | 1) ? Status::Ok : Status::Busy;
}

Status PageTypes::release(Pfn mfn, uint16_t domain) {
    if (!has_frame_info(mfn) || !get_ref(mfn, domain))
        return Status::InvalidArgument;
    FrameInfo& f = frame(mfn);
    uint32_t word = load_ref(f);
    do {
        if ((word & kAllocated) == 0) {
            drop_ref(mfn);
            return Status::InvalidArgument;
        }
    } while (!exchange_ref(f, word, word & ~kAllocated));
    if (word & kHypervisorPage)
        put_type_held(mfn, kNoParent);  // the permanent Writable ref: never needs a lock
    drop_ref(mfn);                               // the allocation ref
    drop_ref(mfn);                               // ours
    return Status::Ok;
}

Status PageTypes::steal(Pfn mfn, uint16_t domain) {
    // Holding a reference while checking pins the owner (the count cannot reach 0 and the frame
    // cannot change hands under us); the exchange then succeeds only if ours and the allocation ref
    // are the only two.
    if (!has_frame_info(mfn) || !get_ref(mfn, domain))
        return Status::InvalidArgument;
    FrameInfo& f = frame(mfn);
    uint32_t expected = kAllocated | 2;
    if (!exchange_ref(f, expected, 0)) {
        drop_ref(mfn);
        return Status::Busy;
    }
    store_owner(f, kOwnerNone);
    return Status::Ok;
}

// ---- general references ------------------------------------------------------------------------------

uint16_t PageTypes::get_ref_and_owner(Pfn mfn) { return get_general_ref(frame(mfn)); }

bool PageTypes::get_ref(Pfn mfn, uint16_t domain) {
    const uint16_t owner = get_ref_and_owner(mfn);
    if (owner == domain && owner != kOwnerNone)
        return true;
    if (owner != kOwnerNone)
        drop_ref(mfn);
    return false;
}

void PageTypes::drop_ref(Pfn mfn) {
    if (put_general_ref(frame(mfn)))
        free_frame(mfn);
}

void PageTypes::free_frame(Pfn mfn) {
    FrameInfo& f = frame(mfn);
    const uint32_t word = load_ref(f);
    HV_ASSERT((word & kAllocated) == 0);
    const uint64_t type = load_type(f);
    HV_ASSERT(type_refs(type) == 0 && (type & kPinned) == 0 && linear(type) == 0);
    store_type(f, 0);
    store_owner(f, kOwnerNone);
    store_ref(f, 0);
    access_.frame_freed(mfn, (word & kHypervisorPage) != 0);
}

// No has_frame_info() needed: a frame that is not RAM has count 0 (I7), which get_ref() refuses.
bool PageTypes::get_page(Pfn mfn, uint16_t domain) { return mfn < frames_.size() && get_ref(mfn, domain); }

void PageTypes::put_page(Pfn mfn) {
    HV_ASSERT(has_frame_info(mfn));
    drop_ref(mfn);
}

// ---- type references ----------------------------------------------------------------------------------

Status PageTypes::get_type_held(Pfn mfn, PageType type) {
    FrameInfo& f = frame(mfn);
    if (type == PageType::Writable)
        return get_writable_ref(f) ? Status::Ok : Status::InvalidArgument;
    uint64_t old_word = load_type(f);
    uint64_t new_word;
    do {
        const uint32_t count = type_refs(old_word);
        if (count == kTypeCountMask)
            return Status::InvalidArgument;
        if (count == 0) {
            HV_ASSERT((old_word & kPinned) == 0 && linear(old_word) == 0);
            // The validating state (count 1, not validated) keeps every other type out until validate()
            // finishes.
            new_word = with_type(1, raw(type));
        } else {
            // A table or SegDesc type seen unvalidated is being (de)validated by the holder of its owner's
            // lock: for a same-owner caller that is a recursion into a page already on the validation
            // path, which only a cycle could produce; refuse rather than wait.
            if (stored_type(old_word) != type || (old_word & kValidated) == 0)
                return Status::InvalidArgument;
            new_word = old_word + 1;
        }
    } while (!exchange_type(f, old_word, new_word));

    if (new_word & kValidated)
        return Status::Ok;
    if (stored_type(old_word) == PageType::Writable)
        access_.flush_before_protect(load_owner(f), mfn);
    const Status status = validate(mfn, type);
    uint64_t word = load_type(f);
    if (status == Status::Ok) {
        while (!exchange_type(f, word, word | kValidated)) {
        }
        return Status::Ok;
    }
    // Nothing else can have changed the word during validation (I2): restore it exactly.
    HV_ASSERT(word == new_word);
    const bool restored = exchange_type(f, word, old_word);
    HV_ASSERT(restored);
    return status;
}

// `parent_table`: the table whose entry held this ref, so that a linear entry (same type as the parent)
// also gives back its linear counts; kNoParent for any other holder.
void PageTypes::put_type_held(Pfn mfn, Pfn parent_table) {
    FrameInfo& f = frame(mfn);
    uint64_t word = load_type(f);
    const PageType type = stored_type(word);
    if (type == PageType::Writable)
        return put_writable_ref(f);
    bool linear_use = false;
    if (parent_table < frames_.size() && is_table_type(type)) {
        FrameInfo& parent = frame(parent_table);
        uint64_t parent_word = load_type(parent);
        if (stored_type(parent_word) == type) {
            linear_use = true;
            do {
                HV_ASSERT(linear(parent_word) > 0);
            } while (!exchange_type(parent, parent_word, with_linear(parent_word, linear(parent_word) - 1)));
        }
    }
    for (;;) {
        const uint32_t count = type_refs(word);
        HV_ASSERT(count != 0 && (word & kValidated) != 0);
        uint64_t new_word = word - 1;
        if (linear_use) {
            HV_ASSERT(linear(word) < 0);
            new_word = with_linear(new_word, linear(word) + 1);
        }
        if (count == 1) {
            HV_ASSERT((word & kPinned) == 0);
            if (is_table_type(type)) {
                // De-validating state: count stays 1 until every entry's references are gone.
                new_word = (new_word + 1) & ~kValidated;
                if (!exchange_type(f, word, new_word))
                    continue;
                devalidate(mfn, type);
                // Only the table's own linear entries (dropped just now) may have changed the word.
                word = load_type(f);
                HV_ASSERT(((word ^ new_word) & ~kLinearMask) == 0 && linear(word) == 0);
                const bool dropped = exchange_type(f, word, word - 1);
                HV_ASSERT(dropped);
                return;
            }
            new_word &= ~kValidated;
        }
        if (exchange_type(f, word, new_word))
            return;
    }
}

Status PageTypes::get_page_and_type_held(Pfn mfn, PageType type, uint16_t domain) {
    if (!get_page(mfn, domain))
        return Status::InvalidArgument;
    const Status status = get_type_held(mfn, type);
    if (status != Status::Ok)
        drop_ref(mfn);
    return status;
}

Status PageTypes::get_type(Pfn mfn, PageType type, uint16_t domain) {
    if (type == PageType::None || !has_frame_info(mfn) || owner_of(mfn) != domain)
        return Status::InvalidArgument;
    HV_ASSERT(general_count(mfn) != 0);
    if (type == PageType::Writable)
        return get_type_held(mfn, type);
    LockGuard guard(lock_for(domain));
    return get_type_held(mfn, type);
}

void PageTypes::put_type(Pfn mfn) {
    HV_ASSERT(has_frame_info(mfn));
    // The caller's ref keeps the type (and the owner) stable.
    if (stored_type(load_type(frame(mfn))) == PageType::Writable)
        return put_type_held(mfn, kNoParent);
    LockGuard guard(lock_for(owner_of(mfn)));
    put_type_held(mfn, kNoParent);
}

Status PageTypes::get_page_and_type(Pfn mfn, PageType type, uint16_t domain) {
    if (type == PageType::None)
        return Status::InvalidArgument;
    if (type == PageType::Writable)
        return get_page_and_type_held(mfn, type, domain);
    LockGuard guard(lock_for(domain));
    return get_page_and_type_held(mfn, type, domain);
}

void PageTypes::put_page_and_type(Pfn mfn) {
    put_type(mfn);
    put_page(mfn);
}

// ---- pins ------------------------------------------------------------------------------------------

Status PageTypes::pin(Pfn mfn, PageType level, uint16_t domain) {
    if (!is_table_type(level))
        return Status::InvalidArgument;
    LockGuard guard(lock_for(domain));
    HV_TRY(get_page_and_type_held(mfn, level, domain));
    FrameInfo& f = frame(mfn);
    uint64_t word = load_type(f);
    do {
        if (word & kPinned) {
            put_type_held(mfn, kNoParent);
            drop_ref(mfn);
            return Status::InvalidArgument;
        }
    } while (!exchange_type(f, word, word | kPinned));
    return Status::Ok;
}

Status PageTypes::unpin(Pfn mfn, uint16_t domain) {
    LockGuard guard(lock_for(domain));
    if (!get_page(mfn, domain))
        return Status::InvalidArgument;
    FrameInfo& f = frame(mfn);
    uint64_t word = load_type(f);
    do {
        if ((word & kPinned) == 0) {
            drop_ref(mfn);
            return Status::InvalidArgument;
        }
    } while (!exchange_type(f, word, word & ~kPinned));
    put_type_held(mfn, kNoParent);
    drop_ref(mfn);  // the pin's
    drop_ref(mfn);  // ours
    return Status::Ok;
}

// ---- entry updates ---------------------------------------------------------------------------------

Status PageTypes::update_entry(Pfn table_mfn, unsigned index, uint64_t new_entry, uint16_t domain, bool preserve_ad) {
    return update_foreign_entry(table_mfn, index, new_entry, domain, domain, preserve_ad);
}

Status PageTypes::update_foreign_entry(Pfn table_mfn, unsigned index, uint64_t new_entry, uint16_t table_owner,
                                       uint16_t page_owner, bool preserve_ad) {
    EntryUpdater updater(*this, table_owner, page_owner);
    return updater.update(table_mfn, index, new_entry, preserve_ad);
}

// ---- queries --------------------------------------------------------------------------------------

PageType PageTypes::type_of(Pfn mfn) const {
    if (mfn >= frames_.size())
        return PageType::None;
    const uint64_t word = load_type(frame(mfn));
    return type_refs(word) == 0 ? PageType::None : stored_type(word);
}

uint32_t PageTypes::type_count(Pfn mfn) const {
    return mfn < frames_.size() ? frame_state::type_refs(load_type(frame(mfn))) : 0;
}

uint32_t PageTypes::general_count(Pfn mfn) const { return mfn < frames_.size() ? ref_count(load_ref(frame(mfn))) : 0; }

bool PageTypes::is_pinned(Pfn mfn) const { return mfn < frames_.size() && (load_type(frame(mfn)) & kPinned) != 0; }

bool PageTypes::is_validated(Pfn mfn) const {
    return mfn < frames_.size() && (load_type(frame(mfn)) & kValidated) != 0 && type_count(mfn) != 0;
}

bool PageTypes::is_allocated(Pfn mfn) const { return mfn < frames_.size() && (load_ref(frame(mfn)) & kAllocated) != 0; }

bool PageTypes::is_hypervisor_page(Pfn mfn) const {
    return mfn < frames_.size() && (load_ref(frame(mfn)) & kHypervisorPage) != 0;
}

uint16_t PageTypes::owner_of(Pfn mfn) const {
    if (mfn >= frames_.size() || ref_count(load_ref(frame(mfn))) == 0)
        return kOwnerNone;
    return load_owner(frame(mfn));
}

int PageTypes::linear_count(Pfn mfn) const { return mfn < frames_.size() ? linear(load_type(frame(mfn))) : 0; }

}  // namespace hv::pv
