// The page-type core's grant-entry entry points (pv/grant_entries.cpp): an L1 entry for
// another domain's frame whose references the grant core took, checked with the full
// recount audit of page_types_support.hpp, through every way the entry can end: unmap,
// the guest overwriting it, the L1 being de-validated, unmap_and_replace.
#include <gtest/gtest.h>

#include "tests/host/page_types_support.hpp"

namespace hv::pv {
namespace {

using testing::audit;
using testing::ExternalRefs;
using testing::FakeMachine;
using testing::kDataFlags;
using testing::kTableFlags;
using testing::make_entry;
using testing::ro;

constexpr uint16_t kMapper = 0;
constexpr uint16_t kGranter = 1;
constexpr Pfn kL1 = 2;         // the mapper's L1 table
constexpr Pfn kOwnPage = 3;    // a page of the mapper
constexpr Pfn kGranted = 21;   // the granter's page
constexpr Pfn kGranterL1 = 22;

class GrantEntries : public ::testing::Test {
protected:
    GrantEntries() : m(32) {
        for (Pfn f = 0; f < 16; ++f)
            EXPECT_EQ(m.types.assign(f, kMapper), Status::Ok);
        for (Pfn f = 16; f < 32; ++f)
            EXPECT_EQ(m.types.assign(f, kGranter), Status::Ok);
        m.at(kL1, 0) = make_entry(kOwnPage, kDataFlags);
        EXPECT_EQ(m.types.pin(kL1, PageType::L1, kMapper), Status::Ok);
        EXPECT_EQ(m.types.pin(kGranterL1, PageType::L1, kGranter), Status::Ok);
    }
    // What the grant core does before installing: the references the entry will own.
    void take_grant_refs(bool writable) {
        ASSERT_TRUE(m.types.get_page(kGranted, kGranter));
        if (writable)
            ASSERT_EQ(m.types.get_type(kGranted, PageType::Writable, kGranter), Status::Ok);
    }
    void drop_grant_refs(bool writable) {
        if (writable)
            m.types.put_type(kGranted);
        m.types.put_page(kGranted);
    }
    static uint64_t grant_entry(bool writable) {
        uint64_t e = make_entry(kGranted, pte::kPresent | pte::kAccessed | pte::kDirty | pte::kNoExecute);
        if (writable)
            e |= pte::kWritable;
        return adjust_entry(1, e);
    }
    void expect_audit_clean(const ExternalRefs& external = {}) { EXPECT_EQ(audit(m, external), ""); }

