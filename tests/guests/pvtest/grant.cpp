// Grant tables as dom0 sets them up at boot (spec §4.13, §9.8): version, setup_table,
// and a writable mapping of the hypervisor-owned grant frame.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

GUEST_TEST(grant_table_get_and_set_version) {
    xen::GrantGetVersion get{xen::domid_self, 0, 0};
    EXPECT_EQ(grant_table_op(xen::GrantTableOp::get_version, &get, 1), 0);
    EXPECT_EQ(get.version, 1u);
    xen::GrantSetVersion set{1};
    EXPECT_EQ(grant_table_op(xen::GrantTableOp::set_version, &set, 1), 0);
    EXPECT_EQ(set.version, 1u);
    set.version = 3;
    EXPECT_ERRNO(grant_table_op(xen::GrantTableOp::set_version, &set, 1), einval);
}

GUEST_TEST(grant_table_setup_and_map_frame) {
    static uint64_t frames[1];
    xen::GrantSetupTable setup{};
    setup.dom = xen::domid_self;
    setup.nr_frames = 1;
    setup.frame_list = reinterpret_cast<uint64_t>(frames);
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::setup_table, &setup, 1), 0);
    ASSERT_EQ(setup.status, 0);
    ASSERT_NE(frames[0], 0u);
    // Linux maps the frame writable in its own page tables.
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    ASSERT_EQ(update_va_mapping(page, make_pte(frames[0], pte_kernel_rw), xen::uvmf::invlpg), 0);
    auto* entries = reinterpret_cast<volatile xen::GrantEntryV1*>(page);
    EXPECT_EQ(entries[8].flags, 0u);
    entries[9].domid = 0;  // writable
    EXPECT_EQ(remap_page(page, pte_kernel_rw), 0);
    pool_free(page);
}

GUEST_TEST(grant_table_setup_too_many_frames) {
    static uint64_t frames[1];
    xen::GrantSetupTable setup{};
    setup.dom = xen::domid_self;
    setup.nr_frames = 100000;
    setup.frame_list = reinterpret_cast<uint64_t>(frames);
    EXPECT_EQ(grant_table_op(xen::GrantTableOp::setup_table, &setup, 1), 0);
    EXPECT_EQ(setup.status, xen::raw(xen::GrantStatus::general_error));
}
