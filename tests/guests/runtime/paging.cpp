#include "paging.hpp"

#include "console.hpp"
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

uint64_t pfn_to_va(uint64_t pfn) {
    const uint64_t base = reinterpret_cast<uint64_t>(__image_start);
    // The initial mapping never exceeds the domain's pages; anything beyond is unmapped.
    if (pfn >= start_info()->nr_pages)
        return 0;
    return base + pfn * page_size;
}

uint64_t va_to_mfn(uint64_t va) {
    const uint64_t base = reinterpret_cast<uint64_t>(__image_start);
    return pfn_to_mfn((va - base) / page_size);
}

bool find_l1_entry(uint64_t va, PteLocation* out) {
    uint64_t table_va = start_info()->pt_base;
    uint64_t table_mfn = va_to_mfn(table_va);
    for (int level = 4; level >= 1; --level) {
        const unsigned shift = 12 + 9 * (level - 1);
        const uint64_t index = (va >> shift) & 511;
        const uint64_t entry = reinterpret_cast<const volatile uint64_t*>(table_va)[index];
        if (level == 1) {
            *out = {(table_mfn << 12) | (index * 8), entry, table_mfn};
            return true;
        }
        if ((entry & pte_present) == 0 || (entry & pte_large) != 0) {
            guest_printf("guest: walk of %#llx stops at L%d entry %llu = %#llx\n", static_cast<unsigned long long>(va),
                         level, static_cast<unsigned long long>(index), static_cast<unsigned long long>(entry));
            return false;
        }
        table_mfn = pte_frame(entry);
        table_va = pfn_to_va(mfn_to_pfn(table_mfn));
        if (table_va == 0) {
            guest_printf("guest: L%d table mfn %#llx lies outside the initial mapping\n", level - 1,
                         static_cast<unsigned long long>(table_mfn));
            return false;
        }
    }
    return false;
}

}  // namespace guest
