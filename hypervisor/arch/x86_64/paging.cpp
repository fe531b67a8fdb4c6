#include "arch/x86_64/paging.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/layout.hpp"
#include "lib/spinlock.hpp"

namespace hv::arch {
namespace {

PageTableAllocator allocate_table = nullptr;
PhysToVirt to_virt = nullptr;
uint64_t master_l4 = 0;

// Serialises every change to the master tables (lock order: leaf).
TicketLock paging_lock;
uint64_t ioremap_next = layout::kIoremapBase;

constexpr uint64_t kTableFlags = kPtePresent | kPteWritable;  // intermediate entries: permissions come from leaves

uint64_t* table(uint64_t phys) { return static_cast<uint64_t*>(to_virt(phys)); }
unsigned index_at(uint64_t va, unsigned level) { return (va >> (12 + 9 * (level - 1))) & 511; }

// The entry at `level` (1 = PTE) for `va`, creating intermediate tables on the way down.
// Intermediate entries get User when the leaf is user-accessible (the read-only M2P that
// PV guest kernels read from ring 3); permissions are otherwise decided by the leaves.
Result<uint64_t*> walk_create(uint64_t va, unsigned level, uint64_t leaf_flags) {
    uint64_t* t = table(master_l4);
    const uint64_t intermediate = kTableFlags | (leaf_flags & kPteUser);
    for (unsigned l = 4; l > level; --l) {
        uint64_t& e = t[index_at(va, l)];
        if (!(e & kPtePresent)) {
            const uint64_t page = allocate_table();
            if (page == 0)
                return Status::OutOfMemory;
            e = page | intermediate;
        } else if (e & kPteLarge) {
            return Status::Exists;
        } else {
            e |= intermediate;
        }
        t = table(e & kPteAddressMask);
    }
    return &t[index_at(va, level)];
}

}  // namespace

void paging_set_allocator(PageTableAllocator alloc, PhysToVirt phys_to_virt) {
    allocate_table = alloc;
    to_virt = phys_to_virt;
}

Status paging_create_master() {
    master_l4 = allocate_table();
    return master_l4 != 0 ? Status::Ok : Status::OutOfMemory;
}

Status paging_map(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags, bool allow_large) {
    if (((va | pa | size) & 0xfff) != 0)
        return Status::InvalidArgument;
    LockGuard guard(paging_lock);
    constexpr uint64_t kLarge = 2ull << 20;
    for (uint64_t off = 0; off < size;) {
        const bool large = allow_large && ((va + off) % kLarge) == 0 && ((pa + off) % kLarge) == 0 && size - off >= kLarge;
        auto entry = walk_create(va + off, large ? 2 : 1, flags);
        if (!entry.ok())
            return entry.status();
        if (**entry & kPtePresent)
            return Status::Exists;
        **entry = (pa + off) | flags | (large ? uint64_t{kPteLarge} : uint64_t{0});
        off += large ? kLarge : 4096;
    }
    return Status::Ok;
}

Status paging_populate_hypervisor_slots() {
    LockGuard guard(paging_lock);
    uint64_t* l4 = table(master_l4);
    for (unsigned slot = 256; slot < 272; ++slot) {
        if (l4[slot] & kPtePresent)
            continue;
        const uint64_t page = allocate_table();
        if (page == 0)
            return Status::OutOfMemory;
        l4[slot] = page | kTableFlags;
    }
    return Status::Ok;
}

void paging_hypervisor_slots(uint64_t out[16]) {
    const uint64_t* l4 = table(master_l4);
    for (unsigned i = 0; i < 16; ++i)
        out[i] = l4[256 + i];
}

Status paging_set_page(uint64_t va, uint64_t pa, uint64_t flags) {
    {
        LockGuard guard(paging_lock);
        auto entry = walk_create(va, 1, flags);
        if (!entry.ok())
            return entry.status();
        **entry = (pa & kPteAddressMask) | flags;
    }
    invlpg(va);
    return Status::Ok;
}

void paging_activate() { write_cr3(master_l4); }
uint64_t paging_master_l4() { return master_l4; }

uint64_t paging_translate(uint64_t va) {
    const uint64_t* t = table(master_l4);
    for (unsigned l = 4; l >= 1; --l) {
        const uint64_t e = t[index_at(va, l)];
        if (!(e & kPtePresent))
            return ~0ull;
        if (l == 1 || (e & kPteLarge)) {
            const uint64_t page_mask = (1ull << (12 + 9 * (l - 1))) - 1;
            return (e & kPteAddressMask & ~page_mask) | (va & page_mask);
        }
        t = table(e & kPteAddressMask);
    }
    return ~0ull;
}

Result<void*> ioremap(uint64_t phys, uint64_t size, bool cached) {
    const uint64_t first = phys & ~0xfffull;
    const uint64_t span = ((phys + size + 0xfff) & ~0xfffull) - first;
    uint64_t va;
    {
        LockGuard guard(paging_lock);
        if (ioremap_next + span > layout::kIoremapEnd)
            return Status::NoSpace;
        va = ioremap_next;
        ioremap_next += span;
    }
    HV_TRY(paging_map(va, first, span, cached ? kMapData : kMapMmio, false));
    return reinterpret_cast<void*>(va + (phys - first));
}

}  // namespace hv::arch
