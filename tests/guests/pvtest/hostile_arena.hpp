// The memory and the value generator behind pvtest's hostile mode.
//
// Layout (pool pages, lowest first; every "guard" page is unmapped so a runaway array
// read or write stops there with -EFAULT):
//
//   guard | updates | guard | extended | guard | multicalls | guard | general x2 | guard |
//   victims x16 | guard | vcpu_info page
//
//   updates, extended, multicalls  arrays of mmu_update / mmuext_op / multicall entries
//                                  the fuzzer writes just before a call; the hypervisor
//                                  only reads them (multicall writes results back)
//   general                        argument structs and output buffers of every other call
//   victims                        pages the calls may remap, pin, free, exchange, map as
//                                  descriptor tables or write through
//   vcpu_info page                 where VCPUOP_register_vcpu_info may move vcpu_info
//
// Invariants that keep the guest alive whatever the hypervisor accepts:
//  - "protected" = every page of the initial mapping except the victims: no value the
//    fuzzer produces names a protected page, as a VA to remap, as an MFN or as the frame
//    of a PTE or machine address (sanitize());
//  - no frame outside [0x100, max RAM page) appears in a PTE: device MMIO (IOAPIC,
//    HPET, PCI BARs, MMCONFIG) and the low megabyte are never mapped, so nothing the
//    hypervisor writes through a victim mapping can reach a device or the firmware;
//  - the command arrays only ever hold entries written by the fuzzer, each on its
//    array's entry grid (so a count beyond the fresh entries reads older entries whole),
//    and an mmuext_op NEW_BASEPTR entry always names an invalid frame (a zeroed page
//    validates as an L4 and would become the kernel's page tables).
#pragma once

#include <cstdint>

namespace pvtest::hostile {

// xorshift64*: deterministic per seed.
class Random {
public:
    explicit Random(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint64_t next();
    uint64_t below(uint64_t bound) { return bound == 0 ? 0 : next() % bound; }
    bool one_in(uint64_t n) { return below(n) == 0; }

private:
    uint64_t state_;
};

inline constexpr uint64_t victim_pages = 16;
inline constexpr uint64_t general_pages = 2;

struct Arena {
    uint64_t updates;     // mmu_update arrays
    uint64_t extended;    // mmuext_op arrays
    uint64_t multicalls;  // multicall lists
    uint64_t general;     // general_pages pages
    uint64_t victims;     // victim_pages pages
    uint64_t vcpu_info_page;
    uint64_t guards[6];
    uint64_t victim_mfns[victim_pages];
    uint64_t max_ram_page;
    uint64_t page_table_vas[4];  // the L4 and some other live tables (read-only)
};

// Carves the arena out of the page pool and unmaps the guards. False on failure.
bool set_up_arena(Arena* arena);
const Arena& arena();

bool is_protected_va(uint64_t va);
bool is_protected_mfn(uint64_t mfn);
// A value with every reference to a protected page or a forbidden frame replaced.
uint64_t sanitize(Random& rng, uint64_t value);

// Interesting values: 0, -1, small, boundaries, domain ids, frames, PTEs, pointers.
uint64_t random_value(Random& rng);
uint64_t victim_va(Random& rng);
uint64_t victim_mfn(Random& rng);
uint64_t victim_pte(Random& rng);

enum class PointerUse {
    any,       // the call may read or write through it: no command arrays, no protected pages
    readonly,  // also the guest's read-only page tables and the M2P
};
// A pointer for a non-command argument: into `general`, a victim, a guard, the
// hypervisor range, non-canonical, user half, NULL, or (readonly) page tables.
uint64_t random_pointer(Random& rng, PointerUse use);
// Somewhere inside `general` (8-aligned unless `unaligned_ok`), leaving `bytes` room.
uint64_t general_slot(Random& rng, uint64_t bytes);

// Writes `count` sanitized random words at va.
void fill_random(Random& rng, uint64_t va, uint64_t count);

}  // namespace pvtest::hostile
