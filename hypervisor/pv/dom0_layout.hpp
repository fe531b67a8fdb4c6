// The initial virtual and pseudo-physical layout of a 64-bit PV domain built by the
// hypervisor (dom0, and boot-time domUs), computed exactly as Xen 4.17's dom0 builder
// does (spec §2.1-2.2), so the guest sees the same start_info values on both:
//
//   v_start = VIRT_BASE
//   [kernel: virt_kstart .. virt_kend)
//   [initrd, only if the kernel lacks MOD_START_PFN]
//   [p2m array, only if the kernel lacks INIT_P2M]
//   start_info page(s)        (start_info + dom0 VGA info for dom0)
//   page tables               (nr_pt_frames: smallest n >= 2 such that n covers the
//                              L4 + L3s + L2s + L1s mapping [v_start, v_end))
//   boot stack page
//   v_end = stack end rounded up to 4 MiB, plus 4 MiB if that leaves < 512 KiB
//
// PFN i of the initial mapping is VA v_start + i*4096. The mapping is backed by one
// naturally aligned 2^order-page allocation; an unmapped initrd (MOD_START_PFN) gets
// the PFNs right after it, then the INIT_P2M frames (array + its page tables).
#pragma once

#include <cstdint>

#include "lib/status.hpp"

namespace hv::pv {

struct LayoutInput {
    uint64_t virt_base;       // XEN_ELFNOTE_VIRT_BASE (v_start)
    uint64_t virt_kstart;     // first byte of the kernel image (by p_paddr + virt offset)
    uint64_t virt_kend;       // end of the kernel image
    uint64_t init_p2m;        // XEN_ELFNOTE_INIT_P2M, 0 if absent
    bool mod_start_pfn;       // XEN_ELFNOTE_MOD_START_PFN: initrd given by PFN, not mapped
    uint64_t initrd_bytes;    // 0 if none
    uint64_t nr_pages;        // total pages of the domain
    uint64_t start_info_bytes;  // sizeof(start_info) (+ VGA info for dom0)
};

struct Layout {
    uint64_t v_start, v_end;
    uint64_t vinitrd_start, vinitrd_end;    // equal if not mapped
    uint64_t vphysmap_start, vphysmap_end;  // p2m array (at init_p2m when given)
    uint64_t vstartinfo_start, vstartinfo_end;
    uint64_t vpt_start, vpt_end;
    uint64_t vstack_start, vstack_end;
    uint64_t nr_pt_frames;
    unsigned order;                  // the initial mapping's backing allocation: 2^order pages
    uint64_t initrd_pfn;             // first PFN of the initrd (mapped or not)
    uint64_t initrd_pages;
    uint64_t p2m_first_pfn;          // INIT_P2M: first PFN after the initrd, else 0
    uint64_t p2m_pages;              // pages of the p2m array (8 bytes per page of the domain)

    uint64_t pfn_of(uint64_t va) const { return (va - v_start) >> 12; }
};

// Number of 2^shift-aligned regions that [low, high) touches (Xen's NR() in the builder).
uint64_t regions_touched(uint64_t low, uint64_t high, unsigned shift);

[[nodiscard]] Result<Layout> compute_layout(const LayoutInput& in);

}  // namespace hv::pv
