// GNTTABOP_map_grant_ref / unmap_grant_ref / unmap_and_replace on the grant core with
// fake seams: pins, GTF flags in the granter's entry, page references, host mappings and
// Xen's status codes for each refusal.
#include <gtest/gtest.h>

#include "tests/host/grant_fakes.hpp"

namespace hv::grant {
namespace {

using testing::World;
using xen::GrantStatus;
namespace gtf = xen::gtf;
namespace gntmap = xen::gntmap;

constexpr DomainId kMapper = 1;
constexpr DomainId kGranter = 2;
constexpr DomainId kOther = 3;
constexpr Frame kFrame = 0x1000;     // the granter's page
constexpr Frame kOwnFrame = 0x2000;  // a page of the mapper
constexpr uint64_t kVa = 0x10000;
constexpr uint64_t kVa2 = 0x20000;
constexpr xen::GrantRef kRef = 10;

constexpr int16_t st(GrantStatus s) { return static_cast<int16_t>(s); }

class GrantMap : public ::testing::Test {
protected:
    GrantMap() {
        world.add(kMapper);
        world.add(kGranter);
        world.add(kOther);
        world.frames.add(kFrame, kGranter);
        world.frames.add(kOwnFrame, kMapper);
    }
    // Everything back to where it started: no references, no pins, no handles.
    void expect_quiescent() {
        EXPECT_EQ(world.frames.total_refs(), 0);
        for (auto& [id, t] : world.tables) {
            EXPECT_EQ(t->pinned_entries(), 0u) << "d" << id;
            EXPECT_EQ(t->handles_in_use(), 0u) << "d" << id;
        }
    }

    World world;
};

TEST_F(GrantMap, ReadOnlyMapPinsSetsReadingAndUnmapUndoesIt) {
    world.grant(kGranter, kRef, gtf::permit_access | gtf::readonly, kMapper, kFrame);
    auto op = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::readonly, kVa);
    ASSERT_EQ(op.status, st(GrantStatus::okay));
    EXPECT_EQ(op.handle, 0u);
    EXPECT_EQ(op.dev_bus_addr, kFrame << 12);
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access | gtf::readonly | gtf::reading);
    EXPECT_EQ(world.pin(kGranter, kRef), pin::host_read);
    auto pte = world.mappings.at(kMapper, kVa);
    EXPECT_TRUE(pte.present);
    EXPECT_EQ(pte.frame, kFrame);
    EXPECT_FALSE(pte.writable);
    EXPECT_EQ(world.frames.general(kFrame), 1);
    EXPECT_EQ(world.frames.writable(kFrame), 0);

    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa), st(GrantStatus::okay));
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access | gtf::readonly);
    EXPECT_FALSE(world.mappings.at(kMapper, kVa).present);
    EXPECT_EQ(world.mappings.flushes[kMapper], 1u);
    expect_quiescent();
}

TEST_F(GrantMap, WritableMapTakesAWritableReferenceAndSetsWriting) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto op = world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa);
    ASSERT_EQ(op.status, st(GrantStatus::okay));
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access | gtf::reading | gtf::writing);
    EXPECT_EQ(world.pin(kGranter, kRef), pin::host_write);
    EXPECT_TRUE(world.mappings.at(kMapper, kVa).writable);
    EXPECT_EQ(world.frames.general(kFrame), 1);
    EXPECT_EQ(world.frames.writable(kFrame), 1);
    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa), st(GrantStatus::okay));
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access);
    expect_quiescent();
}

TEST_F(GrantMap, PinCountsAndFlagsFollowEveryMapping) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto ro1 = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::readonly, kVa);
    auto ro2 = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::readonly, kVa2);
    auto rw = world.map(kMapper, kGranter, kRef, gntmap::host_map, 0x30000);
    ASSERT_EQ(ro1.status, 0);
    ASSERT_EQ(ro2.status, 0);
    ASSERT_EQ(rw.status, 0);
    EXPECT_EQ(world.pin(kGranter, kRef), 2 * pin::host_read + pin::host_write);
    EXPECT_EQ(world.frames.general(kFrame), 3);
    EXPECT_EQ(world.frames.writable(kFrame), 1);
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access | gtf::reading | gtf::writing);

    EXPECT_EQ(world.unmap(kMapper, rw.handle, 0x30000), 0);
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access | gtf::reading) << "no writable pin left";
    EXPECT_EQ(world.unmap(kMapper, ro1.handle, kVa), 0);
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access | gtf::reading) << "still pinned";
    EXPECT_EQ(world.unmap(kMapper, ro2.handle, kVa2), 0);
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access);
    expect_quiescent();
}

