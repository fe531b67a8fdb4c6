// memory_op's balloon subops (spec §4.8): increase/decrease_reservation, populate_physmap and
// exchange, as a balloon driver and swiotlb-xen use them. Each case gives back what it took,
// so the domain's reservation is the same before and after.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

constinit uint64_t g_list[8];
constinit uint64_t g_out[8];

int64_t reservation(xen::MemoryOp op, uint64_t* list, uint64_t extents, uint32_t order, uint32_t flags = 0,
                    xen::DomainId domid = xen::domid_self) {
    xen::MemoryReservation r{};
    r.extent_start = reinterpret_cast<uint64_t>(list);
    r.nr_extents = extents;
    r.extent_order = order;
    r.mem_flags = flags;
    r.domid = domid;
    return memory_op(op, &r);
}

int64_t current_pages() {
    xen::DomainId self = xen::domid_self;
    return memory_op(xen::MemoryOp::current_reservation, &self);
}

}  // namespace

GUEST_TEST(memory_op_increase_then_decrease_reservation) {
    const int64_t before = current_pages();
    g_list[0] = g_list[1] = 0;
    ASSERT_EQ(reservation(xen::MemoryOp::increase_reservation, g_list, 2, 0), 2);
    EXPECT_NE(g_list[0], 0u);
    EXPECT_NE(g_list[1], g_list[0]);
    EXPECT_EQ(current_pages(), before + 2);
    EXPECT_EQ(reservation(xen::MemoryOp::decrease_reservation, g_list, 2, 0), 2);
    EXPECT_EQ(current_pages(), before);
}

GUEST_TEST(memory_op_increase_reservation_order_and_address_limit) {
    // An order-1 extent below 4 GiB (the swiotlb's 32-bit limit): aligned, and counted twice.
    const int64_t before = current_pages();
    g_list[0] = 0;
    ASSERT_EQ(reservation(xen::MemoryOp::increase_reservation, g_list, 1, 1, xen::memf::address_bits(32)), 1);
    EXPECT_EQ(g_list[0] & 1, 0u);
    EXPECT_LT(g_list[0], 1ull << 20);
    EXPECT_EQ(current_pages(), before + 2);
    EXPECT_EQ(reservation(xen::MemoryOp::decrease_reservation, g_list, 1, 1), 1);
    EXPECT_EQ(current_pages(), before);
}

GUEST_TEST(memory_op_reservation_refusals_count_extents_done) {
    // Bad arguments are not errors here: the answer is how many extents were done.
    g_list[0] = 0;
    EXPECT_EQ(reservation(xen::MemoryOp::increase_reservation, g_list, 1, 30), 0);  // order too large
    EXPECT_EQ(reservation(xen::MemoryOp::increase_reservation, g_list, 1, 0, xen::memf::address_bits(12)), 0);
    EXPECT_EQ(reservation(xen::MemoryOp::increase_reservation, g_list, 1, 0, 0, 0x7000), 0);  // no such domain
    g_list[0] = 0;  // MFN 0 is not ours
    EXPECT_EQ(reservation(xen::MemoryOp::decrease_reservation, g_list, 1, 0), 0);
    EXPECT_EQ(reservation(xen::MemoryOp::decrease_reservation,
                          reinterpret_cast<uint64_t*>(0xffff800000000000ull), 1, 0), 0);  // unreadable list
}

GUEST_TEST(memory_op_populate_physmap_sets_m2p) {
    const int64_t before = current_pages();
    const uint64_t pfn = start_info()->nr_pages + 100;  // beyond the initial p2m: a balloon hole
    g_list[0] = pfn;
    g_list[1] = pfn + 1;
    ASSERT_EQ(reservation(xen::MemoryOp::populate_physmap, g_list, 2, 0), 2);
    EXPECT_EQ(mfn_to_pfn(g_list[0]), pfn);
    EXPECT_EQ(mfn_to_pfn(g_list[1]), pfn + 1);
    EXPECT_EQ(current_pages(), before + 2);
    EXPECT_EQ(reservation(xen::MemoryOp::decrease_reservation, g_list, 2, 0), 2);
    EXPECT_EQ(current_pages(), before);
}

GUEST_TEST(memory_op_exchange_two_frames_for_a_contiguous_pair) {
    // What xen_create_contiguous_region does: give up scattered frames, get one aligned extent.
    const int64_t before = current_pages();
    g_list[0] = g_list[1] = 0;
    ASSERT_EQ(reservation(xen::MemoryOp::increase_reservation, g_list, 2, 0), 2);
    const uint64_t pfn = start_info()->nr_pages + 200;
    g_out[0] = pfn;
    xen::MemoryExchange x{};
    x.in = {reinterpret_cast<uint64_t>(g_list), 2, 0, 0, xen::domid_self, {}};
    x.out = {reinterpret_cast<uint64_t>(g_out), 1, 1, xen::memf::address_bits(32), xen::domid_self, {}};
    ASSERT_EQ(memory_op(xen::MemoryOp::exchange, &x), 0);
    EXPECT_EQ(x.nr_exchanged, 2u);
    EXPECT_EQ(g_out[0] & 1, 0u);
    EXPECT_EQ(mfn_to_pfn(g_out[0]), pfn);
    EXPECT_EQ(mfn_to_pfn(g_out[0] + 1), pfn + 1);
    EXPECT_EQ(current_pages(), before + 2);
    // The old frames are no longer ours.
    EXPECT_EQ(reservation(xen::MemoryOp::decrease_reservation, g_list, 1, 0), 0);
    EXPECT_EQ(reservation(xen::MemoryOp::decrease_reservation, g_out, 1, 1), 1);
    EXPECT_EQ(current_pages(), before);
}

GUEST_TEST(memory_op_exchange_refusals) {
    xen::MemoryExchange x{};
    x.in = {reinterpret_cast<uint64_t>(g_list), 2, 0, 0, xen::domid_self, {}};
    x.out = {reinterpret_cast<uint64_t>(g_out), 1, 0, 0, xen::domid_self, {}};
    EXPECT_ERRNO(memory_op(xen::MemoryOp::exchange, &x), einval);  // 2 pages in, 1 out
    x.out.nr_extents = 2;
    x.out.domid = 0x7000;
    EXPECT_ERRNO(memory_op(xen::MemoryOp::exchange, &x), einval);  // domids differ
    x.out.domid = xen::domid_self;
    x.nr_exchanged = 2;
    EXPECT_EQ(memory_op(xen::MemoryOp::exchange, &x), 0);  // nothing left to do
    x.nr_exchanged = 0;
    x.in.extent_order = x.out.extent_order = 30;
    EXPECT_ERRNO(memory_op(xen::MemoryOp::exchange, &x), eperm);  // beyond the order limit
    // A frame the guest still maps (its own start_info page) cannot be stolen; nothing changes.
    x.in.extent_order = x.out.extent_order = 0;
    x.in.nr_extents = x.out.nr_extents = 1;
    g_list[0] = va_to_mfn(reinterpret_cast<uint64_t>(start_info()));
    g_out[0] = start_info()->nr_pages + 300;
    const int64_t before = current_pages();
    const int64_t rc = memory_op(xen::MemoryOp::exchange, &x);
    EXPECT_LT(rc, 0);
    EXPECT_EQ(x.nr_exchanged, 0u);
    EXPECT_EQ(current_pages(), before);
    GUEST_NOTE("mapped frame: rc=%lld", static_cast<long long>(rc));
}
