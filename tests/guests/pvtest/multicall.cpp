// multicall (spec §3.5): each entry's result, a nested multicall refused in its own
// result slot, and an unreadable list.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

constinit xen::MulticallEntry g_calls[6];
constinit xen::MulticallEntry g_inner[1];

uint64_t op(Hypercall h) {
    return xen::raw(h);
}

}  // namespace

GUEST_TEST(multicall_each_entry_result) {
    const int64_t version = xen_version(xen::VersionOp::version, nullptr);
    g_calls[0] = {op(Hypercall::xen_version), 0xdead, {xen::raw(xen::VersionOp::version), 0}};
    g_calls[1] = {op(Hypercall::xen_version), 0xdead, {xen::raw(xen::VersionOp::pagesize), 0}};
    g_calls[2] = {60, 0xdead, {}};
    g_calls[3] = {op(Hypercall::vm_assist), 0xdead, {0, 6}};
    g_calls[4] = {op(Hypercall::sched_op), 0xdead, {xen::raw(xen::SchedOp::yield), 0}};
    EXPECT_EQ(multicall(g_calls, 5), 0);
    EXPECT_EQ(static_cast<int64_t>(g_calls[0].result), version);
    EXPECT_EQ(static_cast<int64_t>(g_calls[1].result), 4096);
    EXPECT_ERRNO(static_cast<int64_t>(g_calls[2].result), enosys);
    EXPECT_ERRNO(static_cast<int64_t>(g_calls[3].result), einval);
    EXPECT_EQ(static_cast<int64_t>(g_calls[4].result), 0);
}

GUEST_TEST(multicall_nested_multicall_is_refused) {
    g_inner[0] = {op(Hypercall::xen_version), 0xdead, {xen::raw(xen::VersionOp::pagesize), 0}};
    g_calls[0] = {op(Hypercall::multicall), 0xdead, {reinterpret_cast<uint64_t>(g_inner), 1}};
    g_calls[1] = {op(Hypercall::xen_version), 0xdead, {xen::raw(xen::VersionOp::pagesize), 0}};
    EXPECT_EQ(multicall(g_calls, 2), 0);
    EXPECT_ERRNO(static_cast<int64_t>(g_calls[0].result), einval);
    EXPECT_EQ(g_inner[0].result, 0xdeadu);  // never ran
    EXPECT_EQ(static_cast<int64_t>(g_calls[1].result), 4096);
}

GUEST_TEST(multicall_bad_list_pointer) {
    EXPECT_ERRNO(multicall(reinterpret_cast<xen::MulticallEntry*>(0xffff830000000000ull), 1), efault);
    EXPECT_ERRNO(multicall(reinterpret_cast<xen::MulticallEntry*>(0x8000000000000000ull), 1), efault);
}

GUEST_TEST(multicall_zero_entries) {
    EXPECT_EQ(multicall(g_calls, 0), 0);
}

GUEST_TEST(multicall_batched_mmu_update) {
    // What Linux batches most: a page-table update and a TLB flush in one multicall.
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    PteLocation pte{};
    ASSERT_TRUE(find_l1_entry(page, &pte));
    static xen::MmuUpdate request;
    static xen::MmuextOp flush;
    request = {pte.machine_address, pte.value & ~pte_writable};
    flush = {};
    flush.cmd = xen::raw(xen::MmuextCmd::invlpg_local);
    flush.arg1.linear_addr = page;
    g_calls[0] = {op(Hypercall::mmu_update), 0xdead, {reinterpret_cast<uint64_t>(&request), 1, 0, xen::domid_self}};
    g_calls[1] = {op(Hypercall::mmuext_op), 0xdead, {reinterpret_cast<uint64_t>(&flush), 1, 0, xen::domid_self}};
    g_calls[2] = {op(Hypercall::update_va_mapping), 0xdead, {page, pte.value, xen::uvmf::invlpg}};
    EXPECT_EQ(multicall(g_calls, 3), 0);
    EXPECT_EQ(g_calls[0].result, 0u);
    EXPECT_EQ(g_calls[1].result, 0u);
    EXPECT_EQ(g_calls[2].result, 0u);
    *reinterpret_cast<volatile uint64_t*>(page) = 1;  // writable again
    *reinterpret_cast<volatile uint64_t*>(page) = 0;
    pool_free(page);
}
