// EntryUpdater (pv/entry_updater.hpp): the permission flip moves exactly the Writable type ref and
// refuses what the general path refuses (RW of a table, of a foreign or grant-like frame, of read-only
// MMIO), the table cache holds one general ref while a run lasts and none after, and update_mapping walks
// to the L1 the way update_va_mapping specifies (only an L1; no walk through absent entries).
#include "pv/entry_updater.hpp"

#include <gtest/gtest.h>

#include "tests/host/page_types_support.hpp"

namespace hv::pv {
namespace {

using namespace testing;

constexpr uint16_t kDom0 = 0;
constexpr uint16_t kDomU = 1;

// va = kBase + i * 4 KiB is mapped by entry i of the L1 below L4 slot 1, L3 slot 0, L2 slot 0.
constexpr uint64_t kBase = 1ull << 39;

class EntryUpdaterTest : public ::testing::Test {
protected:
    static constexpr size_t kFrames = 256;
    EntryUpdaterTest() : m(kFrames), t(m.types) {}

    Pfn alloc(uint16_t domain) {
        while (t.general_count(next_) != 0 || !m.is_ram(next_))
            ++next_;
        EXPECT_EQ(t.assign(next_, domain), Status::Ok);
        return next_++;
    }

    // A pinned L4 -> L3 -> L2 -> L1 of `domain` whose L1 maps `data` writable at entries 0..7, and maps
    // the L1 itself read-only at entry 8 (as Linux maps its own page tables).
    void build(uint16_t domain) {
        l4 = alloc(domain), l3 = alloc(domain), l2 = alloc(domain), l1 = alloc(domain);
        m.at(l4, 1) = make_entry(l3, kTableFlags);
        m.at(l3, 0) = make_entry(l2, kTableFlags);
        m.at(l2, 0) = make_entry(l1, kTableFlags);
        for (unsigned i = 0; i < 8; ++i) {
            data[i] = alloc(domain);
            m.at(l1, i) = make_entry(data[i], kDataFlags);
        }
        m.at(l1, 8) = make_entry(l1, ro(kDataFlags));
        ASSERT_EQ(t.pin(l4, PageType::L4, domain), Status::Ok);
    }

    void expect_audit() { EXPECT_EQ(audit(m), ""); }

