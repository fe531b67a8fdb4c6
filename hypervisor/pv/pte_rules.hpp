// Per-level rules for entries a 64-bit PV guest may put in its page tables (shared/spec/xen-pv-abi.md
// §9.2, Xen 4.17 semantics). Pure functions of an entry's bits: no frame state, no references. The
// reference-taking half of validation lives in PageTypes (pv/page_types.hpp).
//
// An entry is 64 bits: P RW US PWT PCD A D PSE/PAT G AVL(9-11) | address (12-51) | AVL-high (52-62) NX.
// Invariants these rules establish for every present entry the hypervisor lets a guest install:
//  - L2/L3/L4 entries carry only P, RW, US, A, D, AVL, bits 52-62 and NX: no large pages (PSE), no
//    global bit, no cache attributes;
//  - L1 entries carry those plus G; cache attributes (PWT, PCD, PAT) only for I/O-capable domains;
//    bit 62 too (release Xen has no _PAGE_GNTTAB marker);
//  - after adjust_entry(): every present entry has US (the PV kernel runs at CPL3); an L1 kernel-only
//    entry is marked kGuestKernel and is not global, a user L1 entry is global; L4 entries have A.
#pragma once

#include <cstdint>

#include "lib/status.hpp"
#include "memory/frame.hpp"

