// A minimal PV domain builder for a test guest running as dom0 on Xen 4.17: it creates
// a 64-bit PV domU from an ELF test-guest image with Xen's domctl interface, the way a
// toolstack does (shared/spec/toolstack.md §2.3, §3; xen-pv-abi.md §2.7), but without
// xenstore or console: 1 vCPU, start_info's store and console fields zero.
//
// Layout of the new domain (PFN = pseudo-physical frame, VA = VIRT_BASE + PFN * 4096):
//
//   PFN 0 ..            the image's PT_LOAD segments (BSS zeroed)
//   next                p2m list (8 bytes per PFN: its MFN)
//   next                start_info
//   next                page tables: L4, L3, L2, L1 ... (mapped read-only)
//   next                boot stack page
//   up to v_end         padding; [VIRT_BASE, VIRT_BASE + v_end) is the initial mapping,
//                       v_end = boot stack end rounded up to 4 MiB
//   .. nr_pages - 1     populated but unmapped
//
// This is the order and rounding of Xen's own dom0 builder (minus the initrd), so the
// test-guest runtime's assumptions about the initial mapping (paging.hpp) hold for the
// domU as they do for dom0.
//
// Invariants: everything is checked (image, sizes) before the domain is created; once
// it exists, any failure destroys it again, so no half-built domain is left behind;
// every foreign mapping is dropped before the L4 is pinned; the domain is unpaused only
// after its vCPU context is set.
#pragma once

#include <cstddef>
#include <cstdint>

namespace guest {

struct DomainSpec {
    uint16_t domid;         // the domain id to ask for (1 for the pair test)
    uint64_t nr_pages;      // memory, in 4 KiB pages
    const void* image;      // ELF test-guest image
    uint64_t image_size;
    const char* cmdline;    // start_info.cmd_line of the new domain
};

struct BuiltDomain {
    uint16_t domid;
    uint64_t nr_pages;
    uint64_t v_end;          // bytes mapped from VIRT_BASE
    uint64_t nr_pt_frames;
    uint64_t shared_info_mfn;
};

// Builds and unpauses the domain. Returns 0 or the failing hypercall's -errno (or
// -EINVAL for an unusable image or layout); `why` then names the step.
int64_t build_pv_domain_on_xen(const DomainSpec& spec, BuiltDomain* out, const char** why);

}  // namespace guest
