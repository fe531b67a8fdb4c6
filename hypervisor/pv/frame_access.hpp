// Seam: what the page-type core (PageTypes) needs from the machine. The kernel implements it with the
// direct map, the E820/iomem tables, the hypervisor's own L4 and the frame allocator; host tests and the
// fuzzer implement it with fake pages (tests/host/page_types_support.hpp).
//
// Calling context: PageTypes calls these while holding one of its page-table locks (see page_types.hpp),
// so an implementation must not call back into PageTypes and must not take a lock that is held around
// PageTypes calls. frame_freed() and flush_before_protect() are the ones where that matters.
#pragma once

#include <cstdint>

#include "lib/status.hpp"
#include "memory/frame.hpp"

namespace hv::pv {

class FrameAccess {
public:
    // table() and is_ram() run for every entry PageTypes reads or checks (several per level of a walk),
    // so they are link-time members (STYLE.md rule 2), defined by the build: the image's in
    // domain/page_types_glue.cpp, where LTO inlines them (table() is then direct-map arithmetic), the
    // host programs' in tests/host/fakes/frame_access_fake.cpp, forwarding to the FakeMachine every
    // FrameAccess there is. The rest are virtual.

    // The 512 entries of a RAM frame (kernel: its direct-map address). Only called for frames with
    // is_ram() true.
    uint64_t* table(Pfn mfn);

    // The frame has a FrameInfo and is RAM, whoever owns it (including the hypervisor's own memory:
    // returning false for hypervisor RAM would let an I/O-capable domain map it as MMIO). False means
    // MMIO or a hole.
    bool is_ram(Pfn mfn) const;

    // `domain` may map the non-RAM frame `mfn` (Xen iomem_access_permitted).
    virtual bool io_allowed(uint16_t domain, Pfn mfn) const = 0;

    // `domain` may choose cache attributes (PWT/PCD/PAT) in its L1 entries (Xen cache_flush_permitted:
    // it has I/O memory or port resources).
    virtual bool io_capable(uint16_t domain) const = 0;

    // The non-RAM frame must only ever be mapped read-only (Xen mmio_ro_ranges: MSI-X tables, MMCFG of
    // devices the hypervisor uses...); a writable request is silently made read-only.
    virtual bool mmio_read_only(Pfn mfn) const = 0;

    // The entries for L4 slots 256..271 of the guest L4 `l4_mfn` (written when it is validated). They
    // take no references; slot 258 conventionally maps `l4_mfn` itself (linear map).
    virtual void hypervisor_l4_slots(Pfn l4_mfn, uint64_t out[16]) const = 0;

    // Check (and normalise in place, e.g. raise DPL) the 512 descriptors of a GDT/LDT frame about to gain
    // the SegDesc type (Xen validate_segdesc_page: any bad descriptor is -EINVAL).
    [[nodiscard]] virtual Status validate_descriptor_page(uint16_t domain, Pfn mfn) = 0;

    // The frame, last used as Writable (so some CPU may still hold a stale writable TLB entry for it), is
    // about to become a page table or descriptor page: flush such entries before its contents are
    // trusted. Called before validation starts.
    virtual void flush_before_protect(uint16_t domain, Pfn mfn) = 0;

    // The frame's last general reference is gone: it is free again (owner cleared, untyped). The kernel
    // unlinks it from the former owner's page list and gives it back to the allocator (which must flush
    // stale TLB entries before reusing it). `hypervisor_page`: it had been given with assign_shared().
    virtual void frame_freed(Pfn mfn, bool hypervisor_page) = 0;

protected:
    FrameAccess() = default;
    ~FrameAccess() = default;
};

}  // namespace hv::pv
