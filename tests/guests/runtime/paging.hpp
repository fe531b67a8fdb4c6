// Page-table helpers for test guests running on the initial PV layout: frame number
// translation through the hypervisor's read-only M2P and the builder's P2M array, a
// walk of the live 4-level tables to find the machine address of the entry mapping a
// virtual address at any level (what mmu_update takes), and remapping of one page.
//
// Invariant relied upon: inside the initial mapping, VA = image base + PFN * 4096 (the
// builder maps PFN 0 at VIRT_BASE, and our image starts at VIRT_BASE), so a page-table
// frame found by MFN can be read through M2P -> PFN -> VA.
#pragma once

#include <cstdint>

namespace guest {

inline constexpr uint64_t page_size = 4096;
inline constexpr uint64_t pte_present = 1ull << 0;
inline constexpr uint64_t pte_writable = 1ull << 1;
inline constexpr uint64_t pte_user = 1ull << 2;
inline constexpr uint64_t pte_pwt = 1ull << 3;
inline constexpr uint64_t pte_pcd = 1ull << 4;
inline constexpr uint64_t pte_accessed = 1ull << 5;
inline constexpr uint64_t pte_dirty = 1ull << 6;
inline constexpr uint64_t pte_large = 1ull << 7;
inline constexpr uint64_t pte_no_execute = 1ull << 63;
inline constexpr uint64_t pte_frame_mask = 0x000ffffffffff000ull;
// A kernel data mapping as Linux writes it (PAGE_KERNEL minus global).
inline constexpr uint64_t pte_kernel_rw = pte_present | pte_writable | pte_accessed | pte_dirty;
inline constexpr uint64_t pte_kernel_ro = pte_present | pte_accessed;

constexpr uint64_t pte_frame(uint64_t pte) {
    return (pte & pte_frame_mask) >> 12;
}
constexpr uint64_t make_pte(uint64_t mfn, uint64_t flags) {
    return (mfn << 12) | flags;
}

uint64_t mfn_to_pfn(uint64_t mfn);
uint64_t pfn_to_mfn(uint64_t pfn);
// VA of a PFN inside the initial mapping, or 0 if it lies outside it.
uint64_t pfn_to_va(uint64_t pfn);
// MFN backing a VA inside the initial mapping.
uint64_t va_to_mfn(uint64_t va);
// End of the initial mapping the builder made (start_info-derived, 4 MiB aligned).
uint64_t initial_mapping_end();

struct PteLocation {
    uint64_t machine_address;  // of the 8-byte entry, as mmu_update wants it
    uint64_t value;            // its current contents
    uint64_t l1_mfn;           // MFN of the table holding it (any level)
    uint64_t table_va;         // where that table is readable (read-only)
};

// Walks the current guest-kernel tables (rooted at start_info.pt_base) for `va` down to
// `level` (4 = the L4 entry ... 1 = the L1 entry). Returns false (and says why on the
// console unless quiet) if a level above is missing or large.
bool find_entry(uint64_t va, int level, PteLocation* out, bool quiet = false);
inline bool find_l1_entry(uint64_t va, PteLocation* out) {
    return find_entry(va, 1, out);
}

// update_va_mapping of a page inside the initial mapping to its own frame with `flags`
// (invlpg). Returns the hypercall result.
int64_t remap_page(uint64_t va, uint64_t flags);

}  // namespace guest
