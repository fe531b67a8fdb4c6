// GNTTABOP_copy on the grant core with fake seams: grant and frame sides, Xen's order
// of checks, offsets and lengths, pins held for the length of a batch, and the rule
// "frames by number only for DOMID_SELF", checked whenever a frame is claimed.
#include <gtest/gtest.h>

#include "tests/host/grant_fakes.hpp"

namespace hv::grant {
namespace {

using testing::copy_op;
using testing::gmfn_ptr;
using testing::gref_ptr;
using testing::World;
using xen::GrantStatus;
namespace gtf = xen::gtf;
namespace gntcopy = xen::gntcopy;

constexpr DomainId kCaller = 1;
constexpr DomainId kGranter = 2;
constexpr DomainId kThird = 3;
constexpr Frame kGranted = 0x1000;   // the granter's page
constexpr Frame kGranted2 = 0x1001;  // another of the granter's pages
constexpr Frame kThirdPage = 0x3000;
constexpr Frame kOwn = 0x2000;       // the caller's page
constexpr Frame kOwn2 = 0x2001;

constexpr int16_t st(GrantStatus s) { return static_cast<int16_t>(s); }

class GrantCopy : public ::testing::Test {
protected:
    GrantCopy() {
        world.add(kCaller);
        world.add(kGranter);
        world.add(kThird);
        fill(world.frames.add(kGranted, kGranter), 0x10);
        fill(world.frames.add(kGranted2, kGranter), 0x20);
        fill(world.frames.add(kThirdPage, kThird), 0x30);
        fill(world.frames.add(kOwn, kCaller), 0x40);
        fill(world.frames.add(kOwn2, kCaller), 0x50);
    }
    static void fill(uint8_t* page, uint8_t seed) {
        for (int i = 0; i < 4096; ++i)
            page[i] = static_cast<uint8_t>(seed + i * 7);
    }
    uint8_t* data(Frame f) { return world.frames.data(f); }
    // kGranter grants kGranted read-only to kCaller as ref 10, and `batch` copies its first
    // 16 bytes into kOwn: the batch then holds the grant for its next element.
    void copy_first_element(CopyBatch& batch) {
        world.grant(kGranter, 10, gtf::permit_access | gtf::readonly, kCaller, kGranted);
        auto first = copy_op(gref_ptr(10, kGranter), gmfn_ptr(kOwn), 16, gntcopy::source_gref);
        batch.copy(first);
        ASSERT_EQ(first.status, 0);
    }
    void expect_quiescent() {
        EXPECT_EQ(world.frames.total_refs(), 0);
        for (auto& [id, t] : world.tables)
            EXPECT_EQ(t->pinned_entries(), 0u) << "d" << id;
        for (DomainId d : {kCaller, kGranter, kThird})
            EXPECT_EQ(world.domains.refs(d), 0) << "d" << d;
    }

