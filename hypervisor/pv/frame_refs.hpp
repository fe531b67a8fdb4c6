// The two references the entry-update hot path moves, on one FrameInfo, lock-free (page_types.hpp has
// the model): a general reference, and the Writable type ref every writable L1 mapping holds (foreign
// mappings and grant-like uses take it without the owner's page-table lock; it never validates or
// de-validates anything). Internal to pv/: PageTypes builds its general-ref and Writable-type operations
// on these, and EntryUpdater calls them directly on frames it already has in hand.
#pragma once

#include "pv/frame_state.hpp"
#include "pv/page_types.hpp"
#include "seam/panic.hpp"

namespace hv::pv {

// A general reference on a frame with a non-zero count (I6: never revived from 0); returns its owner,
// stable while the reference is held, or kOwnerNone (nothing taken) when the count is 0 or at the limit.
inline uint16_t get_general_ref(FrameInfo& f) {
    using namespace frame_state;
    uint32_t word = load_ref(f);
    do {
        const uint32_t count = ref_count(word);
        if (count == 0 || count >= kCountLimit)
            return kOwnerNone;
    } while (!exchange_ref(f, word, word + 1));
    return load_owner(f);
}

// Drops a general reference; true when it was the last one, and the caller must free the frame
// (PageTypes::free_frame).
[[nodiscard]] inline bool put_general_ref(FrameInfo& f) {
    using namespace frame_state;
    uint32_t word = load_ref(f);
    do {
        HV_ASSERT(ref_count(word) != 0);
    } while (!exchange_ref(f, word, word - 1));
    return ref_count(word - 1) == 0;
}

// A Writable type ref. False (nothing changed) when the frame has another type with a non-zero count, or the count is full.
[[gnu::always_inline]] inline bool get_writable_ref(FrameInfo& f) {
    using namespace frame_state;
    constexpr uint8_t kWritable = static_cast<uint8_t>(PageType::Writable);
    uint64_t word = load_type(f);
    uint64_t next;
    do {
        const uint32_t count = type_refs(word);
        if (count == 0) {
            HV_ASSERT((word & kPinned) == 0 && linear(word) == 0);
            next = with_type(1, kWritable) | kValidated;  // a Writable page needs no checking
        } else if (type_bits(word) != kWritable || (word & kValidated) == 0 || count == kTypeCountMask) {
            return false;
        } else {
            next = word + 1;
        }
    } while (!exchange_type(f, word, next));
    return true;
}

// Drops one Writable type ref. The type stays Writable (and validated) at count 0, so that a later
// change to a table type knows to flush stale writable translations (FrameAccess::flush_before_protect).
[[gnu::always_inline]] inline void put_writable_ref(FrameInfo& f) {
    using namespace frame_state;
    uint64_t word = load_type(f);
    do {
        HV_ASSERT(type_bits(word) == static_cast<uint8_t>(PageType::Writable) && type_refs(word) != 0 &&
                  (word & kValidated) != 0);
    } while (!exchange_type(f, word, word - 1));
}

}  // namespace hv::pv
