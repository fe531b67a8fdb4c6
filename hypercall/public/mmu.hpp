// Page-table and TLB requests: mmu_update entries, mmuext_op entries, and multicall
// entries (which batch them). Facts: shared/spec/xen-pv-abi.md §3.5, §4.2, §4.17.
//
// Invariants: MmuUpdate.ptr is a machine address whose low 2 bits carry an MmuCmd (so
// the PTE it names is 8-byte aligned); a batch stops at its first failing entry.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

struct MmuUpdate {
    uint64_t ptr;  // machine address | MmuCmd
    uint64_t val;  // new PTE, or new PFN for machphys_update
};
static_assert(sizeof(MmuUpdate) == 16);
static_assert(offsetof(MmuUpdate, ptr) == 0);
static_assert(offsetof(MmuUpdate, val) == 8);

struct MmuextOp {
    uint32_t cmd;  // MmuextCmd
    uint32_t pad;
    union {
        uint64_t mfn;          // pin/unpin, new_baseptr, new_user_baseptr, clear/copy_page
        uint64_t linear_addr;  // invlpg_*, set_ldt
    } arg1;
    union {
        uint32_t nr_ents;   // set_ldt
        uint64_t vcpumask;  // handle: tlb_flush_multi, invlpg_multi
        uint64_t src_mfn;   // copy_page
    } arg2;
};
static_assert(sizeof(MmuextOp) == 24);
static_assert(offsetof(MmuextOp, cmd) == 0);
static_assert(offsetof(MmuextOp, arg1) == 8);
static_assert(offsetof(MmuextOp, arg1.mfn) == 8);
static_assert(offsetof(MmuextOp, arg1.linear_addr) == 8);
static_assert(offsetof(MmuextOp, arg2) == 16);
static_assert(offsetof(MmuextOp, arg2.nr_ents) == 16);
static_assert(offsetof(MmuextOp, arg2.vcpumask) == 16);
static_assert(offsetof(MmuextOp, arg2.src_mfn) == 16);

// One hypercall of a multicall batch; result receives its return value.
struct MulticallEntry {
    uint64_t op;  // Hypercall
    uint64_t result;
    uint64_t args[6];
};
static_assert(sizeof(MulticallEntry) == 64);
static_assert(offsetof(MulticallEntry, op) == 0);
static_assert(offsetof(MulticallEntry, result) == 8);
static_assert(offsetof(MulticallEntry, args) == 16);

}  // namespace xen
