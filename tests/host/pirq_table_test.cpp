// irq::PirqTable: Xen's answers for map_pirq/setup_gsi/eoi and the masking discipline
// that keeps level-triggered lines from storming or being lost.
#include "irq/pirq_table.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hv::irq {
namespace {

struct Pin {
    bool programmed = false;
    bool masked = true;
    Trigger trigger = Trigger::Edge;
    Polarity polarity = Polarity::ActiveHigh;
};

class RecordingController final : public IrqController {
public:
    void program(uint32_t gsi, Trigger trigger, Polarity polarity, bool masked) override {
        pins.at(gsi) = Pin{true, masked, trigger, polarity};
    }
    void set_masked(uint32_t gsi, bool masked) override { pins.at(gsi).masked = masked; }
    std::vector<Pin> pins = std::vector<Pin>(24);
};

class PirqTableTest : public ::testing::Test {
protected:
    PirqTableTest() {
        for (uint32_t isa = 0; isa < 16; ++isa)
            table.set_default(isa, Trigger::Edge, Polarity::ActiveHigh);
        table.set_default(9, Trigger::Level, Polarity::ActiveHigh);  // the SCI override
        table.reserve(2);
        table.reserve(4);
        table.deny(0);
    }
    std::vector<uint32_t> pending() {
        std::vector<uint32_t> ports(PirqTable::kMaxGsis);
        ports.resize(table.take_pending(ports));
        return ports;
    }
    RecordingController pins;
    PirqTable table{pins, 24};
};

TEST_F(PirqTableTest, MapsPirqEqualToGsiAsLinuxAsks) {
    EXPECT_EQ(table.map_gsi(22, 22).value(), 22u);
    EXPECT_TRUE(table.mapped(22));
    EXPECT_EQ(table.gsi_of(22), 22);
    EXPECT_EQ(table.pirq_of(22), 22);
    EXPECT_EQ(table.map_gsi(22, 22).value(), 22u) << "the same mapping again is 0 in Xen";
}

TEST_F(PirqTableTest, MapErrors) {
    EXPECT_EQ(table.map_gsi(24, 24).status(), Status::InvalidArgument);  // beyond the GSIs
    EXPECT_EQ(table.map_gsi(5, 256).status(), Status::InvalidArgument);  // beyond nr_pirqs
    EXPECT_EQ(table.map_gsi(0, 0).status(), Status::Permission);         // IRQ 0 is Xen's
    ASSERT_TRUE(table.map_gsi(5, 5).ok());
    EXPECT_EQ(table.map_gsi(5, 6).status(), Status::Exists);  // GSI has another pirq
    EXPECT_EQ(table.map_gsi(6, 5).status(), Status::Exists);  // pirq names another GSI
    EXPECT_FALSE(table.mapped(6));
}

TEST_F(PirqTableTest, FreePirqSearchFollowsXen) {
    EXPECT_EQ(table.map_gsi(3, -1).value(), 16u);  // GSI range from 16 first
    EXPECT_EQ(table.map_gsi(3, -1).value(), 16u);  // an existing mapping is returned
    for (uint32_t gsi = 16; gsi < 23; ++gsi)  // take pirqs 17..23: the GSI range is full
        ASSERT_EQ(table.map_gsi(gsi, -1).value(), gsi + 1);
    EXPECT_EQ(table.map_gsi(5, -1).value(), PirqTable::kPirqCount - 1);  // then from the top
}

TEST_F(PirqTableTest, SetupGsiProgramsOnceAndReservedPinsAreExists) {
    EXPECT_EQ(table.setup_gsi(22, Trigger::Level, Polarity::ActiveLow), Status::Ok);
    EXPECT_TRUE(pins.pins[22].programmed);
    EXPECT_TRUE(pins.pins[22].masked) << "not bound yet";
    EXPECT_EQ(pins.pins[22].trigger, Trigger::Level);
    EXPECT_EQ(pins.pins[22].polarity, Polarity::ActiveLow);
    EXPECT_EQ(table.setup_gsi(22, Trigger::Edge, Polarity::ActiveHigh), Status::Exists);
    EXPECT_EQ(pins.pins[22].trigger, Trigger::Level) << "not reprogrammed";
    EXPECT_EQ(table.setup_gsi(4, Trigger::Edge, Polarity::ActiveHigh), Status::Exists);  // COM1
    EXPECT_FALSE(pins.pins[4].programmed);
    EXPECT_EQ(table.setup_gsi(24, Trigger::Edge, Polarity::ActiveHigh), Status::InvalidArgument);
}

TEST_F(PirqTableTest, ReservedGsiMapsButNeverBinds) {
    ASSERT_EQ(table.map_gsi(4, 4).value(), 4u);
    EXPECT_EQ(table.bind(4, 7), Status::Busy);
    EXPECT_FALSE(pins.pins[4].programmed);
    EXPECT_FALSE(table.on_interrupt(4));
}

TEST_F(PirqTableTest, BindUnmasksAndUnbindMasks) {
    EXPECT_EQ(table.bind(10, 3), Status::InvalidArgument);  // not mapped
    ASSERT_TRUE(table.map_gsi(10, 10).ok());
    ASSERT_EQ(table.bind(10, 3), Status::Ok);
    EXPECT_TRUE(pins.pins[10].programmed);
    EXPECT_FALSE(pins.pins[10].masked);
    EXPECT_EQ(table.bind(10, 4), Status::Busy);
    table.unbind(10);
    EXPECT_TRUE(pins.pins[10].masked);
    EXPECT_FALSE(table.bound(10));
}

TEST_F(PirqTableTest, LevelLineStaysMaskedUntilGuestEoi) {
    ASSERT_TRUE(table.map_gsi(22, 22).ok());
    ASSERT_EQ(table.setup_gsi(22, Trigger::Level, Polarity::ActiveLow), Status::Ok);
    ASSERT_EQ(table.bind(22, 9), Status::Ok);
    EXPECT_TRUE(table.needs_eoi(22));
    EXPECT_TRUE(table.on_interrupt(22));
    EXPECT_TRUE(pins.pins[22].masked) << "masked before the local APIC EOI";
    EXPECT_EQ(pending(), std::vector<uint32_t>{9});
    EXPECT_TRUE(pending().empty()) << "each interrupt is reported once";
    EXPECT_TRUE(pins.pins[22].masked);
    EXPECT_EQ(table.eoi(22), Status::Ok);
    EXPECT_FALSE(pins.pins[22].masked) << "the guest's EOI unmasks";
    EXPECT_EQ(table.eoi(22), Status::Ok) << "a second EOI is harmless";
    EXPECT_FALSE(pins.pins[22].masked);
}

TEST_F(PirqTableTest, EdgeLineIsNeverMasked) {
    ASSERT_TRUE(table.map_gsi(1, 1).ok());
    ASSERT_EQ(table.bind(1, 5), Status::Ok);
    EXPECT_FALSE(table.needs_eoi(1));
    EXPECT_TRUE(table.on_interrupt(1));
    EXPECT_TRUE(table.on_interrupt(1));  // merged into one pending raise
    EXPECT_FALSE(pins.pins[1].masked);
    EXPECT_EQ(pending(), std::vector<uint32_t>{5});
}

TEST_F(PirqTableTest, InterruptOnUnboundPinMasksIt) {
    ASSERT_TRUE(table.map_gsi(23, 23).ok());
    pins.pins[23].masked = false;  // e.g. firmware left it live
    EXPECT_FALSE(table.on_interrupt(23));
    EXPECT_TRUE(pins.pins[23].masked);
    EXPECT_TRUE(pending().empty());
}

TEST_F(PirqTableTest, UnbindDropsPendingAndInFlight) {
    ASSERT_TRUE(table.map_gsi(22, 22).ok());
    ASSERT_EQ(table.bind(22, 9), Status::Ok);
    ASSERT_TRUE(table.on_interrupt(22));
    table.unbind(22);
    EXPECT_TRUE(pending().empty());
    EXPECT_EQ(table.eoi(22), Status::Ok);
    EXPECT_TRUE(pins.pins[22].masked) << "an EOI after unbind does not unmask";
    ASSERT_EQ(table.bind(22, 11), Status::Ok);
    EXPECT_FALSE(pins.pins[22].masked) << "a fresh bind starts with no EOI owed";
}

TEST_F(PirqTableTest, UnmapForcesUnbind) {
    EXPECT_EQ(table.unmap(22), Status::InvalidArgument);
    ASSERT_TRUE(table.map_gsi(22, 22).ok());
    ASSERT_EQ(table.bind(22, 9), Status::Ok);
    EXPECT_EQ(table.unmap(22), Status::Ok);
    EXPECT_TRUE(pins.pins[22].masked);
    EXPECT_FALSE(table.mapped(22));
    EXPECT_EQ(table.eoi(22), Status::InvalidArgument);
    EXPECT_TRUE(table.map_gsi(22, 30).ok()) << "the GSI is free again";
}

}  // namespace
}  // namespace hv::irq