TEST_F(GrantMap, NoMappingKindIsABadRef) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::readonly, kVa).status, st(GrantStatus::bad_gntref));
    expect_quiescent();
}

TEST_F(GrantMap, RefBeyondTheTableIsABadRef) {
    const uint32_t entries = world.table(kGranter).nr_entries();
    EXPECT_EQ(entries, kEntriesPerFrame);
    auto op = world.map(kMapper, kGranter, entries, gntmap::host_map, kVa);
    EXPECT_EQ(op.status, st(GrantStatus::bad_gntref));
    EXPECT_EQ(op.handle, 0xdeadbeefu) << "outputs other than status are left alone";
    EXPECT_EQ(world.map(kMapper, kGranter, 0xffffffffu, gntmap::host_map, kVa).status, st(GrantStatus::bad_gntref));
    expect_quiescent();
}

TEST_F(GrantMap, UnknownDomainAndDomidSelfAreBadDomains) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    EXPECT_EQ(world.map(kMapper, 9, kRef, gntmap::host_map, kVa).status, st(GrantStatus::bad_domain));
    // map_grant_ref names the granter by number; DOMID_SELF is not a domain there.
    EXPECT_EQ(world.map(kMapper, kDomidSelf, kRef, gntmap::host_map, kVa).status, st(GrantStatus::bad_domain));
    expect_quiescent();
}

TEST_F(GrantMap, EntryForAnotherDomainIsRefused) {
    world.grant(kGranter, kRef, gtf::permit_access, kOther, kFrame);
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa).status, st(GrantStatus::general_error));
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access) << "flags untouched";
    expect_quiescent();
}

TEST_F(GrantMap, EntryThatDoesNotPermitAccessIsRefused) {
    for (uint16_t flags : {uint16_t{gtf::invalid}, uint16_t{gtf::accept_transfer}, uint16_t{gtf::transitive},
                           uint16_t(gtf::permit_access | gtf::sub_page)}) {
        world.grant(kGranter, kRef, flags, kMapper, kFrame);
        EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::readonly, kVa).status,
                  st(GrantStatus::general_error))
            << flags;
        EXPECT_EQ(world.flags(kGranter, kRef), flags);
    }
    expect_quiescent();
}

TEST_F(GrantMap, ReadOnlyGrantRefusesWritableMappingEvenWhenPinned) {
    world.grant(kGranter, kRef, gtf::permit_access | gtf::readonly, kMapper, kFrame);
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa).status, st(GrantStatus::general_error));
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access | gtf::readonly);
    auto ro = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::readonly, kVa);
    ASSERT_EQ(ro.status, 0);
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::device_map, 0).status, st(GrantStatus::general_error));
    EXPECT_EQ(world.pin(kGranter, kRef), pin::host_read);
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access | gtf::readonly | gtf::reading);
    EXPECT_EQ(world.unmap(kMapper, ro.handle, kVa), 0);
    expect_quiescent();
}

TEST_F(GrantMap, UnmapTwiceOrUnknownHandleIsABadHandle) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto op = world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa);
    ASSERT_EQ(op.status, 0);
    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa), 0);
    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa), st(GrantStatus::bad_handle));
    EXPECT_EQ(world.unmap(kMapper, 12345, kVa), st(GrantStatus::bad_handle));
    EXPECT_EQ(world.unmap(kMapper, 0xffffffffu, kVa), st(GrantStatus::bad_handle));
    // Handles are the mapper's own: the granter cannot unmap them.
    auto again = world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa);
    EXPECT_EQ(world.unmap(kGranter, again.handle, kVa), st(GrantStatus::bad_handle));
    EXPECT_EQ(world.unmap(kMapper, again.handle, kVa), 0);
    expect_quiescent();
}

TEST_F(GrantMap, MapAfterTheGranterRevokedIsRefused) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    world.entry(kGranter, kRef)->flags = 0;  // the granter ends the grant
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa).status, st(GrantStatus::general_error));
    expect_quiescent();
}

TEST_F(GrantMap, RevokingWhilePinnedDoesNotMoveThePinnedFrame) {
    world.frames.add(0x1001, kGranter);
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto first = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::readonly, kVa);
    ASSERT_EQ(first.status, 0);
    // A hostile granter rewrites the pinned entry: other domid, other frame, no access.
    world.grant(kGranter, kRef, gtf::invalid, kOther, 0x1001);
    // Xen checks the entry only for the first pin: the mapper still gets the pinned frame.
    auto second = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::readonly, kVa2);
    ASSERT_EQ(second.status, 0);
    EXPECT_EQ(world.mappings.at(kMapper, kVa2).frame, kFrame);
    EXPECT_EQ(world.frames.general(0x1001), 0);
    EXPECT_EQ(world.unmap(kMapper, first.handle, kVa), 0);
    EXPECT_EQ(world.unmap(kMapper, second.handle, kVa2), 0);
    expect_quiescent();
}

