// Entry rules for 64-bit PV page tables; see pte_rules.hpp for the invariants.
#include "pv/pte_rules.hpp"

namespace hv::pv {

namespace {

// The flag bits of an entry: 0-11 and 52-63 (12-51 are the address).
constexpr uint64_t kFlagBits = 0xfffull | (0xfffull << 52);

// Flags any level may carry (Xen's base: everything else is in base_disallow_mask).
constexpr uint64_t kBaseAllowed = pte::kPresent | pte::kWritable | pte::kUser | pte::kAccessed | pte::kDirty |
                                  pte::kAvailable | pte::kAvailableHigh | pte::kNoExecute;

}  // namespace

uint64_t disallowed_flags(unsigned level, bool io_capable) {
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

Status check_entry(unsigned level, uint64_t entry, bool io_capable) {
    if (level < 1 || level > 4)
        return Status::InvalidArgument;
    if (!entry_present(entry))
        return Status::Ok;
    return (entry & disallowed_flags(level, io_capable)) != 0 ? Status::InvalidArgument : Status::Ok;
}

uint64_t adjust_entry(unsigned level, uint64_t entry) {
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

uint64_t mmio_cache_flip(uint64_t entry) {
    const unsigned index = ((entry & pte::kPat) ? 4u : 0u) | ((entry & pte::kCacheDisable) ? 2u : 0u) |
                           ((entry & pte::kWriteThrough) ? 1u : 0u);
    // Cacheable under Xen's PAT: WB (0), WT (1), WP (5). UC-, UC and WC are left alone.
    const bool cacheable = index == 0 || index == 1 || index == 5;
    return cacheable ? ((entry & pte::kCacheAttributes) ^ pte::kUncacheable) : 0;
}

}  // namespace hv::pv