    FakeMachine m;
};

TEST_F(GrantEntries, InstalledEntryOwnsTheReferencesAndRemoveHandsThemBack) {
    for (bool writable : {false, true}) {
        take_grant_refs(writable);
        ASSERT_EQ(m.types.install_grant_entry(kL1, 5, grant_entry(writable), kMapper), Status::Ok);
        EXPECT_EQ(m.at(kL1, 5), grant_entry(writable));
        EXPECT_EQ(m.types.general_count(kGranted), 2u) << "allocation + entry";
        EXPECT_EQ(m.types.type_of(kGranted), writable ? PageType::Writable : PageType::None);
        expect_audit_clean();
        // Not the frame, or not the access, the grant has: refused, nothing changes.
        EXPECT_EQ(m.types.remove_grant_entry(kL1, 5, kMapper, kGranted + 1, writable, 0), Status::InvalidArgument);
        EXPECT_EQ(m.types.remove_grant_entry(kL1, 5, kMapper, kGranted, !writable, 0), Status::InvalidArgument);
        EXPECT_EQ(m.types.remove_grant_entry(kL1, 6, kMapper, kGranted, writable, 0), Status::InvalidArgument);
        EXPECT_EQ(m.at(kL1, 5), grant_entry(writable));
        ASSERT_EQ(m.types.remove_grant_entry(kL1, 5, kMapper, kGranted, writable, 0), Status::Ok);
        EXPECT_EQ(m.at(kL1, 5), 0u);
        ExternalRefs held;
        held.general[kGranted] = writable ? 0 : 1;
        if (writable)
            held.typed[kGranted] = 1;
        // A typed ref is paired with a general one in the audit's bookkeeping.
        expect_audit_clean(held);
        drop_grant_refs(writable);
        expect_audit_clean();
        EXPECT_EQ(m.types.general_count(kGranted), 1u);
    }
}

TEST_F(GrantEntries, OnlyValidatedL1TablesOfTheMapper) {
    take_grant_refs(true);
    EXPECT_EQ(m.types.install_grant_entry(kOwnPage, 0, grant_entry(true), kMapper), Status::InvalidArgument)
        << "not a page table";
    EXPECT_EQ(m.types.install_grant_entry(kGranterL1, 0, grant_entry(true), kMapper), Status::InvalidArgument)
        << "someone else's L1";
    EXPECT_EQ(m.types.install_grant_entry(30, 0, grant_entry(true), kMapper), Status::InvalidArgument);
    EXPECT_EQ(m.types.take_entry(kOwnPage, 0, kMapper).status(), Status::InvalidArgument);
    EXPECT_EQ(m.types.remove_grant_entry(kOwnPage, 0, kMapper, kGranted, true, 0), Status::InvalidArgument);
    drop_grant_refs(true);
    expect_audit_clean();
}

TEST_F(GrantEntries, InstallDropsWhatTheReplacedEntryHeld) {
    // Slot 0 maps the mapper's own page writable; the grant entry replaces it.
    EXPECT_EQ(m.types.general_count(kOwnPage), 2u);
    take_grant_refs(false);
    ASSERT_EQ(m.types.install_grant_entry(kL1, 0, grant_entry(false), kMapper), Status::Ok);
    EXPECT_EQ(m.types.general_count(kOwnPage), 1u);
    EXPECT_EQ(m.types.type_of(kOwnPage), PageType::None);
    expect_audit_clean();
}

TEST_F(GrantEntries, GuestOverwritingTheEntryDropsItsReferencesOnce) {
    take_grant_refs(true);
    ASSERT_EQ(m.types.install_grant_entry(kL1, 5, grant_entry(true), kMapper), Status::Ok);
    // mmu_update / update_va_mapping by the guest: an ordinary mapping of its own page.
    ASSERT_EQ(m.types.update_entry(kL1, 5, make_entry(kOwnPage, kDataFlags), kMapper, false), Status::Ok);
    EXPECT_EQ(m.types.general_count(kGranted), 1u);
    EXPECT_EQ(m.types.type_of(kGranted), PageType::None);
    expect_audit_clean();
    // The grant core's unmap then finds no grant entry there.
    EXPECT_EQ(m.types.remove_grant_entry(kL1, 5, kMapper, kGranted, true, 0), Status::InvalidArgument);
    expect_audit_clean();
}

TEST_F(GrantEntries, DevalidatingTheL1DropsTheGrantReferences) {
    take_grant_refs(true);
    ASSERT_EQ(m.types.install_grant_entry(kL1, 5, grant_entry(true), kMapper), Status::Ok);
    ASSERT_EQ(m.types.unpin(kL1, kMapper), Status::Ok);
    EXPECT_EQ(m.types.general_count(kGranted), 1u);
    EXPECT_EQ(m.types.type_of(kGranted), PageType::None);
    expect_audit_clean();
    // As in Xen, an L1 holding another domain's frame does not validate again.
    EXPECT_EQ(m.types.pin(kL1, PageType::L1, kMapper), Status::Busy);
    expect_audit_clean();
}

TEST_F(GrantEntries, TakeAndPlaceMovesAnEntryWithItsReferences) {
    take_grant_refs(false);
    ASSERT_EQ(m.types.install_grant_entry(kL1, 5, grant_entry(false), kMapper), Status::Ok);
    // unmap_and_replace: the entry at slot 0 (own page, writable) moves over the grant.
    auto moved = m.types.take_entry(kL1, 0, kMapper);
    ASSERT_TRUE(moved.ok());
    EXPECT_EQ(m.at(kL1, 0), 0u);
    ASSERT_EQ(m.types.remove_grant_entry(kL1, 5, kMapper, kGranted, false, *moved), Status::Ok);
    EXPECT_EQ(m.at(kL1, 5), *moved);
    ExternalRefs held;
    held.general[kGranted] = 1;
    expect_audit_clean(held);
    drop_grant_refs(false);
    // A taken entry that cannot be placed gives its references back.
    auto again = m.types.take_entry(kL1, 5, kMapper);
    ASSERT_TRUE(again.ok());
    m.types.drop_entry_refs(*again);
    EXPECT_EQ(m.types.general_count(kOwnPage), 1u);
    expect_audit_clean();
}

// The address form: the core walks the mapper's hierarchy to the L1 under its page-table lock.
class GrantEntriesByAddress : public GrantEntries {
protected:
    static constexpr Pfn kL4 = 4, kL3 = 5, kL2 = 6, kOtherL2 = 7;
    // Linear address of entry `index` of kL1: L4 slot 1, L3 slot 2, L2 slot 3.
    static constexpr uint64_t va(unsigned index) { return (1ull << 39) | (2ull << 30) | (3ull << 21) | (uint64_t{index} << 12); }

