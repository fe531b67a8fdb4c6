// The MCFG parser (PCI ECAM windows): QEMU q35's window and malformed tables.
#include "acpi/tables.hpp"
#include "acpi_test_support.hpp"

#include <gtest/gtest.h>

namespace hv::acpi {
namespace {

using namespace testing;

Bytes mcfg_body(std::initializer_list<EcamWindow> windows) {
    Bytes body(8, 0);  // reserved
    for (const EcamWindow& w : windows) {
        put64(body, w.base);
        put16(body, w.segment);
        put8(body, w.start_bus);
        put8(body, w.end_bus);
        put32(body, 0);
    }
    return body;
}

TEST(AcpiMcfg, QemuQ35Window) {
    const Bytes t = sdt("MCFG", 1, mcfg_body({{0xb0000000, 0, 0, 255}}));
    auto r = parse_mcfg(span_of(t));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->count, 1u);
    EXPECT_EQ(r->windows[0].base, 0xb0000000u);
    EXPECT_EQ(r->windows[0].segment, 0);
    EXPECT_EQ(r->windows[0].start_bus, 0);
    EXPECT_EQ(r->windows[0].end_bus, 255);
}

TEST(AcpiMcfg, Rejects) {
    Bytes partial = mcfg_body({{0xb0000000, 0, 0, 255}});
    partial.pop_back();
    EXPECT_EQ(parse_mcfg(span_of(sdt("MCFG", 1, partial))).status(), Status::InvalidArgument);
    EXPECT_EQ(parse_mcfg(span_of(sdt("MCFG", 1, mcfg_body({{0xb0000000, 0, 9, 8}})))).status(),
              Status::InvalidArgument);
    EXPECT_EQ(parse_mcfg(span_of(sdt("APIC", 1, mcfg_body({})))).status(), Status::InvalidArgument);
    Bytes many(8, 0);
    for (int i = 0; i < 9; ++i) {
        const Bytes one = mcfg_body({{0xb0000000u + i * 0x10000000u, static_cast<uint16_t>(i), 0, 255}});
        many.insert(many.end(), one.begin() + 8, one.end());
    }
    EXPECT_EQ(parse_mcfg(span_of(sdt("MCFG", 1, many))).status(), Status::Range);
}

}  // namespace
}  // namespace hv::acpi