    FakeMachine m;
    PageTypes& t;
    Pfn next_ = 1;
    Pfn l4 = 0, l3 = 0, l2 = 0, l1 = 0;
    Pfn data[8] = {};
};

TEST_F(EntryUpdaterTest, PermissionFlipMovesOnlyTheWritableRef) {
    build(kDomU);
    const uint32_t general = t.general_count(data[0]);
    ASSERT_EQ(t.type_count(data[0]), 1u);
    {
        EntryUpdater updater(t, kDomU, kDomU);
        ASSERT_EQ(updater.update(l1, 0, make_entry(data[0], ro(kDataFlags)), false), Status::Ok);
        EXPECT_EQ(m.at(l1, 0), make_entry(data[0], ro(kDataFlags) | pte::kGlobal));
        EXPECT_EQ(t.type_count(data[0]), 0u);
        EXPECT_EQ(t.general_count(data[0]), general);
        EXPECT_EQ(t.type_of(data[0]), PageType::None);
        // Back to RW, with other harmless bits changed at the same time.
        const uint64_t rw = make_entry(data[0], kDataFlags | pte::kDirty | pte::kNoExecute);
        ASSERT_EQ(updater.update(l1, 0, rw, false), Status::Ok);
        EXPECT_EQ(m.at(l1, 0), rw | pte::kGlobal);
        EXPECT_EQ(t.type_of(data[0]), PageType::Writable);
        EXPECT_EQ(t.type_count(data[0]), 1u);
        EXPECT_EQ(t.general_count(data[0]), general);
        EXPECT_FALSE(updater.changed_upper());
    }
    expect_audit();
    // With PRESERVE_AD the A/D bits the MMU set survive the flip.
    m.at(l1, 1) |= pte::kDirty;
    ASSERT_EQ(t.update_entry(l1, 1, make_entry(data[1], ro(pte::kPresent | pte::kUser)), kDomU, true), Status::Ok);
    EXPECT_EQ(m.at(l1, 1), make_entry(data[1], ro(kDataFlags) | pte::kDirty | pte::kGlobal));
    EXPECT_EQ(t.type_count(data[1]), 0u);
    expect_audit();
}

TEST_F(EntryUpdaterTest, FlipRefusesWritableMappingsOfTables) {
    build(kDomU);
    const auto before = snapshot(m);
    const uint64_t old_entry = m.at(l1, 8);
    {
        EntryUpdater updater(t, kDomU, kDomU);
        EXPECT_EQ(updater.update(l1, 8, make_entry(l1, kDataFlags), false), Status::Busy) << "the L1 itself";
        EXPECT_EQ(m.at(l1, 8), old_entry);
        // The L2, mapped read-only elsewhere: refused as RW, both on the same slot and on a fresh one.
        ASSERT_EQ(updater.update(l1, 9, make_entry(l2, ro(kDataFlags)), false), Status::Ok);
        EXPECT_EQ(updater.update(l1, 9, make_entry(l2, kDataFlags), false), Status::Busy);
        EXPECT_EQ(updater.update(l1, 10, make_entry(l2, kDataFlags), false), Status::Busy);
        ASSERT_EQ(updater.update(l1, 9, 0, false), Status::Ok);
    }
    EXPECT_EQ(snapshot(m), before);
    expect_audit();
}

TEST_F(EntryUpdaterTest, FlipOfAnotherDomainsFrameNeedsThatPageOwner) {
    build(kDom0);
    const Pfn theirs = alloc(kDomU);
    // dom0 maps domU's frame read-only with domU named as page owner (privcmd).
    ASSERT_EQ(t.update_foreign_entry(l1, 20, make_entry(theirs, ro(kDataFlags)), kDom0, kDomU, false), Status::Ok);
    const auto before = snapshot(m);
    {
        EntryUpdater own(t, kDom0, kDom0);
        EXPECT_EQ(own.update(l1, 20, make_entry(theirs, kDataFlags), false), Status::Busy)
            << "RW needs a reference domU's frame gives only to its page owner";
    }
    EXPECT_EQ(snapshot(m), before);
    {
        EntryUpdater foreign(t, kDom0, kDomU);
        EXPECT_EQ(foreign.update(l1, 20, make_entry(theirs, kDataFlags), false), Status::Ok);
        EXPECT_EQ(t.type_of(theirs), PageType::Writable);
        EXPECT_EQ(t.general_count(theirs), 2u);
    }
    expect_audit();
}

TEST_F(EntryUpdaterTest, FlipOfMmioTakesTheGeneralPath) {
    constexpr Pfn kReadOnlyMmio = 200;
    m.mmio = {kReadOnlyMmio};
    m.read_only_mmio = {kReadOnlyMmio};
    m.io_permissions[kDom0] = {kReadOnlyMmio};
    build(kDom0);
    ASSERT_EQ(t.update_entry(l1, 30, make_entry(kReadOnlyMmio, ro(kDataFlags) | pte::kUncacheable), kDom0, false),
              Status::Ok);
    ASSERT_EQ(t.update_entry(l1, 30, make_entry(kReadOnlyMmio, kDataFlags | pte::kUncacheable), kDom0, false),
              Status::Ok);
    EXPECT_EQ(m.at(l1, 30), make_entry(kReadOnlyMmio, ro(kDataFlags) | pte::kUncacheable | pte::kGlobal))
        << "read-only MMIO silently stays read-only";
    EXPECT_EQ(t.general_count(kReadOnlyMmio), 0u) << "MMIO never gains a reference (I7)";
    expect_audit();
}

TEST_F(EntryUpdaterTest, TableReferenceLastsAsLongAsTheRun) {
    build(kDomU);
    const Pfn other_l1 = alloc(kDomU);
    ASSERT_EQ(t.pin(other_l1, PageType::L1, kDomU), Status::Ok);
    const uint32_t l1_refs = t.general_count(l1), other_refs = t.general_count(other_l1);
    {
        EntryUpdater updater(t, kDomU, kDomU);
        for (unsigned i = 0; i < 8; ++i)
            ASSERT_EQ(updater.update(l1, i, make_entry(data[i], ro(kDataFlags)), false), Status::Ok);
        EXPECT_EQ(t.general_count(l1), l1_refs + 1);
        ASSERT_EQ(updater.update(other_l1, 0, make_entry(data[0], ro(kDataFlags)), false), Status::Ok);
        EXPECT_EQ(t.general_count(l1), l1_refs) << "moving to another table drops the first one";
        EXPECT_EQ(t.general_count(other_l1), other_refs + 1);
        // A table the caller does not own is refused and leaves nothing held.
        EXPECT_EQ(updater.update(alloc(kDom0), 0, 0, false), Status::InvalidArgument);
        EXPECT_EQ(t.general_count(other_l1), other_refs);
        EXPECT_EQ(updater.update(kFrames + 5, 0, 0, false), Status::InvalidArgument) << "beyond the frame table";
        ASSERT_EQ(updater.update(l2, 1, make_entry(other_l1, kTableFlags), false), Status::Ok);
        EXPECT_TRUE(updater.changed_upper());
    }
    EXPECT_EQ(t.general_count(l1), l1_refs);
    EXPECT_EQ(t.general_count(other_l1), other_refs + 1) << "named by the L2 now";
    expect_audit();
}

TEST_F(EntryUpdaterTest, LastReferenceDroppedByTheRunFreesTheFrame) {
    const Pfn page = alloc(kDomU);
    {
        EntryUpdater updater(t, kDomU, kDomU);
        ASSERT_EQ(updater.update(page, 3, 0x1234, false), Status::Ok) << "a plain write to a Writable page";
        EXPECT_EQ(m.at(page, 3), 0x1234u);
        ASSERT_EQ(t.release(page, kDomU), Status::Ok);
        EXPECT_TRUE(m.freed.empty()) << "the run still holds it";
    }
    ASSERT_EQ(m.freed.size(), 1u);
    EXPECT_EQ(m.freed[0].first, page);
    expect_audit();
}

TEST_F(EntryUpdaterTest, UpdateMappingWalksToTheL1) {
    build(kDomU);
    EntryUpdater updater(t, kDomU, kDomU);
    ASSERT_EQ(updater.update_mapping(l4, kBase + 2 * kPageSize + 0x123, make_entry(data[2], ro(kDataFlags))), Status::Ok);
    EXPECT_EQ(m.at(l1, 2), make_entry(data[2], ro(kDataFlags) | pte::kGlobal));
    EXPECT_EQ(t.type_count(data[2]), 0u);
    ASSERT_EQ(updater.update_mapping(l4, kBase + 2 * kPageSize, make_entry(data[2], kDataFlags)), Status::Ok);
    EXPECT_EQ(t.type_count(data[2]), 1u);
    // Refused: a write of a table through the walk, no L3 at that slot, and a walk through a read-only
    // linear L2 entry, which ends at an L2.
    EXPECT_EQ(updater.update_mapping(l4, kBase + 8 * kPageSize, make_entry(l1, kDataFlags)), Status::Busy);
    EXPECT_EQ(updater.update_mapping(l4, 2 * kBase, make_entry(data[0], kDataFlags)), Status::InvalidArgument);
    ASSERT_EQ(t.update_entry(l2, 1, make_entry(l2, ro(kTableFlags)), kDomU, false), Status::Ok);
    const uint64_t through_linear = kBase + (1ull << 21);
    EXPECT_EQ(updater.update_mapping(l4, through_linear, make_entry(data[0], ro(kDataFlags))), Status::InvalidArgument);
    EXPECT_EQ(m.at(l2, 0), make_entry(l1, kTableFlags | pte::kUser));
    EXPECT_FALSE(updater.changed_upper());
    expect_audit();
}

}  // namespace
}  // namespace hv::pv