TEST_F(GrantMap, GrantPinnedByOneDomainCannotBeMappedByAnother) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto op = world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa);
    ASSERT_EQ(op.status, 0);
    world.entry(kGranter, kRef)->domid = kOther;  // re-granted while in use
    EXPECT_EQ(world.map(kOther, kGranter, kRef, gntmap::host_map, kVa).status, st(GrantStatus::general_error));
    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa), 0);
    expect_quiescent();
}

TEST_F(GrantMap, FrameNotOwnedByTheGranterIsABadPage) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kOwnFrame);  // the mapper's own page
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa).status, st(GrantStatus::bad_page));
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access) << "reading/writing taken back";
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, 0x7777);  // not RAM at all
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa).status, st(GrantStatus::bad_page));
    expect_quiescent();
}

TEST_F(GrantMap, WritableMappingOfAPageTableIsRefusedAndUndone) {
    world.frames.set_page_table(kFrame, true);
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa).status, st(GrantStatus::general_error));
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access);
    EXPECT_FALSE(world.mappings.at(kMapper, kVa).present);
    expect_quiescent();
    // Read-only is fine: a page table may be mapped read-only.
    auto ro = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::readonly, kVa);
    ASSERT_EQ(ro.status, 0);
    EXPECT_EQ(world.unmap(kMapper, ro.handle, kVa), 0);
    expect_quiescent();
}

TEST_F(GrantMap, FailedHostMappingUndoesPinsFlagsAndReferences) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    const uint64_t no_l1 = testing::FakeHostMappings::kNoL1Start;
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map, no_l1).status, st(GrantStatus::general_error));
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access);
    // A device mapping plus a failing host mapping gives back both.
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::device_map, no_l1).status,
              st(GrantStatus::general_error));
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access);
    expect_quiescent();
}

TEST_F(GrantMap, UnmapAtAnAddressThatDoesNotMapTheGrantFails) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto op = world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa);
    ASSERT_EQ(op.status, 0);
    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa2), st(GrantStatus::general_error));
    EXPECT_TRUE(world.mappings.at(kMapper, kVa).present);
    EXPECT_EQ(world.pin(kGranter, kRef), pin::host_write);
    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa), 0);
    expect_quiescent();
}

TEST_F(GrantMap, GuestOverwritingAGrantEntryDropsItsReferencesOnce) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto op = world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa);
    ASSERT_EQ(op.status, 0);
    // Release Xen has no grant marker in the entry: the guest may replace it like any
    // other, and the references it held go with it.
    ASSERT_TRUE(world.mappings.guest_write(kMapper, kVa, kOwnFrame, true, true));
    EXPECT_EQ(world.frames.general(kFrame), 0);
    EXPECT_EQ(world.frames.writable(kFrame), 0);
    // The grant stays pinned; unmapping finds no matching entry and changes nothing.
    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa), st(GrantStatus::general_error));
    EXPECT_EQ(world.pin(kGranter, kRef), pin::host_write);
    EXPECT_EQ(world.frames.general(kFrame), 0) << "no second drop";
    // Destruction of the mapper releases the pin without touching the page again.
    world.mappings.teardown(kMapper);
    release_mappings(world.ctx, world.table(kMapper));
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access);
    expect_quiescent();
}

TEST_F(GrantMap, GuestRestoringTheSameFrameKeepsTheCountsBalanced) {
    // Self-grant: the mapper's own page, so the guest may map it itself too.
    world.grant(kMapper, kRef, gtf::permit_access, kMapper, kOwnFrame);
    auto op = world.map(kMapper, kMapper, kRef, gntmap::host_map, kVa);
    ASSERT_EQ(op.status, 0);
    // The guest rewrites the entry with an ordinary mapping of the same frame: the grant
    // entry's references go, the new entry brings its own; unmap then finds a match and
    // the references it hands back are the new entry's.
    ASSERT_TRUE(world.mappings.guest_write(kMapper, kVa, kOwnFrame, true, true));
    EXPECT_EQ(world.frames.general(kOwnFrame), 1);
    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa), 0);
    expect_quiescent();
}