namespace hv::irq {
namespace {

class MsiRecorder final : public IrqController {
public:
    void program(uint32_t line, Trigger trigger, Polarity, bool masked) override {
        last_line = line;
        last_trigger = trigger;
        masked_[line] = masked;
    }
    void set_masked(uint32_t line, bool masked) override { masked_[line] = masked; }
    bool masked(uint32_t line) const { return masked_[line]; }
    uint32_t last_line = 0;
    Trigger last_trigger = Trigger::Level;

private:
    bool masked_[PirqTable::kLines] = {};
};

TEST(PirqTableMsi, MapsFromTheTopOnMsiLines) {
    MsiRecorder rec;
    PirqTable table{rec, 24};
    uint32_t line = 0;
    EXPECT_EQ(table.map_msi(-1, line).value(), PirqTable::kPirqCount - 1);
    EXPECT_EQ(line, PirqTable::kMsiLineBase);
    EXPECT_TRUE(PirqTable::is_msi_line(line));
    EXPECT_EQ(table.line_of(PirqTable::kPirqCount - 1), static_cast<int32_t>(line));
    EXPECT_EQ(table.map_msi(-1, line).value(), PirqTable::kPirqCount - 2);
    EXPECT_EQ(line, PirqTable::kMsiLineBase + 1);
    EXPECT_EQ(table.map_msi(PirqTable::kPirqCount - 1, line).status(), Status::Exists);
    EXPECT_EQ(table.map_msi(300, line).status(), Status::InvalidArgument);
    EXPECT_FALSE(table.needs_eoi(PirqTable::kPirqCount - 1)) << "MSIs are edge: no guest EOI";
    EXPECT_EQ(table.setup_gsi(PirqTable::kMsiLineBase, Trigger::Level, Polarity::ActiveLow), Status::InvalidArgument);
}

TEST(PirqTableMsi, BindUnmasksDeliveryIsEdgeUnmapFreesTheLine) {
    MsiRecorder rec;
    PirqTable table{rec, 24};
    uint32_t line = 0;
    const uint32_t pirq = table.map_msi(-1, line).value();
    ASSERT_EQ(table.bind(pirq, 42), Status::Ok);
    EXPECT_EQ(rec.last_line, line);
    EXPECT_EQ(rec.last_trigger, Trigger::Edge);
    EXPECT_FALSE(rec.masked(line));
    EXPECT_TRUE(table.on_interrupt(line));
    EXPECT_FALSE(rec.masked(line)) << "never masked for an edge line";
    uint32_t ports[4];
    ASSERT_EQ(table.take_pending(ports), 1u);
    EXPECT_EQ(ports[0], 42u);
    EXPECT_EQ(table.unmap(pirq), Status::Ok);
    EXPECT_TRUE(rec.masked(line));
    EXPECT_FALSE(table.on_interrupt(line)) << "a freed MSI line delivers nothing";
    uint32_t again = 0;
    EXPECT_EQ(table.map_msi(-1, again).value(), PirqTable::kPirqCount - 1);
    EXPECT_EQ(again, line) << "the line is reused";
}

TEST(PirqTableMsi, RunsOutOfLines) {
    MsiRecorder rec;
    PirqTable table{rec, 24};
    uint32_t line = 0;
    for (uint32_t i = 0; i < PirqTable::kMaxMsis; ++i)
        ASSERT_TRUE(table.map_msi(-1, line).ok());
    EXPECT_EQ(table.map_msi(-1, line).status(), Status::NoSpace);
}

}  // namespace
}  // namespace hv::irq
