#include "paging.hpp"

#include "console.hpp"
#include "hypercall.hpp"
#include "runtime.hpp"

#include "hypercall/public/x86_64.hpp"

extern "C" const char __image_start[];

namespace guest {

uint64_t mfn_to_pfn(uint64_t mfn) {
    const auto* m2p = reinterpret_cast<const volatile uint64_t*>(xen::mach2phys_virt_start);
    return m2p[mfn];
}

uint64_t pfn_to_mfn(uint64_t pfn) {
    const auto* p2m = reinterpret_cast<const volatile uint64_t*>(start_info()->mfn_list);
    return p2m[pfn];
}

uint64_t initial_mapping_end() {
    // The builder maps everything up to and including the page tables, rounded up to
    // 4 MiB (Xen's dom0 builder and ours agree on that).
    const xen::StartInfo* si = start_info();
    const uint64_t tables_end = si->pt_base + si->nr_pt_frames * page_size;
    const uint64_t four_mib = 4ull << 20;
    return (tables_end + four_mib - 1) & ~(four_mib - 1);
}

uint64_t pfn_to_va(uint64_t pfn) {
    const uint64_t base = reinterpret_cast<uint64_t>(__image_start);
    if (pfn >= start_info()->nr_pages || base + pfn * page_size >= initial_mapping_end())
        return 0;
    return base + pfn * page_size;
}

uint64_t va_to_mfn(uint64_t va) {
    const uint64_t base = reinterpret_cast<uint64_t>(__image_start);
    return pfn_to_mfn((va - base) / page_size);
}

bool find_entry(uint64_t va, int target_level, PteLocation* out, bool quiet) {
    uint64_t table_va = start_info()->pt_base;
    uint64_t table_mfn = va_to_mfn(table_va);
    for (int level = 4; level >= 1; --level) {
        const unsigned shift = 12 + 9 * (level - 1);
        const uint64_t index = (va >> shift) & 511;
        const uint64_t entry = reinterpret_cast<const volatile uint64_t*>(table_va)[index];
        if (level == target_level) {
            *out = {(table_mfn << 12) | (index * 8), entry, table_mfn, table_va};
            return true;
        }
        if ((entry & pte_present) == 0 || (entry & pte_large) != 0) {
            if (!quiet)
                guest_printf("guest: walk of %#llx stops at L%d entry %llu = %#llx\n",
                             static_cast<unsigned long long>(va), level, static_cast<unsigned long long>(index),
                             static_cast<unsigned long long>(entry));
            return false;
        }
        table_mfn = pte_frame(entry);
        table_va = pfn_to_va(mfn_to_pfn(table_mfn));
        if (table_va == 0) {
            if (!quiet)
                guest_printf("guest: L%d table mfn %#llx lies outside the initial mapping\n", level - 1,
                             static_cast<unsigned long long>(table_mfn));
            return false;
        }
    }
    return false;
}

int64_t remap_page(uint64_t va, uint64_t flags) {
    return update_va_mapping(va, make_pte(va_to_mfn(va), flags), xen::uvmf::invlpg);
}

}  // namespace guest
