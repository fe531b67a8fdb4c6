// The dom0 layout against the reference values of a real Xen 4.17 boot of Debian's
// 6.1 kernel with dom0_mem=512M (spec §2.1-2.2).
#include "pv/dom0_layout.hpp"

#include <gtest/gtest.h>

namespace hv::pv {
namespace {

LayoutInput debian_dom0() {
    LayoutInput in{};
    in.virt_base = 0xffffffff80000000;
    in.virt_kstart = 0xffffffff81000000;
    in.virt_kend = 0xffffffff84a00000;
    in.init_p2m = 0x8000000000;
    in.mod_start_pfn = true;
    in.initrd_bytes = 0x1e4800;
    in.nr_pages = 131072;
    in.start_info_bytes = 0x490 + 0x28;
    return in;
}

TEST(Dom0Layout, MatchesXenReferenceBoot) {
    auto l = compute_layout(debian_dom0());
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->v_start, 0xffffffff80000000ull);
    EXPECT_EQ(l->vstartinfo_start, 0xffffffff84a00000ull);
    EXPECT_EQ(l->vpt_start, 0xffffffff84a01000ull);
    EXPECT_EQ(l->nr_pt_frames, 41u);
    EXPECT_EQ(l->vpt_end, 0xffffffff84a2a000ull);
    EXPECT_EQ(l->vstack_end, 0xffffffff84a2b000ull);
    EXPECT_EQ(l->v_end, 0xffffffff84c00000ull);
    EXPECT_EQ(l->order, 15u);                  // 76 MiB -> 128 MiB chunk
    EXPECT_EQ(l->initrd_pfn, 0x8000u);         // RAMDISK at 0x08000000
    EXPECT_EQ(l->initrd_pages, 0x1e5u);
    EXPECT_EQ(l->p2m_first_pfn, 0x81e5u);      // start_info.first_p2m_pfn
    EXPECT_EQ(l->p2m_pages, 256u);             // + 3 page-table pages = nr_p2m_frames 259
    EXPECT_EQ(l->vphysmap_start, 0x8000000000ull);
    EXPECT_EQ(l->pfn_of(l->vpt_start), 0x4a01u);  // pt_base PFN
}

TEST(Dom0Layout, RegionsTouched) {
    EXPECT_EQ(regions_touched(0xffffffff80000000, 0xffffffff84c00000, 21), 38u);
    EXPECT_EQ(regions_touched(0xffffffff80000000, 0xffffffff84c00000, 30), 1u);
    EXPECT_EQ(regions_touched(0x1000, 0x2000, 12), 1u);
    EXPECT_EQ(regions_touched(0x1fff, 0x2001, 12), 2u);
}

TEST(Dom0Layout, PaddingKeepsHalfAMegabyteAfterTheStack) {
    for (uint64_t kend = 0xffffffff80100000; kend < 0xffffffff80800000; kend += 0x3000) {
        LayoutInput in = debian_dom0();
        in.virt_kstart = 0xffffffff80000000;
        in.virt_kend = kend;
        auto l = compute_layout(in);
        ASSERT_TRUE(l.ok());
        EXPECT_GE(l->v_end - l->vstack_end, 512u << 10);
        EXPECT_EQ(l->v_end % (4u << 20), 0u);
        const uint64_t tables = 1 + regions_touched(l->v_start, l->v_end, 39) + regions_touched(l->v_start, l->v_end, 30) +
                                regions_touched(l->v_start, l->v_end, 21);
        EXPECT_GE(l->nr_pt_frames, tables);
        EXPECT_LE(l->nr_pt_frames, tables + 1);  // smallest sufficient n (at most one over, as n feeds back)
    }
}

TEST(Dom0Layout, MappedP2mAndInitrdWithoutNotes) {
    LayoutInput in = debian_dom0();
    in.init_p2m = 0;
    in.mod_start_pfn = false;
    in.nr_pages = 16384;
    in.virt_kend = 0xffffffff81400000;
    auto l = compute_layout(in);
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->vinitrd_start, 0xffffffff81400000ull);
    EXPECT_EQ(l->vinitrd_end, 0xffffffff81400000ull + 0x1e5000);
    EXPECT_EQ(l->vphysmap_start, l->vinitrd_end);
    EXPECT_EQ(l->vphysmap_end - l->vphysmap_start, 32u * 4096);
    EXPECT_EQ(l->vstartinfo_start, l->vphysmap_end);
    EXPECT_EQ(l->p2m_first_pfn, 0u);
    EXPECT_EQ(l->initrd_pfn, l->pfn_of(l->vinitrd_start));
}

TEST(Dom0Layout, RejectsTooLittleMemoryAndBadInput) {
    LayoutInput in = debian_dom0();
    in.nr_pages = 1000;  // far less than the 128 MiB chunk
    EXPECT_EQ(compute_layout(in).status(), Status::OutOfMemory);
    in = debian_dom0();
    in.virt_kend = in.virt_kstart;
    EXPECT_EQ(compute_layout(in).status(), Status::InvalidArgument);
    in = debian_dom0();
    in.init_p2m = 0xffffffff80000000;  // inside the initial mapping
    EXPECT_EQ(compute_layout(in).status(), Status::InvalidArgument);
}

}  // namespace
}  // namespace hv::pv
