#include "kernel/symbols.hpp"

extern "C" {
extern const uint64_t hv_symtab_count;
extern const uint64_t hv_symtab_entries[];  // pairs: address, name offset; sorted by address
extern const char hv_symtab_names[];
extern const char hv_text_start[], hv_text_end[];
}

namespace hv {

uint64_t symbol_count() { return hv_symtab_count; }

Symbol symbolize(uint64_t address) {
    const uint64_t n = hv_symtab_count;
    if (n == 0 || address < reinterpret_cast<uint64_t>(hv_text_start) ||
        address >= reinterpret_cast<uint64_t>(hv_text_end))
        return {nullptr, 0};
    // Last entry with entry.address <= address.
    uint64_t lo = 0, hi = n;
    while (hi - lo > 1) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (hv_symtab_entries[2 * mid] <= address)
            lo = mid;
        else
            hi = mid;
    }
    if (hv_symtab_entries[2 * lo] > address)
        return {nullptr, 0};
    return {hv_symtab_names + hv_symtab_entries[2 * lo + 1], address - hv_symtab_entries[2 * lo]};
}

}  // namespace hv
