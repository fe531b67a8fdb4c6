// The hypervisor's virtual address layout. Everything lives in L4 slots 256-271
// (0xffff800000000000-0xffff87ffffffffff), the range the Xen PV ABI reserves for the
// hypervisor inside every 64-bit PV guest's address space; slots 0-255 and 272-511
// belong to the guest. Slot numbers follow Xen's so guest-visible addresses match:
//
//   slot 256  0xffff800000000000  read-only M2P table (guest-visible)         [PV core]
//   slot 258  0xffff810000000000  linear page table of the current L4        [PV core]
//   slot 260  0xffff820000000000  per-CPU GDT windows (16 pages each)
//   slot 261  0xffff828000000000  hypervisor image at +0x5040000000, ioremap area after it
//   slot 262+ 0xffff830000000000  direct map of all RAM (up to 5 TiB)
#pragma once

#include <cstdint>

namespace hv::layout {

inline constexpr uint64_t kHypervisorVirtStart = 0xffff800000000000;
inline constexpr uint64_t kHypervisorVirtEnd = 0xffff880000000000;
inline constexpr unsigned kFirstHypervisorSlot = 256;
inline constexpr unsigned kLastHypervisorSlot = 271;

inline constexpr uint64_t kRoMachToPhysStart = 0xffff800000000000;
inline constexpr uint64_t kGdtWindowBase = 0xffff820000000000;
inline constexpr uint64_t kGdtWindowSize = 16 * 4096;  // 14 guest pages, 1 reserved page, 1 spare

// The image is linked at kImageVirtBase + physical address (boot.S maps the first GiB of
// physical memory there), so image virtual <-> physical is a constant offset.
inline constexpr uint64_t kImageWindowBase = 0xffff82d040000000;
inline constexpr uint64_t kIoremapBase = 0xffff82d080000000;
inline constexpr uint64_t kIoremapEnd = 0xffff82d0c0000000;
inline constexpr uint64_t kSyscallStubBase = 0xffff82d0c0000000;  // one executable page per CPU

inline constexpr uint64_t kDirectMapBase = 0xffff830000000000;
inline constexpr uint64_t kDirectMapEnd = 0xffff880000000000;

// boot.S maps physical [0, 1 GiB) at the image window; until the direct map exists,
// that is all the physical memory the hypervisor can reach.
inline constexpr uint64_t kBootWindowLimit = 1ull << 30;

// Bits 63..47 all equal (48-bit virtual addresses, 4-level paging).
constexpr bool is_canonical(uint64_t a) {
    return (static_cast<int64_t>(a << 16) >> 16) == static_cast<int64_t>(a);
}

inline uint64_t image_to_phys(uint64_t va) { return va - kImageWindowBase; }
inline void* phys_to_virt(uint64_t pa) { return reinterpret_cast<void*>(pa + kDirectMapBase); }
inline uint64_t virt_to_phys(const void* va) {
    const uint64_t v = reinterpret_cast<uint64_t>(va);
    return v >= kDirectMapBase ? v - kDirectMapBase : v - kImageWindowBase;
}

}  // namespace hv::layout
