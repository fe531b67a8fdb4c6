#include "pv/dom0_layout.hpp"

#include "memory/frame.hpp"

namespace hv::pv {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }


}  // namespace

uint64_t regions_touched(uint64_t low, uint64_t high, unsigned shift) {
    const uint64_t size = 1ull << shift;
    return (round_up(high, size) - (low & ~(size - 1))) >> shift;
}

Result<Layout> compute_layout(const LayoutInput& in) {
    if (in.virt_kend <= in.virt_kstart || in.virt_kstart < in.virt_base || in.nr_pages == 0)
        return Status::InvalidArgument;
    Layout l{};
    l.v_start = in.virt_base;
    uint64_t cursor = round_up(in.virt_kend, kPage);

    l.vinitrd_start = l.vinitrd_end = cursor;
    if (!in.mod_start_pfn && in.initrd_bytes != 0) {
        l.vinitrd_end = round_up(cursor + in.initrd_bytes, kPage);
        cursor = l.vinitrd_end;
    }
    l.p2m_pages = round_up(in.nr_pages * 8, kPage) / kPage;
    if (in.init_p2m == 0) {
        l.vphysmap_start = cursor;
        l.vphysmap_end = cursor + l.p2m_pages * kPage;
        cursor = l.vphysmap_end;
    } else {
        l.vphysmap_start = in.init_p2m;
        l.vphysmap_end = in.init_p2m + l.p2m_pages * kPage;
    }
    l.vstartinfo_start = cursor;
    l.vstartinfo_end = cursor + in.start_info_bytes;
    l.vpt_start = round_up(l.vstartinfo_end, kPage);

    for (l.nr_pt_frames = 2;; ++l.nr_pt_frames) {
        l.vpt_end = l.vpt_start + l.nr_pt_frames * kPage;
        l.vstack_start = l.vpt_end;
        l.vstack_end = l.vstack_start + kPage;
        l.v_end = round_up(l.vstack_end, 4ull << 20);
        if (l.v_end - l.vstack_end < (512ull << 10))
            l.v_end += 4ull << 20;
        const uint64_t needed = 1 + regions_touched(l.v_start, l.v_end, 39) + regions_touched(l.v_start, l.v_end, 30) +
                                regions_touched(l.v_start, l.v_end, 21);
        if (needed <= l.nr_pt_frames)
            break;
        if (l.nr_pt_frames > 1u << 20)
            return Status::Range;
    }
    if (l.v_end <= l.v_start)  // wrapped past the top of the address space
        return Status::Range;
    if (in.init_p2m != 0 && l.vphysmap_start < l.v_end && l.vphysmap_end > l.v_start)
        return Status::InvalidArgument;  // the p2m must not overlap the initial mapping

    l.order = order_for_bytes(l.v_end - l.v_start);
    l.initrd_pages = round_up(in.initrd_bytes, kPage) / kPage;
    l.initrd_pfn = in.mod_start_pfn ? (1ull << l.order) : l.pfn_of(l.vinitrd_start);
    const uint64_t after_initrd = in.mod_start_pfn ? l.initrd_pfn + l.initrd_pages : (1ull << l.order);
    l.p2m_first_pfn = in.init_p2m != 0 ? after_initrd : 0;
    if ((1ull << l.order) + (in.mod_start_pfn ? l.initrd_pages : 0) > in.nr_pages)
        return Status::OutOfMemory;  // "domain allocation is too small for kernel image"
    return l;
}

}  // namespace hv::pv