TEST_F(GrantMap, ContainsPteNamesTheEntryByMachineAddress) {
    constexpr Frame kL1 = 0x3000;
    world.mappings.add_l1_table(kMapper, kL1);
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    const uint64_t pte = (kL1 << 12) + 8 * 5;
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::contains_pte, pte + 4).status,
              st(GrantStatus::general_error))
        << "misaligned";
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::contains_pte, 0x4000ull << 12).status,
              st(GrantStatus::general_error))
        << "not one of the mapper's L1 tables";
    auto op = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::contains_pte, pte);
    ASSERT_EQ(op.status, 0);
    EXPECT_EQ(world.mappings.at(kMapper, pte, true).frame, kFrame);
    EXPECT_EQ(world.unmap(kMapper, op.handle, pte), 0);
    expect_quiescent();
}

TEST_F(GrantMap, DeviceMappingHoldsItsReferencesInTheMaptrack) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto op = world.map(kMapper, kGranter, kRef, gntmap::device_map, 0);
    ASSERT_EQ(op.status, 0);
    EXPECT_EQ(op.dev_bus_addr, kFrame << 12);
    EXPECT_EQ(world.pin(kGranter, kRef), pin::device_write);
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access | gtf::reading | gtf::writing);
    EXPECT_EQ(world.frames.general(kFrame), 1);
    EXPECT_EQ(world.frames.writable(kFrame), 1);
    EXPECT_EQ(world.mappings.creates, 0u);
    EXPECT_EQ(world.unmap(kMapper, op.handle, 0, (kFrame + 1) << 12), st(GrantStatus::bad_dev_addr));
    // Neither address given: nothing to undo, and Xen says okay.
    EXPECT_EQ(world.unmap(kMapper, op.handle, 0, 0), 0);
    EXPECT_EQ(world.pin(kGranter, kRef), pin::device_write);
    EXPECT_EQ(world.unmap(kMapper, op.handle, 0, kFrame << 12), 0);
    expect_quiescent();
}

TEST_F(GrantMap, HostAndDeviceMappingUnmapsInTwoSteps) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto op = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::device_map, kVa);
    ASSERT_EQ(op.status, 0);
    EXPECT_EQ(world.frames.general(kFrame), 2);
    EXPECT_EQ(world.frames.writable(kFrame), 2);
    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa, 0), 0);
    EXPECT_EQ(world.pin(kGranter, kRef), pin::device_write);
    EXPECT_EQ(world.unmap(kMapper, op.handle, 0, kFrame << 12), 0);
    EXPECT_EQ(world.unmap(kMapper, op.handle, 0, kFrame << 12), st(GrantStatus::bad_handle));
    expect_quiescent();
}

TEST_F(GrantMap, PinCountersStopBeforeOverflowing) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    std::vector<xen::GrantHandle> handles;
    for (int i = 0; i < 128; ++i) {
        auto op = world.map(kMapper, kGranter, kRef, gntmap::device_map | gntmap::readonly, 0);
        ASSERT_EQ(op.status, 0) << i;
        handles.push_back(op.handle);
    }
    EXPECT_EQ(world.map(kMapper, kGranter, kRef, gntmap::device_map | gntmap::readonly, 0).status,
              st(GrantStatus::general_error));
    // Other counters are independent.
    auto host = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::readonly, kVa);
    ASSERT_EQ(host.status, 0);
    EXPECT_EQ(world.unmap(kMapper, host.handle, kVa), 0);
    for (xen::GrantHandle h : handles)
        EXPECT_EQ(world.unmap(kMapper, h, 0, kFrame << 12), 0);
    expect_quiescent();
}

TEST_F(GrantMap, MaptrackExhaustionIsNoSpaceAndRecovers) {
    GrantTable& small = world.add(5, false, kDefaultMaxGrantFrames, /*max_maptrack=*/1);
    (void)small;
    // One maptrack frame: 256 entries, of which Xen's free list keeps one back.
    for (xen::GrantRef r = 8; r < 8 + 256; ++r)
        world.grant(kGranter, r, gtf::permit_access | gtf::readonly, 5, kFrame);
    std::vector<xen::GrantHandle> handles;
    for (xen::GrantRef r = 8; r < 8 + 255; ++r) {
        auto op = world.map(5, kGranter, r, gntmap::device_map | gntmap::readonly, 0);
        ASSERT_EQ(op.status, 0) << r;
        EXPECT_EQ(op.handle, r - 8);
        handles.push_back(op.handle);
    }
    EXPECT_EQ(world.map(5, kGranter, 8 + 255, gntmap::device_map | gntmap::readonly, 0).status,
              st(GrantStatus::no_space));
    EXPECT_EQ(world.unmap(5, handles[3], 0, kFrame << 12), 0);
    auto again = world.map(5, kGranter, 8 + 255, gntmap::device_map | gntmap::readonly, 0);
    ASSERT_EQ(again.status, 0);
    handles[3] = again.handle;
    for (xen::GrantHandle h : handles)
        EXPECT_EQ(world.unmap(5, h, 0, kFrame << 12), 0);
    // No maptrack at all.
    world.add(6, false, kDefaultMaxGrantFrames, 0);
    world.grant(kGranter, 300, gtf::permit_access, 6, kFrame);
    EXPECT_EQ(world.map(6, kGranter, 300, gntmap::host_map, kVa).status, st(GrantStatus::no_space));
    expect_quiescent();
}

