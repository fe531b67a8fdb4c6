// Bit layout of the PV page-type state packed into FrameInfo::refcount and FrameInfo::type_info, and the
// atomic accessors every reader and writer of those two words goes through. Internal to pv/; the layout
// and its invariants are described in page_types.hpp.
#pragma once

#include <cstdint>

#include "memory/frame.hpp"
#include "pv/pte_rules.hpp"
#include "seam/panic.hpp"

namespace hv::pv::frame_state {

// refcount word.
inline constexpr uint32_t kAllocated = 1u << 31;
inline constexpr uint32_t kHypervisorPage = 1u << 30;
inline constexpr uint32_t kCountMask = (1u << 30) - 1;
// Increments stop two short of the mask (as Xen does), so a stray count can never wrap to zero.
inline constexpr uint32_t kCountLimit = kCountMask - 1;

// type_info word.
inline constexpr uint64_t kTypeCountMask = 0xffffffffull;
inline constexpr unsigned kLinearShift = 32;
inline constexpr uint64_t kLinearMask = 0xffffull << kLinearShift;
inline constexpr unsigned kTypeShift = 48;
inline constexpr uint64_t kTypeMask = 0x7ull << kTypeShift;
inline constexpr uint64_t kValidated = 1ull << 51;
inline constexpr uint64_t kPinned = 1ull << 52;

constexpr uint32_t ref_count(uint32_t word) { return word & kCountMask; }

constexpr uint32_t type_refs(uint64_t word) { return static_cast<uint32_t>(word & kTypeCountMask); }
constexpr uint8_t type_bits(uint64_t word) { return static_cast<uint8_t>((word & kTypeMask) >> kTypeShift); }
// In use as `type`: that type, validated, with type references (one mask compare, then the count).
constexpr bool live_type(uint64_t word, uint8_t type) {
    return (word & (kTypeMask | kValidated)) == ((static_cast<uint64_t>(type) << kTypeShift) | kValidated) &&
           type_refs(word) != 0;
}
constexpr int linear(uint64_t word) { return static_cast<int16_t>(static_cast<uint16_t>((word & kLinearMask) >> kLinearShift)); }
constexpr uint64_t with_type(uint64_t word, uint8_t type) {
    return (word & ~kTypeMask) | (static_cast<uint64_t>(type) << kTypeShift);
}
constexpr uint64_t with_linear(uint64_t word, int value) {
    return (word & ~kLinearMask) | (static_cast<uint64_t>(static_cast<uint16_t>(static_cast<int16_t>(value))) << kLinearShift);
}

inline uint32_t load_ref(const FrameInfo& f) { return __atomic_load_n(&f.refcount, __ATOMIC_ACQUIRE); }
inline bool exchange_ref(FrameInfo& f, uint32_t& expected, uint32_t desired) {
    return __atomic_compare_exchange_n(&f.refcount, &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
inline void store_ref(FrameInfo& f, uint32_t value) { __atomic_store_n(&f.refcount, value, __ATOMIC_RELEASE); }

inline uint64_t load_type(const FrameInfo& f) { return __atomic_load_n(&f.type_info, __ATOMIC_ACQUIRE); }
inline bool exchange_type(FrameInfo& f, uint64_t& expected, uint64_t desired) {
    return __atomic_compare_exchange_n(&f.type_info, &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
inline void store_type(FrameInfo& f, uint64_t value) { __atomic_store_n(&f.type_info, value, __ATOMIC_RELEASE); }

inline uint16_t load_owner(const FrameInfo& f) { return __atomic_load_n(&f.owner, __ATOMIC_ACQUIRE); }
inline void store_owner(FrameInfo& f, uint16_t owner) { __atomic_store_n(&f.owner, owner, __ATOMIC_RELEASE); }

// Table entries may be written concurrently by the MMU (A/D bits), so they are accessed atomically.
inline uint64_t load_entry(const uint64_t* slot) { return __atomic_load_n(slot, __ATOMIC_ACQUIRE); }
inline void store_entry(uint64_t* slot, uint64_t value) { __atomic_store_n(slot, value, __ATOMIC_RELEASE); }
inline uint64_t exchange_entry(uint64_t* slot, uint64_t value) { return __atomic_exchange_n(slot, value, __ATOMIC_ACQ_REL); }
inline bool compare_exchange_entry(uint64_t* slot, uint64_t& expected, uint64_t desired) {
    return __atomic_compare_exchange_n(slot, &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

// Writes an entry of a live table. The MMU may set A/D meanwhile; nothing else may change it (the writer
// holds the owner's page-table lock and the guest has no writable mapping of the table). `preserve_ad`:
// keep the A/D bits the entry has at the moment of the write (MMU_PT_UPDATE_PRESERVE_AD).
[[gnu::always_inline]] inline void write_live_entry(uint64_t* slot, uint64_t old_entry, uint64_t new_entry, bool preserve_ad) {
    constexpr uint64_t kAccessedDirty = pte::kAccessed | pte::kDirty;
    uint64_t previous;
    if (preserve_ad) {
        previous = old_entry;
        while (!compare_exchange_entry(slot, previous, new_entry | (previous & kAccessedDirty))) {
        }
    } else {
        previous = exchange_entry(slot, new_entry);
    }
    HV_ASSERT(((previous ^ old_entry) & ~kAccessedDirty) == 0);
}

}  // namespace hv::pv::frame_state