namespace hv::pv {

namespace pte {
inline constexpr uint64_t kPresent = 1ull << 0;
inline constexpr uint64_t kWritable = 1ull << 1;
inline constexpr uint64_t kUser = 1ull << 2;
inline constexpr uint64_t kWriteThrough = 1ull << 3;  // PWT
inline constexpr uint64_t kCacheDisable = 1ull << 4;  // PCD
inline constexpr uint64_t kAccessed = 1ull << 5;
inline constexpr uint64_t kDirty = 1ull << 6;
inline constexpr uint64_t kLargePage = 1ull << 7;     // PSE in L2/L3 entries
inline constexpr uint64_t kPat = 1ull << 7;           // PAT index bit 2 in L1 entries
inline constexpr uint64_t kGlobal = 1ull << 8;
inline constexpr uint64_t kAvailable = 0x7ull << 9;   // software bits 9-11
inline constexpr uint64_t kAvailableHigh = 0x7ffull << 52;  // software bits 52-62
inline constexpr uint64_t kNoExecute = 1ull << 63;
inline constexpr uint64_t kAddressMask = 0x000ffffffffff000ull;  // bits 12-51
// Xen's software markers inside the high AVL bits: "guest-kernel-only L1 mapping" (bit 52) and "grant
// mapping" (bit 62). A guest may set bits 52 and 62 itself, as release Xen allows.
inline constexpr uint64_t kGuestKernel = 1ull << 52;
inline constexpr uint64_t kGrantMapping = 1ull << 62;
inline constexpr uint64_t kCacheAttributes = kPat | kCacheDisable | kWriteThrough;
inline constexpr uint64_t kUncacheable = kCacheDisable | kWriteThrough;  // PAT index 3 = UC
}  // namespace pte

inline constexpr unsigned kEntriesPerTable = 512;
// L4 slots 256..271 (0xffff800000000000-0xffff87ffffffffff) belong to the hypervisor.
inline constexpr unsigned kFirstHypervisorL4Slot = 256;
inline constexpr unsigned kHypervisorL4Slots = 16;
// The highest frame number an entry can name; Xen reports -EINVAL rather than -EPERM for an MMIO
// mapping of it (it is INVALID_MFN's truncation).
inline constexpr Pfn kEntryMaxFrame = pte::kAddressMask >> kPageShift;

constexpr Pfn entry_frame(uint64_t entry) { return (entry & pte::kAddressMask) >> kPageShift; }
constexpr bool entry_present(uint64_t entry) { return (entry & pte::kPresent) != 0; }
constexpr bool entry_writable(uint64_t entry) { return (entry & pte::kWritable) != 0; }
constexpr bool is_guest_l4_slot(unsigned slot) {
    return slot < kFirstHypervisorL4Slot || slot >= kFirstHypervisorL4Slot + kHypervisorL4Slots;
}

// Flag bits (of 0-11 and 52-63) a present entry of `level` (1..4) must not have. `io_capable`: the
// table's owner may choose cache attributes in L1 entries (Xen: cache_flush_permitted, i.e. dom0 and
// driver domains with I/O resources).
constexpr uint64_t disallowed_flags(unsigned level, bool io_capable) {
    constexpr uint64_t kFlagBits = 0xfffull | (0xfffull << 52);  // 12-51 are the address
    // Flags any level may carry (Xen's base: everything else is in base_disallow_mask).
    constexpr uint64_t kBaseAllowed = pte::kPresent | pte::kWritable | pte::kUser | pte::kAccessed | pte::kDirty |
                                      pte::kAvailable | pte::kAvailableHigh | pte::kNoExecute;
    uint64_t disallowed = kFlagBits & ~kBaseAllowed;
    if (level == 1) {
        // Bit 62 (Xen's _PAGE_GNTTAB) is refused only by debug builds of Xen; release
        // builds, the reference, let guests use it like the other spare bits.
        disallowed &= ~pte::kGlobal;
        if (io_capable)
            disallowed &= ~pte::kCacheAttributes;
    }
    return disallowed;
}

// Ok for a non-present entry or a present entry whose flags are allowed at `level`; InvalidArgument
// otherwise (Xen -EINVAL "Bad L<n> flags"). Says nothing about the frame the entry names.
[[nodiscard]] constexpr Status check_entry(unsigned level, uint64_t entry, bool io_capable) {
    if (level < 1 || level > 4)
        return Status::InvalidArgument;
    if (!entry_present(entry))
        return Status::Ok;
    return (entry & disallowed_flags(level, io_capable)) != 0 ? Status::InvalidArgument : Status::Ok;
}

// The entry as the hypervisor installs it (US forced, L1 global/kernel marking, L4 accessed).
// Non-present entries are returned unchanged.
constexpr uint64_t adjust_entry(unsigned level, uint64_t entry) {
    if (!entry_present(entry))
        return entry;
    switch (level) {
    case 1:
        // A kernel mapping (no US) becomes a user-accessible one marked kernel-only; whatever is not
        // marked kernel-only is a user mapping, shared by the kernel and user L4s, hence global.
        if ((entry & pte::kUser) == 0)
            entry |= pte::kGuestKernel | pte::kUser;
        if ((entry & pte::kGuestKernel) == 0)
            entry |= pte::kGlobal | pte::kUser;
        return entry;
    case 2:
    case 3:
        return entry | pte::kUser;
    case 4:
        return entry | pte::kUser | pte::kAccessed;
    default:
        return entry;
    }
}

// The bits of an entry that decide which references it holds and what it allows: the frame, P, RW and
// the cache attributes (PWT, PCD, PAT/PSE).
inline constexpr uint64_t kMappingBits = pte::kAddressMask | pte::kPresent | pte::kWritable | pte::kCacheAttributes;
// True when replacing `old_entry` by `new_entry` (already adjusted) changes none of kMappingBits, so no
// reference needs to move: only NX, AVL, G, D, A and US may differ. (Linear page tables are allowed, so
// RW counts for every level.)
constexpr bool same_mapping(uint64_t old_entry, uint64_t new_entry) { return ((old_entry ^ new_entry) & kMappingBits) == 0; }

// For an MMIO (non-RAM) L1 mapping: the bits to flip in the entry so that it cannot be cached (a
// potentially cacheable memory type becomes UC), given Xen's PAT layout
// (WB, WT, UC-, UC, WC, WP, UC, UC) indexed by PAT:PCD:PWT.
uint64_t mmio_cache_flip(uint64_t entry);

}  // namespace hv::pv
