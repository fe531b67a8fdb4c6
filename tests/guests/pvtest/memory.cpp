// memory_op queries a dom0 kernel makes (spec §4.8): reservations, the highest RAM
// frame, and the two E820 maps.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

constinit xen::E820Entry g_e820[128];

int64_t memory_map(xen::MemoryOp op, uint32_t capacity, uint32_t* entries_out) {
    xen::MemoryMap map{capacity, 0, reinterpret_cast<uint64_t>(g_e820)};
    const int64_t rc = memory_op(op, &map);
    *entries_out = map.nr_entries;
    return rc;
}

}  // namespace

GUEST_TEST(memory_op_current_reservation) {
    xen::DomainId self = xen::domid_self;
    const int64_t pages = memory_op(xen::MemoryOp::current_reservation, &self);
    EXPECT_GE(pages, static_cast<int64_t>(start_info()->nr_pages));
    GUEST_NOTE("pages=%lld", static_cast<long long>(pages));
}

GUEST_TEST(memory_op_maximum_reservation) {
    xen::DomainId self = xen::domid_self;
    const int64_t pages = memory_op(xen::MemoryOp::maximum_reservation, &self);
    EXPECT_GE(pages, static_cast<int64_t>(start_info()->nr_pages));
    GUEST_NOTE("max_pages=%lld", static_cast<long long>(pages));
}

GUEST_TEST(memory_op_reservation_of_unknown_domain) {
    xen::DomainId other = 0x7000;
    EXPECT_ERRNO(memory_op(xen::MemoryOp::current_reservation, &other), esrch);
}

GUEST_TEST(memory_op_maximum_ram_page) {
    const int64_t page = memory_op(xen::MemoryOp::maximum_ram_page, nullptr);
    EXPECT_GT(page, 0);
    xen::MachphysMapping mapping{};
    ASSERT_EQ(memory_op(xen::MemoryOp::machphys_mapping, &mapping), 0);
    EXPECT_LE(static_cast<uint64_t>(page), mapping.max_mfn + 1);
    GUEST_NOTE("max_ram_page=%#llx", static_cast<unsigned long long>(page));
}

GUEST_TEST(memory_op_memory_map_for_dom0) {
    uint32_t entries = 0;
    const int64_t rc = memory_map(xen::MemoryOp::memory_map, 128, &entries);
    EXPECT_ERRNO(rc, enosys);
}

GUEST_TEST(memory_op_machine_memory_map) {
    uint32_t entries = 0;
    ASSERT_EQ(memory_map(xen::MemoryOp::machine_memory_map, 128, &entries), 0);
    EXPECT_GT(entries, 0u);
    EXPECT_LE(entries, 128u);
    uint64_t ram = 0;
    bool sorted = true;
    for (uint32_t i = 0; i < entries && i < 128; ++i) {
        if (g_e820[i].type == xen::raw(xen::E820Type::ram))
            ram += g_e820[i].size;
        if (i > 0 && g_e820[i].addr < g_e820[i - 1].addr)
            sorted = false;
    }
    EXPECT_TRUE(sorted);
    EXPECT_GT(ram, 512ull << 20);  // QEMU has 1 GiB
    GUEST_NOTE("entries=%u ram_mib=%llu", entries, static_cast<unsigned long long>(ram >> 20));
}

GUEST_TEST(memory_op_machine_memory_map_buffer_too_small) {
    uint32_t entries = 0;
    EXPECT_ERRNO(memory_map(xen::MemoryOp::machine_memory_map, 1, &entries), einval);
}

GUEST_TEST(memory_op_unknown_cmd) {
    EXPECT_ERRNO(hypercall2(Hypercall::memory_op, 63, nullptr), enosys);
}

GUEST_TEST(memory_op_machphys_mfn_list) {
    static uint64_t frames[4];
    xen::MachphysMfnList list{4, 0, reinterpret_cast<uint64_t>(frames), 0, 0};
    EXPECT_EQ(memory_op(xen::MemoryOp::machphys_mfn_list, &list), 0);
    EXPECT_GE(list.nr_extents, 1u);
    EXPECT_NE(frames[0], 0u);
}
