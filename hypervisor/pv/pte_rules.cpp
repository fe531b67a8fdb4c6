// Entry rules for 64-bit PV page tables; see pte_rules.hpp for the invariants.
#include "pv/pte_rules.hpp"

namespace hv::pv {

uint64_t mmio_cache_flip(uint64_t entry) {
    const unsigned index = ((entry & pte::kPat) ? 4u : 0u) | ((entry & pte::kCacheDisable) ? 2u : 0u) |
                           ((entry & pte::kWriteThrough) ? 1u : 0u);
    // Cacheable under Xen's PAT: WB (0), WT (1), WP (5). UC-, UC and WC are left alone.
    const bool cacheable = index == 0 || index == 1 || index == 5;
    return cacheable ? ((entry & pte::kCacheAttributes) ^ pte::kUncacheable) : 0;
}

}  // namespace hv::pv
