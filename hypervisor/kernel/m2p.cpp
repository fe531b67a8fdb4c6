#include "kernel/m2p.hpp"

#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/paging.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "seam/panic.hpp"

namespace hv {
namespace {
uint64_t* table = nullptr;  // writable alias in the direct map
uint64_t entries = 0;
}  // namespace

void m2p_init() {
    entries = max_pfn();
    const uint64_t bytes = entries * sizeof(uint64_t);
    const unsigned order = order_for_bytes(bytes);
    table = static_cast<uint64_t*>(allocate_pages(order));
    if (table == nullptr)
        panic("m2p: no memory for a %llu-entry table", static_cast<unsigned long long>(entries));
    for (uint64_t i = 0; i < (kPageSize << order) / sizeof(uint64_t); ++i)
        table[i] = kInvalidM2p;
    // Guest-visible read-only alias: user-accessible (PV kernels run in ring 3), not writable.
    const uint64_t flags = arch::kPtePresent | arch::kPteUser | arch::kPteNoExecute;
    if (arch::paging_map(kM2pVirtStart, layout::virt_to_phys(table), kPageSize << order, flags, true) != Status::Ok)
        panic("m2p: cannot map the read-only table");
    LOG_INFO("m2p: %llu entries, read-only at %#llx", static_cast<unsigned long long>(entries),
             static_cast<unsigned long long>(kM2pVirtStart));
}

void m2p_set(Pfn mfn, uint64_t pfn) {
    if (mfn < entries)
        __atomic_store_n(&table[mfn], pfn, __ATOMIC_RELAXED);
}

uint64_t m2p_get(Pfn mfn) { return mfn < entries ? __atomic_load_n(&table[mfn], __ATOMIC_RELAXED) : kInvalidM2p; }

uint64_t m2p_max_mfn() { return entries - 1; }

uint64_t m2p_chunk_count() { return (entries * sizeof(uint64_t) + (2ull << 20) - 1) >> 21; }
Pfn m2p_chunk_mfn(uint64_t chunk) { return (layout::virt_to_phys(table) >> kPageShift) + chunk * 512; }

}  // namespace hv