TEST_F(GrantMap, HandlesComeOutInXensOrder) {
    // Xen's per-vCPU free list for a one-vCPU guest: 0..254, then 256..511, then 512...
    for (xen::GrantRef r = 8; r < 8 + 400; ++r)
        world.grant(kGranter, r, gtf::permit_access | gtf::readonly, kMapper, kFrame);
    std::vector<xen::GrantHandle> handles;
    for (int i = 0; i < 520; ++i) {
        // Spread over refs so no pin counter fills up.
        const xen::GrantRef r = 8 + i % 400;
        auto op = world.map(kMapper, kGranter, r, gntmap::device_map | gntmap::readonly, 0);
        ASSERT_EQ(op.status, 0) << i;
        handles.push_back(op.handle);
    }
    EXPECT_EQ(handles[254], 254u);
    EXPECT_EQ(handles[255], 256u);
    EXPECT_EQ(handles[510], 511u);
    EXPECT_EQ(handles[511], 512u);
    for (xen::GrantHandle h : handles)
        EXPECT_EQ(world.unmap(kMapper, h, 0, kFrame << 12), 0);
    expect_quiescent();
}

TEST_F(GrantMap, UnmapAndReplaceMovesTheOtherEntryIntoPlace) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto op = world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa);
    ASSERT_EQ(op.status, 0);
    ASSERT_TRUE(world.mappings.guest_write(kMapper, kVa2, kOwnFrame, true, true));
    xen::GrantUnmapAndReplace replace{};
    replace.host_addr = kVa;
    replace.new_addr = kVa2;
    replace.handle = op.handle;
    {
        UnmapBatch batch(world.ctx, world.table(kMapper));
        batch.unmap(replace);
    }
    EXPECT_EQ(replace.status, 0);
    EXPECT_EQ(world.mappings.at(kMapper, kVa).frame, kOwnFrame);
    EXPECT_FALSE(world.mappings.at(kMapper, kVa2).present);
    EXPECT_EQ(world.frames.general(kFrame), 0);
    EXPECT_EQ(world.frames.general(kOwnFrame), 1) << "moved with its references";
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access);
    world.mappings.teardown(kMapper);
    expect_quiescent();
}

TEST_F(GrantMap, UnmapBatchFlushesBeforeDroppingReferences) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto a = world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa);
    auto b = world.map(kMapper, kGranter, kRef, gntmap::host_map, kVa2);
    xen::GrantUnmapRef ua{kVa, 0, a.handle, 0x55, 0};
    xen::GrantUnmapRef ub{kVa2, 0, b.handle, 0x55, 0};
    UnmapBatch batch(world.ctx, world.table(kMapper));
    batch.unmap(ua);
    batch.unmap(ub);
    EXPECT_EQ(ua.status, 0);
    EXPECT_EQ(ub.status, 0);
    // Entries are gone but nothing is given back before the flush.
    EXPECT_FALSE(world.mappings.at(kMapper, kVa).present);
    EXPECT_EQ(world.frames.general(kFrame), 2);
    EXPECT_EQ(world.pin(kGranter, kRef), 2 * pin::host_write);
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access | gtf::reading | gtf::writing);
    EXPECT_EQ(world.mappings.flushes[kMapper], 0u);
    batch.finish();
    EXPECT_EQ(world.mappings.flushes[kMapper], 1u);
    EXPECT_EQ(world.flags(kGranter, kRef), gtf::permit_access);
    expect_quiescent();
}

TEST_F(GrantMap, ApplicationMapIsUserAccessible) {
    world.grant(kGranter, kRef, gtf::permit_access, kMapper, kFrame);
    auto op = world.map(kMapper, kGranter, kRef, gntmap::host_map | gntmap::application_map, kVa);
    ASSERT_EQ(op.status, 0);
    EXPECT_TRUE(world.mappings.at(kMapper, kVa).user);
    EXPECT_EQ(world.unmap(kMapper, op.handle, kVa), 0);
    expect_quiescent();
}

}  // namespace
}  // namespace hv::grant
