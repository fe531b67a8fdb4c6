// Segment descriptors a PV guest installs (pv/descriptors): Xen's check_descriptor rules.
#include "pv/descriptors.hpp"

#include <gtest/gtest.h>

#include <array>

namespace hv::pv {
namespace {

constexpr uint64_t kKernelCode64 = 0x00af9b000000ffff;  // DPL 0, present, 64-bit code
constexpr uint64_t kUserData = 0x00cff3000000ffff;      // DPL 3 data
constexpr uint64_t kDplMask = 3ull << 45;

// A 64-bit call gate (type 0xc) to `selector`, DPL `dpl`, present.
uint64_t call_gate(uint16_t selector, unsigned dpl) {
    return (1ull << 47) | (static_cast<uint64_t>(dpl) << 45) | (0xcull << 40) | (static_cast<uint64_t>(selector) << 16);
}

TEST(Descriptors, NotPresentIsAlwaysFine) {
    uint64_t d = 0x0000400000000000;  // garbage but not present
    EXPECT_EQ(check_descriptor(d, nullptr), Status::Ok);
    EXPECT_EQ(d, 0x0000400000000000u);
}

TEST(Descriptors, CodeAndDataGetDpl3) {
    uint64_t code = kKernelCode64;
    EXPECT_EQ(check_descriptor(code, nullptr), Status::Ok);
    EXPECT_EQ(code & kDplMask, kDplMask) << "the PV kernel runs at CPL 3";
    EXPECT_EQ(code & ~kDplMask, kKernelCode64 & ~kDplMask) << "nothing else changes";
    uint64_t data = kUserData;
    EXPECT_EQ(check_descriptor(data, nullptr), Status::Ok);
    EXPECT_EQ(data, kUserData);
}

TEST(Descriptors, SystemDescriptorsOtherThanCallGatesAreRefused) {
    for (uint64_t type : {0x2ull, 0x9ull, 0xbull, 0xeull, 0xfull}) {  // LDT, TSS, busy TSS, gates
        uint64_t d = (1ull << 47) | (type << 40);
        EXPECT_EQ(check_descriptor(d, nullptr), Status::InvalidArgument) << type;
    }
}

TEST(Descriptors, CallGateToAGuestSelectorWithAnEmptyUpperHalf) {
    const uint64_t upper = 0;
    uint64_t gate = call_gate(0x10 | 3, 3);
    EXPECT_EQ(check_descriptor(gate, &upper), Status::Ok);
    uint64_t flat = call_gate(0xe033, 3);
    EXPECT_EQ(check_descriptor(flat, &upper), Status::Ok) << "FLAT_KERNEL_CS is a guest selector";
}

TEST(Descriptors, CallGateRefusals) {
    const uint64_t empty = 0;
    uint64_t to_hypervisor = call_gate(0xe008, 3);
    EXPECT_EQ(check_descriptor(to_hypervisor, &empty), Status::InvalidArgument);
    uint64_t rpl0 = call_gate(0x10, 3);
    EXPECT_EQ(check_descriptor(rpl0, &empty), Status::InvalidArgument);
    uint64_t no_upper = call_gate(0x13, 3);
    EXPECT_EQ(check_descriptor(no_upper, nullptr), Status::InvalidArgument) << "the gate's upper half is missing";
    const uint64_t busy_upper = kUserData;
    uint64_t bad_upper = call_gate(0x13, 3);
    EXPECT_EQ(check_descriptor(bad_upper, &busy_upper), Status::InvalidArgument);
}

TEST(Descriptors, WholePageStopsAtTheFirstBadOne) {
    std::array<uint64_t, 512> page{};
    page[1] = kKernelCode64;
    page[2] = call_gate(0x13, 3);  // page[3] is its empty upper half
    EXPECT_EQ(check_descriptor_page(page), Status::Ok);
    EXPECT_EQ(page[1] & kDplMask, kDplMask);
    page[100] = (1ull << 47) | (0x9ull << 40);  // a TSS
    EXPECT_EQ(check_descriptor_page(page), Status::InvalidArgument);
}

}  // namespace
}  // namespace hv::pv