    GrantEntriesByAddress() {
        m.at(kL4, 1) = make_entry(kL3, kTableFlags);
        m.at(kL3, 2) = make_entry(kL2, kTableFlags);
        m.at(kL2, 3) = make_entry(kL1, kTableFlags);
        // A linear entry: L2 slot 4 names an L2 (read-only), so va with L2 slot 4 ends at an L2.
        m.at(kL2, 4) = ro(make_entry(kOtherL2, kTableFlags));
        EXPECT_EQ(m.types.pin(kOtherL2, PageType::L2, kMapper), Status::Ok);
        EXPECT_EQ(m.types.pin(kL4, PageType::L4, kMapper), Status::Ok);
    }
};

TEST_F(GrantEntriesByAddress, WalksToTheL1EntryOfTheAddress) {
    take_grant_refs(true);
    ASSERT_EQ(m.types.install_grant_entry(PageTypes::GrantSlot::address(kL4, va(5)), grant_entry(true), kMapper),
              Status::Ok);
    EXPECT_EQ(m.at(kL1, 5), grant_entry(true));
    expect_audit_clean();
    EXPECT_EQ(m.types.remove_grant_entry(PageTypes::GrantSlot::address(kL4, va(6)), kMapper, kGranted, true, 0),
              Status::InvalidArgument)
        << "another entry";
    ASSERT_EQ(m.types.remove_grant_entry(PageTypes::GrantSlot::address(kL4, va(5)), kMapper, kGranted, true, 0),
              Status::Ok);
    EXPECT_EQ(m.at(kL1, 5), 0u);
    drop_grant_refs(true);
    expect_audit_clean();
    // take_entry by address: the own page at slot 0.
    auto taken = m.types.take_entry(PageTypes::GrantSlot::address(kL4, va(0)), kMapper);
    ASSERT_TRUE(taken.ok());
    EXPECT_EQ(entry_frame(*taken), kOwnPage);
    m.types.drop_entry_refs(*taken);
    expect_audit_clean();
}

TEST_F(GrantEntriesByAddress, RefusesWhatIsNotAValidatedHierarchyOfTheMapper) {
    take_grant_refs(true);
    const uint64_t e = grant_entry(true);
    using Slot = PageTypes::GrantSlot;
    // A level not present.
    EXPECT_EQ(m.types.install_grant_entry(Slot::address(kL4, va(5) + (2ull << 21)), e, kMapper),
              Status::InvalidArgument);
    EXPECT_EQ(m.types.install_grant_entry(Slot::address(kL4, va(5) ^ (1ull << 39)), e, kMapper),
              Status::InvalidArgument);
    // The walk through a linear entry ends at an L2, not an L1.
    EXPECT_EQ(m.types.install_grant_entry(Slot::address(kL4, va(5) + (1ull << 21)), e, kMapper),
              Status::InvalidArgument);
    EXPECT_EQ(m.at(kOtherL2, 5), 0u);
    // A root that is not a validated L4 of the mapper: frame 0 (no user L4), an L1, the granter's L1,
    // beyond the frame table.
    for (Pfn root : {Pfn{0}, kL1, kGranterL1, Pfn{1000}})
        EXPECT_EQ(m.types.install_grant_entry(Slot::address(root, va(5)), e, kMapper), Status::InvalidArgument)
            << root;
    EXPECT_EQ(m.types.install_grant_entry(Slot::address(kL4, va(5)), e, kGranter), Status::InvalidArgument)
        << "the L4 is not the granter's";
    EXPECT_EQ(m.types.take_entry(Slot::address(kL3, va(0)), kMapper).status(), Status::InvalidArgument);
    EXPECT_EQ(m.at(kL1, 5), 0u);
    drop_grant_refs(true);
    expect_audit_clean();
}

}  // namespace
}  // namespace hv::pv
