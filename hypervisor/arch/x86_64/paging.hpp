// The hypervisor's own page tables (the "idle" address space every CPU runs in when no
// guest is loaded, and whose slots 256-271 every PV guest L4 will share).
//
// Invariants: one master L4 for the whole machine; intermediate tables are never freed;
// mappings are only added (and ioremap never reuses VA), so no cross-CPU shootdown is
// needed yet. Page-table pages come from an allocator that is the boot carve-out before
// the buddy allocator exists and the buddy allocator after.
#pragma once

#include <cstdint>

#include "lib/status.hpp"

namespace hv::arch {

// PTE bits (SDM vol. 3, tables 4-14..4-19).
enum PteBit : uint64_t {
    kPtePresent = 1ull << 0,
    kPteWritable = 1ull << 1,
    kPteUser = 1ull << 2,
    kPteWriteThrough = 1ull << 3,
    kPteCacheDisable = 1ull << 4,
    kPteAccessed = 1ull << 5,
    kPteDirty = 1ull << 6,
    kPteLarge = 1ull << 7,
    kPteGlobal = 1ull << 8,
    kPteNoExecute = 1ull << 63,
};
inline constexpr uint64_t kPteAddressMask = 0x000ffffffffff000ull;

inline constexpr uint64_t kMapCode = kPtePresent | kPteGlobal;
inline constexpr uint64_t kMapReadOnly = kPtePresent | kPteGlobal | kPteNoExecute;
inline constexpr uint64_t kMapData = kPtePresent | kPteWritable | kPteGlobal | kPteNoExecute;
inline constexpr uint64_t kMapMmio = kMapData | kPteCacheDisable | kPteWriteThrough;

using PageTableAllocator = uint64_t (*)();           // physical address of a zeroed 4 KiB page, 0 on failure
using PhysToVirt = void* (*)(uint64_t phys);

void paging_set_allocator(PageTableAllocator alloc, PhysToVirt phys_to_virt);
// Creates an empty master L4 (call once, before mapping).
[[nodiscard]] Status paging_create_master();
// Maps [va, va+size) -> [pa, pa+size) with `flags`; uses 2 MiB pages where both addresses
// are aligned and `allow_large` is set. Fails (InvalidArgument) if a mapping exists.
[[nodiscard]] Status paging_map(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags, bool allow_large);
// Gives every hypervisor L4 slot (256-271) an L3 table, so that guest L4s, which copy
// these 16 entries when they are validated, see mappings the hypervisor adds later.
[[nodiscard]] Status paging_populate_hypervisor_slots();
// The 16 master L4 entries for slots 256-271, as every PV guest L4 must hold them.
void paging_hypervisor_slots(uint64_t out[16]);
// Points the 4 KiB page at `va` to `pa` (replacing any mapping) and flushes it from this
// CPU's TLB. For per-CPU windows whose contents change at run time (guest GDT frames).
[[nodiscard]] Status paging_set_page(uint64_t va, uint64_t pa, uint64_t flags);
// Loads the master L4 on this CPU.
void paging_activate();
uint64_t paging_master_l4();
// Physical address mapped at `va` in the master tables, or ~0 if unmapped.
uint64_t paging_translate(uint64_t va);

// Maps device memory (uncached) or firmware tables (cached) into the ioremap area.
[[nodiscard]] Result<void*> ioremap(uint64_t phys, uint64_t size, bool cached = false);

}  // namespace hv::arch
