// memory_op arguments: reservations and exchanges of machine frames, the E820 maps, the
// M2P window query and add_to_physmap. Facts: shared/spec/xen-pv-abi.md §4.8.
//
// Invariants: guest handles are guest virtual addresses (uint64_t); for a 64-bit PV
// guest frame numbers in these structs are MFNs unless the field says PFN; an E820 entry
// is 20 bytes, packed, as in the BIOS interface.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

// mem_flags of MemoryReservation: low byte = address width limit (0 = none), bits 8-15
// = NUMA node + 1.
namespace memf {
constexpr uint32_t address_bits(uint32_t bits) {
    return bits;
}
constexpr uint32_t get_address_bits(uint32_t flags) {
    return flags & 0xffu;
}
constexpr uint32_t node(uint32_t n) {
    return (n + 1) << 8;
}
inline constexpr uint32_t populate_on_demand = 1u << 16;
inline constexpr uint32_t exact_node_request = 1u << 17;
inline constexpr uint32_t vnode = 1u << 18;
}  // namespace memf

// Xen: xen_memory_reservation (increase/decrease_reservation, populate_physmap, and
// both halves of an exchange).
struct MemoryReservation {
    uint64_t extent_start;  // handle: uint64_t[nr_extents]
    uint64_t nr_extents;
    uint32_t extent_order;
    uint32_t mem_flags;  // memf::*
    uint16_t domid;
    uint16_t pad[3];
};
static_assert(sizeof(MemoryReservation) == 32);
static_assert(offsetof(MemoryReservation, extent_start) == 0);
static_assert(offsetof(MemoryReservation, nr_extents) == 8);
static_assert(offsetof(MemoryReservation, extent_order) == 16);
static_assert(offsetof(MemoryReservation, mem_flags) == 20);
static_assert(offsetof(MemoryReservation, domid) == 24);

// Xen: xen_memory_exchange.
struct MemoryExchange {
    MemoryReservation in;   // extents given up (MFNs)
    MemoryReservation out;  // extents wanted: PFNs in, new MFNs written back
    uint64_t nr_exchanged;  // out: input extents done (also the continuation cursor)
};
static_assert(sizeof(MemoryExchange) == 72);
static_assert(offsetof(MemoryExchange, in) == 0);
static_assert(offsetof(MemoryExchange, out) == 32);
static_assert(offsetof(MemoryExchange, nr_exchanged) == 64);

// Xen: xen_memory_map (memory_map, machine_memory_map, set_memory_map).
struct MemoryMap {
    uint32_t nr_entries;  // in: capacity of buffer; out: entries written
    uint32_t pad;
    uint64_t buffer;  // handle: E820Entry[nr_entries]
};
static_assert(sizeof(MemoryMap) == 16);
static_assert(offsetof(MemoryMap, nr_entries) == 0);
static_assert(offsetof(MemoryMap, buffer) == 8);

enum class E820Type : uint32_t { ram = 1, reserved = 2, acpi = 3, nvs = 4, unusable = 5 };

#pragma pack(push, 1)
struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;  // E820Type
};
#pragma pack(pop)
static_assert(sizeof(E820Entry) == 20);
static_assert(offsetof(E820Entry, addr) == 0);
static_assert(offsetof(E820Entry, size) == 8);
static_assert(offsetof(E820Entry, type) == 16);

// Xen: xen_machphys_mapping. v_start..v_end is the read-only M2P window.
struct MachphysMapping {
    uint64_t v_start;
    uint64_t v_end;
    uint64_t max_mfn;
};
static_assert(sizeof(MachphysMapping) == 24);
static_assert(offsetof(MachphysMapping, v_start) == 0);
static_assert(offsetof(MachphysMapping, v_end) == 8);
static_assert(offsetof(MachphysMapping, max_mfn) == 16);

// Xen: xen_machphys_mfn_list.
struct MachphysMfnList {
    uint32_t max_extents;
    uint32_t pad0;
    uint64_t extent_start;  // handle: uint64_t[max_extents]
    uint32_t nr_extents;    // out
    uint32_t pad1;
};
static_assert(sizeof(MachphysMfnList) == 24);
static_assert(offsetof(MachphysMfnList, max_extents) == 0);
static_assert(offsetof(MachphysMfnList, extent_start) == 8);
static_assert(offsetof(MachphysMfnList, nr_extents) == 16);

enum class MapSpace : uint32_t {
    shared_info = 0,
    grant_table = 1,
    gmfn = 2,
    gmfn_range = 3,
    gmfn_foreign = 4,
    dev_mmio = 5,
};
// AddToPhysmap.idx flag for grant_table: map a status frame (v2) instead.
inline constexpr uint64_t mapidx_grant_table_status = 0x80000000u;

// Xen: xen_add_to_physmap (auto-translated guests only).
struct AddToPhysmap {
    uint16_t domid;
    uint16_t size;   // gmfn_range: number of pages
    uint32_t space;  // MapSpace
    uint64_t idx;
    uint64_t gpfn;
};
static_assert(sizeof(AddToPhysmap) == 24);
static_assert(offsetof(AddToPhysmap, domid) == 0);
static_assert(offsetof(AddToPhysmap, size) == 2);
static_assert(offsetof(AddToPhysmap, space) == 4);
static_assert(offsetof(AddToPhysmap, idx) == 8);
static_assert(offsetof(AddToPhysmap, gpfn) == 16);

// Xen: xen_remove_from_physmap.
struct RemoveFromPhysmap {
    uint16_t domid;
    uint16_t pad[3];
    uint64_t gpfn;
};
static_assert(sizeof(RemoveFromPhysmap) == 16);
static_assert(offsetof(RemoveFromPhysmap, domid) == 0);
static_assert(offsetof(RemoveFromPhysmap, gpfn) == 8);

}  // namespace xen