    World world;
};

TEST_F(GrantCopy, FromAGrantToAnOwnFrame) {
    world.grant(kGranter, 10, gtf::permit_access | gtf::readonly, kCaller, kGranted);
    auto op = copy_op(gref_ptr(10, kGranter, 100), gmfn_ptr(kOwn, 200), 300, gntcopy::source_gref);
    EXPECT_EQ(world.copy(kCaller, op), 0);
    EXPECT_EQ(std::memcmp(data(kOwn) + 200, data(kGranted) + 100, 300), 0);
    EXPECT_EQ(data(kOwn)[199], static_cast<uint8_t>(0x40 + 199 * 7)) << "nothing outside the range";
    EXPECT_EQ(data(kOwn)[500], static_cast<uint8_t>(0x40 + 500 * 7));
    EXPECT_EQ(world.flags(kGranter, 10), gtf::permit_access | gtf::readonly) << "reading cleared again";
    expect_quiescent();
}

TEST_F(GrantCopy, FromAnOwnFrameIntoAWritableGrant) {
    world.grant(kGranter, 11, gtf::permit_access, kCaller, kGranted);
    auto op = copy_op(gmfn_ptr(kOwn, 0), gref_ptr(11, kGranter, 4000), 96, gntcopy::dest_gref);
    EXPECT_EQ(world.copy(kCaller, op), 0);
    EXPECT_EQ(std::memcmp(data(kGranted) + 4000, data(kOwn), 96), 0);
    EXPECT_EQ(world.flags(kGranter, 11), gtf::permit_access);
    expect_quiescent();
}

TEST_F(GrantCopy, BetweenTwoGrantsOfTwoDomains) {
    world.grant(kGranter, 12, gtf::permit_access | gtf::readonly, kCaller, kGranted);
    world.grant(kThird, 13, gtf::permit_access, kCaller, kThirdPage);
    auto op = copy_op(gref_ptr(12, kGranter), gref_ptr(13, kThird), 4096, gntcopy::source_gref | gntcopy::dest_gref);
    EXPECT_EQ(world.copy(kCaller, op), 0);
    EXPECT_EQ(std::memcmp(data(kThirdPage), data(kGranted), 4096), 0);
    expect_quiescent();
}

TEST_F(GrantCopy, OffsetOrLengthPastThePageIsABadCopyArg) {
    world.grant(kGranter, 10, gtf::permit_access | gtf::readonly, kCaller, kGranted);
    EXPECT_EQ(world.copy(kCaller, copy_op(gref_ptr(10, kGranter, 4000), gmfn_ptr(kOwn), 97, gntcopy::source_gref)),
              st(GrantStatus::bad_copy_arg));
    EXPECT_EQ(world.copy(kCaller, copy_op(gref_ptr(10, kGranter), gmfn_ptr(kOwn, 1), 4096, gntcopy::source_gref)),
              st(GrantStatus::bad_copy_arg));
    EXPECT_EQ(world.copy(kCaller, copy_op(gref_ptr(10, kGranter, 65535), gmfn_ptr(kOwn), 65535, gntcopy::source_gref)),
              st(GrantStatus::bad_copy_arg));
    EXPECT_EQ(world.copy(kCaller, copy_op(gref_ptr(10, kGranter, 4096), gmfn_ptr(kOwn), 0, gntcopy::source_gref)), 0)
        << "an empty copy at the end of the page";
    EXPECT_EQ(world.frames.copies, 1u);
    expect_quiescent();
}

TEST_F(GrantCopy, OnlyDomidSelfMayNameFramesByNumber) {
    EXPECT_EQ(world.copy(kCaller, copy_op(gmfn_ptr(kOwn), gmfn_ptr(kOwn2), 8, 0)), 0);
    auto numeric = gmfn_ptr(kOwn);
    numeric.domid = kCaller;  // the caller's own id, but not DOMID_SELF
    EXPECT_EQ(world.copy(kCaller, copy_op(numeric, gmfn_ptr(kOwn2), 8, 0)), st(GrantStatus::permission_denied));
    EXPECT_EQ(world.copy(kCaller, copy_op(gmfn_ptr(kOwn), numeric, 8, 0)), st(GrantStatus::permission_denied));
    expect_quiescent();
}

TEST_F(GrantCopy, FrameNotOwnedIsABadPage) {
    EXPECT_EQ(world.copy(kCaller, copy_op(gmfn_ptr(kGranted), gmfn_ptr(kOwn), 8, 0)), st(GrantStatus::bad_page));
    EXPECT_EQ(world.copy(kCaller, copy_op(gmfn_ptr(kOwn), gmfn_ptr(0x99999), 8, 0)), st(GrantStatus::bad_page));
    expect_quiescent();
}

TEST_F(GrantCopy, GrantErrors) {
    world.grant(kGranter, 10, gtf::permit_access | gtf::readonly, kCaller, kGranted);
    world.grant(kGranter, 14, gtf::permit_access, kThird, kGranted);
    EXPECT_EQ(world.copy(kCaller, copy_op(gref_ptr(512, kGranter), gmfn_ptr(kOwn), 8, gntcopy::source_gref)),
              st(GrantStatus::bad_gntref));
    EXPECT_EQ(world.copy(kCaller, copy_op(gref_ptr(10, 9), gmfn_ptr(kOwn), 8, gntcopy::source_gref)),
              st(GrantStatus::bad_domain));
    EXPECT_EQ(world.copy(kCaller, copy_op(gref_ptr(14, kGranter), gmfn_ptr(kOwn), 8, gntcopy::source_gref)),
              st(GrantStatus::general_error))
        << "granted to someone else";
    // A read-only grant cannot be a destination.
    EXPECT_EQ(world.copy(kCaller, copy_op(gmfn_ptr(kOwn), gref_ptr(10, kGranter), 8, gntcopy::dest_gref)),
              st(GrantStatus::general_error));
    EXPECT_EQ(world.flags(kGranter, 10), gtf::permit_access | gtf::readonly);
    expect_quiescent();
}

TEST_F(GrantCopy, ChecksComeInXensOrder) {
    // Bad destination domain beats a bad source grant: domains are checked first.
    EXPECT_EQ(world.copy(kCaller, copy_op(gref_ptr(600, kGranter), gref_ptr(1, 9), 8,
                                          gntcopy::source_gref | gntcopy::dest_gref)),
              st(GrantStatus::bad_domain));
    // A bad source grant beats bad offsets: offsets are checked last.
    EXPECT_EQ(world.copy(kCaller, copy_op(gref_ptr(600, kGranter, 4095), gmfn_ptr(kOwn), 8, gntcopy::source_gref)),
              st(GrantStatus::bad_gntref));
    // Source before destination.
    EXPECT_EQ(world.copy(kCaller, copy_op(gmfn_ptr(0x99999), gref_ptr(600, kGranter), 8, gntcopy::dest_gref)),
              st(GrantStatus::bad_page));
    expect_quiescent();
}

TEST_F(GrantCopy, WritableDestinationMustTakeAWritableReference) {
    world.frames.set_page_table(kOwn2, true);
    EXPECT_EQ(world.copy(kCaller, copy_op(gmfn_ptr(kOwn), gmfn_ptr(kOwn2), 8, 0)), st(GrantStatus::general_error));
    // A page table is still a fine source.
    EXPECT_EQ(world.copy(kCaller, copy_op(gmfn_ptr(kOwn2), gmfn_ptr(kOwn), 8, 0)), 0);
    expect_quiescent();
}

TEST_F(GrantCopy, BatchKeepsTheGrantPinnedAcrossElements) {
    {
        CopyBatch batch(world.ctx, world.table(kCaller));
        copy_first_element(batch);
        EXPECT_EQ(world.pin(kGranter, 10), pin::host_read) << "kept for the next element";
        EXPECT_EQ(world.flags(kGranter, 10), gtf::permit_access | gtf::readonly | gtf::reading);
        auto second = copy_op(gref_ptr(10, kGranter, 16), gmfn_ptr(kOwn, 16), 16, gntcopy::source_gref);
        batch.copy(second);
        EXPECT_EQ(second.status, 0);
        EXPECT_EQ(world.pin(kGranter, 10), pin::host_read) << "reused, not pinned twice";
        // A failed element releases both sides.
        auto bad = copy_op(gref_ptr(10, kGranter, 4095), gmfn_ptr(kOwn), 16, gntcopy::source_gref);
        batch.copy(bad);
        EXPECT_EQ(bad.status, st(GrantStatus::bad_copy_arg));
        EXPECT_EQ(world.pin(kGranter, 10), 0u);
        EXPECT_EQ(world.flags(kGranter, 10), gtf::permit_access | gtf::readonly);
    }
    EXPECT_EQ(std::memcmp(data(kOwn), data(kGranted), 32), 0);
    expect_quiescent();
}

// The next element names another ref of the same granter: the old grant is released
// and the new one pinned (CopyBatch::switch_source_grant), and a failure to pin the new
// one leaves nothing held.
TEST_F(GrantCopy, BatchSwitchesBetweenGrantsOfOneGranter) {
    world.grant(kGranter, 10, gtf::permit_access | gtf::readonly, kCaller, kGranted);
    world.grant(kGranter, 11, gtf::permit_access, kCaller, kGranted2);
    {
        CopyBatch batch(world.ctx, world.table(kCaller));
        auto first = copy_op(gref_ptr(10, kGranter), gmfn_ptr(kOwn), 4096, gntcopy::source_gref);
        batch.copy(first);
        EXPECT_EQ(first.status, 0);
        auto second = copy_op(gref_ptr(11, kGranter), gmfn_ptr(kOwn2), 4096, gntcopy::source_gref);
        batch.copy(second);
        EXPECT_EQ(second.status, 0);
        EXPECT_EQ(world.pin(kGranter, 10), 0u) << "the old grant released";
        EXPECT_EQ(world.flags(kGranter, 10), gtf::permit_access | gtf::readonly);
        EXPECT_EQ(world.pin(kGranter, 11), pin::host_read);
        EXPECT_EQ(world.flags(kGranter, 11), gtf::permit_access | gtf::reading);
        EXPECT_EQ(world.frames.general(kGranted), 0);
        EXPECT_EQ(world.frames.general(kGranted2), 1);
        // A ref the granter does not offer: the held one is released all the same.
        auto bad = copy_op(gref_ptr(12, kGranter), gmfn_ptr(kOwn), 8, gntcopy::source_gref);
        batch.copy(bad);
        EXPECT_EQ(bad.status, st(GrantStatus::general_error));
        EXPECT_EQ(world.pin(kGranter, 11), 0u);
        EXPECT_EQ(world.flags(kGranter, 11), gtf::permit_access);
        // And the batch carries on from nothing held.
        auto again = copy_op(gref_ptr(11, kGranter), gmfn_ptr(kOwn), 8, gntcopy::source_gref);
        batch.copy(again);
        EXPECT_EQ(again.status, 0);
    }
    EXPECT_EQ(std::memcmp(data(kOwn2), data(kGranted2), 4096), 0);
    EXPECT_EQ(std::memcmp(data(kOwn), data(kGranted2), 8), 0);
    EXPECT_EQ(std::memcmp(data(kOwn) + 8, data(kGranted) + 8, 4088), 0);
    expect_quiescent();
}

TEST_F(GrantCopy, ElementsNamingTheSameDomainsAreStillCheckedForFrameNumbers) {
    // Xen 4.17 skips this check when the domains equal the previous element's; here a
    // granter's frames never become reachable by number.
    CopyBatch batch(world.ctx, world.table(kCaller));
    copy_first_element(batch);
    auto sneaky = copy_op(gmfn_ptr(kGranted2), gmfn_ptr(kOwn), 16, 0);
    sneaky.source.domid = kGranter;
    batch.copy(sneaky);
    EXPECT_EQ(sneaky.status, st(GrantStatus::permission_denied));
    EXPECT_NE(std::memcmp(data(kOwn), data(kGranted2), 16), 0);
}

TEST_F(GrantCopy, AClaimedGrantStaysUsableUnderItsNumberAsOnXen) {
    // Xen compares a buffer's whole 64-bit key whichever way it was claimed: an element
    // naming "by number" the value a grant buffer holds (its ref, upper bits zero) reuses
    // that grant. Only the granted frame is reached, so the check that keeps a granter's
    // frames out of reach by number (made when a frame is claimed) has nothing to refuse.
    CopyBatch batch(world.ctx, world.table(kCaller));
    copy_first_element(batch);
    auto by_number = copy_op(gmfn_ptr(10), gmfn_ptr(kOwn), 64, 0);
    by_number.source.domid = kGranter;
    batch.copy(by_number);
    EXPECT_EQ(by_number.status, 0);
    EXPECT_EQ(std::memcmp(data(kOwn), data(kGranted), 64), 0);
}

TEST_F(GrantCopy, GranterTornDownMidBatchEndsItsGrantsWithoutTouchingTheEntries) {
    // The batch keeps the grant's shared entry to clear its flags on release; once the
    // granter's frames are given back that entry is gone, and neither switching to
    // another of its grants nor the batch's end may write to it.
    world.grant(kGranter, 11, gtf::permit_access | gtf::readonly, kCaller, kGranted2);
    {
        CopyBatch batch(world.ctx, world.table(kCaller));
        copy_first_element(batch);
        world.table(kGranter).release_frames();
        auto next = copy_op(gref_ptr(11, kGranter), gmfn_ptr(kOwn2), 16, gntcopy::source_gref);
        batch.copy(next);
        EXPECT_EQ(next.status, st(GrantStatus::bad_domain));
        EXPECT_EQ(world.table(kGranter).pinned_entries(), 0u) << "the old grant was let go";
        auto again = copy_op(gref_ptr(10, kGranter), gmfn_ptr(kOwn2), 16, gntcopy::source_gref);
        batch.copy(again);
        EXPECT_EQ(again.status, st(GrantStatus::bad_domain));
    }
    {
        CopyBatch batch(world.ctx, world.table(kCaller));
        auto first = copy_op(gref_ptr(10, kGranter), gmfn_ptr(kOwn), 16, gntcopy::source_gref);
        batch.copy(first);
        EXPECT_EQ(first.status, st(GrantStatus::bad_domain));
    }
    expect_quiescent();
}

TEST_F(GrantCopy, GranterTornDownBeforeTheBatchEndsIsReleasedCleanly) {
    {
        CopyBatch batch(world.ctx, world.table(kCaller));
        copy_first_element(batch);
        world.table(kGranter).release_frames();
        EXPECT_EQ(world.table(kGranter).pinned_entries(), 1u);
    }  // the batch's end drops the pin and the reference, and writes no flags
    expect_quiescent();
}

TEST_F(GrantCopy, SelfGrantIsUsableThroughDomidSelf) {
    world.grant(kCaller, 20, gtf::permit_access, kCaller, kOwn);
    auto op = copy_op(gmfn_ptr(kOwn2), gref_ptr(20, kDomidSelf), 64, gntcopy::dest_gref);
    EXPECT_EQ(world.copy(kCaller, op), 0);
    EXPECT_EQ(std::memcmp(data(kOwn), data(kOwn2), 64), 0);
    op.dest.domid = kCaller;  // by number works too for a grant
    EXPECT_EQ(world.copy(kCaller, op), 0);
    expect_quiescent();
}

TEST_F(GrantCopy, CopyCoexistsWithAMappingOfTheSameGrant) {
    world.grant(kGranter, 10, gtf::permit_access, kCaller, kGranted);
    auto map = world.map(kCaller, kGranter, 10, xen::gntmap::host_map | xen::gntmap::readonly, 0x10000);
    ASSERT_EQ(map.status, 0);
    EXPECT_EQ(world.copy(kCaller, copy_op(gmfn_ptr(kOwn), gref_ptr(10, kGranter), 8, gntcopy::dest_gref)), 0);
    EXPECT_EQ(world.pin(kGranter, 10), pin::host_read);
    EXPECT_EQ(world.flags(kGranter, 10), gtf::permit_access | gtf::reading) << "writing dropped after the copy";
    EXPECT_EQ(world.unmap(kCaller, map.handle, 0x10000), 0);
    expect_quiescent();
}

}  // namespace
}  // namespace hv::grant
