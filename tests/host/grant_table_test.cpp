// Table management on the grant core: setup_table/query_size growth and limits, who may
// look at whose table, version answers, swap_grant_ref, and domain destruction giving
// back every pin, page reference, frame and page.
#include <gtest/gtest.h>

#include "tests/host/grant_fakes.hpp"

namespace hv::grant {
namespace {

using testing::World;
using xen::GrantStatus;
namespace gtf = xen::gtf;
namespace gntmap = xen::gntmap;

constexpr DomainId kDom0 = 0;
constexpr DomainId kDomU = 1;
constexpr DomainId kDomU2 = 2;

class GrantTableOps : public ::testing::Test {
protected:
    GrantTableOps() {
        world.add(kDom0, /*control=*/true);
        world.add(kDomU);
        world.add(kDomU2, false, /*max_frames=*/4);
    }
    GrantStatus setup(DomainId caller, DomainId dom, uint32_t nr) {
        return setup_table(world.ctx, world.table(caller), dom, nr, frames);
    }

    World world;
    Frame frames[GrantTable::kMaxGrantFrames] = {};
};

TEST_F(GrantTableOps, EveryTableStartsWithOneFrame) {
    EXPECT_EQ(world.table(kDomU).nr_frames(), 1u);
    EXPECT_EQ(world.table(kDomU).nr_entries(), 512u);
    EXPECT_EQ(world.memory.table_frames(), 3u);
    xen::GrantQuerySize q{};
    q.dom = kDomidSelf;
    EXPECT_EQ(query_size(world.ctx, world.table(kDomU), q), GrantStatus::okay);
    EXPECT_EQ(q.nr_frames, 1u);
    EXPECT_EQ(q.max_nr_frames, 64u);
    EXPECT_EQ(q.status, 0);
}

TEST_F(GrantTableOps, SetupGrowsAndListsFrames) {
    ASSERT_EQ(setup(kDomU, kDomidSelf, 3), GrantStatus::okay);
    EXPECT_EQ(world.table(kDomU).nr_frames(), 3u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(frames[i], world.table(kDomU).frame(i));
        EXPECT_NE(world.memory.table_page(frames[i]), nullptr);
    }
    EXPECT_NE(frames[0], frames[1]);
    // Asking for fewer keeps the table and lists the first ones.
    Frame first = frames[0];
    frames[0] = 0;
    ASSERT_EQ(setup(kDomU, kDomU, 1), GrantStatus::okay);
    EXPECT_EQ(frames[0], first);
    EXPECT_EQ(world.table(kDomU).nr_frames(), 3u);
    EXPECT_EQ(setup(kDomU, kDomidSelf, 0), GrantStatus::okay);
    // Grants in the new frames work.
    world.frames.add(0x5000, kDomU);
    world.grant(kDomU, 3 * 512 - 1, gtf::permit_access, kDomU2, 0x5000);
    auto op = world.map(kDomU2, kDomU, 3 * 512 - 1, gntmap::host_map, 0x1000);
    ASSERT_EQ(op.status, 0);
    EXPECT_EQ(world.unmap(kDomU2, op.handle, 0x1000), 0);
}

TEST_F(GrantTableOps, SetupBeyondTheLimitIsAGeneralError) {
    EXPECT_EQ(setup(kDomU2, kDomidSelf, 5), GrantStatus::general_error);
    EXPECT_EQ(setup(kDomU2, kDomidSelf, 4), GrantStatus::okay);
    EXPECT_EQ(setup(kDomU, kDomidSelf, 65), GrantStatus::general_error);
    EXPECT_EQ(setup(kDomU, kDomidSelf, 100000), GrantStatus::general_error);
    EXPECT_EQ(setup(kDomU, kDomidSelf, 64), GrantStatus::okay);
    EXPECT_EQ(world.table(kDomU).nr_frames(), 64u);
}

TEST_F(GrantTableOps, OutOfMemoryLeavesTheTableAsItWas) {
    const size_t pages = world.memory.pages();
    const size_t table_frames = world.memory.table_frames();
    world.memory.fail_allocations_after = 5;  // 3 frames need 6 pages and 3 table frames
    EXPECT_EQ(setup(kDomU, kDomidSelf, 4), GrantStatus::general_error);
    EXPECT_EQ(world.table(kDomU).nr_frames(), 1u);
    EXPECT_EQ(world.memory.pages(), pages);
    EXPECT_EQ(world.memory.table_frames(), table_frames);
    world.memory.fail_allocations_after = -1;
    EXPECT_EQ(setup(kDomU, kDomidSelf, 4), GrantStatus::okay);
}

TEST_F(GrantTableOps, OnlyAControlDomainTouchesOtherTables) {
    EXPECT_EQ(setup(kDomU, kDomU2, 1), GrantStatus::permission_denied);
    EXPECT_EQ(setup(kDomU, 77, 1), GrantStatus::bad_domain);
    EXPECT_EQ(setup(kDom0, kDomU2, 2), GrantStatus::okay);
    EXPECT_EQ(world.table(kDomU2).nr_frames(), 2u);
    xen::GrantQuerySize q{};
    q.dom = kDomU2;
    q.nr_frames = 0xaaaa;
    EXPECT_EQ(query_size(world.ctx, world.table(kDomU), q), GrantStatus::permission_denied);
    EXPECT_EQ(q.nr_frames, 0xaaaau) << "only the status on failure";
    EXPECT_EQ(q.status, static_cast<int16_t>(GrantStatus::permission_denied));
    EXPECT_EQ(query_size(world.ctx, world.table(kDom0), q), GrantStatus::okay);
    EXPECT_EQ(q.nr_frames, 2u);
    EXPECT_EQ(q.max_nr_frames, 4u);
    q.dom = 99;
    EXPECT_EQ(query_size(world.ctx, world.table(kDom0), q), GrantStatus::bad_domain);

    EXPECT_EQ(get_version(world.ctx, world.table(kDomU), kDomidSelf).value_or(0), 1u);
    EXPECT_EQ(get_version(world.ctx, world.table(kDomU), kDomU2).status(), Status::Permission);
    EXPECT_EQ(get_version(world.ctx, world.table(kDomU), 99).status(), Status::NoSuchDomain);
    EXPECT_EQ(get_version(world.ctx, world.table(kDom0), kDomU2).value_or(0), 1u);

    EXPECT_EQ(get_status_frames(world.ctx, world.table(kDomU), kDomidSelf, 0), GrantStatus::okay);
    EXPECT_EQ(get_status_frames(world.ctx, world.table(kDomU), kDomidSelf, 1), GrantStatus::general_error);
    EXPECT_EQ(get_status_frames(world.ctx, world.table(kDomU), kDomU2, 0), GrantStatus::permission_denied);
    EXPECT_EQ(get_status_frames(world.ctx, world.table(kDomU), 99, 0), GrantStatus::bad_domain);
    for (DomainId d : {kDom0, kDomU, kDomU2})
        EXPECT_EQ(world.domains.refs(d), 0);
}

TEST_F(GrantTableOps, SetVersionKeepsVersionOne) {
    uint32_t v = 1;
    EXPECT_EQ(set_version(v), Status::Ok);
    EXPECT_EQ(v, 1u);
    v = 2;
    EXPECT_EQ(set_version(v), Status::NotSupported);
    EXPECT_EQ(v, 1u);
    v = 3;
    EXPECT_EQ(set_version(v), Status::InvalidArgument);
    EXPECT_EQ(v, 1u);
    v = 0;
    EXPECT_EQ(set_version(v), Status::InvalidArgument);
}

TEST_F(GrantTableOps, SwapExchangesIdleEntries) {
    world.grant(kDomU, 10, gtf::permit_access, kDomU2, 0x1234);
    world.grant(kDomU, 11, gtf::permit_access | gtf::readonly, kDom0, 0x5678);
    GrantTable& t = world.table(kDomU);
    EXPECT_EQ(swap_grant_ref(t, 10, 11), GrantStatus::okay);
    EXPECT_EQ(world.entry(kDomU, 10)->frame, 0x5678u);
    EXPECT_EQ(world.entry(kDomU, 10)->domid, kDom0);
    EXPECT_EQ(world.entry(kDomU, 11)->frame, 0x1234u);
    EXPECT_EQ(world.flags(kDomU, 11), gtf::permit_access);
    EXPECT_EQ(swap_grant_ref(t, 10, 10), GrantStatus::okay);
    EXPECT_EQ(swap_grant_ref(t, 10, 512), GrantStatus::bad_gntref);
    EXPECT_EQ(swap_grant_ref(t, 512, 10), GrantStatus::bad_gntref);
    // An entry in use cannot move.
    world.frames.add(0x1234, kDomU);
    auto op = world.map(kDomU2, kDomU, 11, gntmap::host_map, 0x1000);
    ASSERT_EQ(op.status, 0);
    EXPECT_EQ(swap_grant_ref(t, 10, 11), GrantStatus::eagain);
    EXPECT_EQ(swap_grant_ref(t, 11, 10), GrantStatus::eagain);
    EXPECT_EQ(world.unmap(kDomU2, op.handle, 0x1000), 0);
    EXPECT_EQ(swap_grant_ref(t, 11, 10), GrantStatus::okay);
}

TEST_F(GrantTableOps, DestroyingAMapperReleasesEveryPinAndReference) {
    // DomU2 maps DomU's grants every way, and copies are in flight nowhere.
    world.frames.add(0x1000, kDomU);
    world.frames.add(0x1001, kDomU);
    world.grant(kDomU, 8, gtf::permit_access, kDomU2, 0x1000);
    world.grant(kDomU, 9, gtf::permit_access | gtf::readonly, kDomU2, 0x1001);
    std::vector<xen::GrantMapRef> maps = {
        world.map(kDomU2, kDomU, 8, gntmap::host_map, 0x10000),
        world.map(kDomU2, kDomU, 8, gntmap::device_map, 0),
        world.map(kDomU2, kDomU, 8, gntmap::host_map | gntmap::device_map, 0x11000),
        world.map(kDomU2, kDomU, 9, gntmap::host_map | gntmap::readonly, 0x12000),
        world.map(kDomU2, kDomU, 9, gntmap::device_map | gntmap::readonly, 0),
    };
    for (auto& m : maps)
        ASSERT_EQ(m.status, 0);
    EXPECT_GT(world.frames.total_refs(), 0);
    EXPECT_EQ(world.flags(kDomU, 8), gtf::permit_access | gtf::reading | gtf::writing);

    // Destroy DomU2: its page tables go (host mappings' references), then its grant
    // mappings (pins, device mappings' references), then its own table.
    world.mappings.teardown(kDomU2);
    release_mappings(world.ctx, world.table(kDomU2));
    world.table(kDomU2).release_frames();
    EXPECT_EQ(world.frames.total_refs(), 0);
    EXPECT_EQ(world.table(kDomU).pinned_entries(), 0u);
    EXPECT_EQ(world.flags(kDomU, 8), gtf::permit_access);
    EXPECT_EQ(world.flags(kDomU, 9), gtf::permit_access | gtf::readonly);
    EXPECT_EQ(world.table(kDomU2).handles_in_use(), 0u);
    EXPECT_EQ(world.table(kDomU2).maptrack_limit(), 0u) << "maptrack pages freed";
    world.domains.remove(kDomU2);
    const size_t frames_before = world.memory.table_frames();
    world.tables.erase(kDomU2);
    EXPECT_EQ(world.memory.table_frames(), frames_before);
    EXPECT_EQ(world.memory.pages(), 2u * 3u) << "only the active pages and first maptrack frame of the two tables";
}

TEST_F(GrantTableOps, DestroyingAGranterKeepsOthersMappingsWorking) {
    world.frames.add(0x1000, kDomU);
    world.grant(kDomU, 8, gtf::permit_access, kDomU2, 0x1000);
    auto op = world.map(kDomU2, kDomU, 8, gntmap::host_map, 0x10000);
    ASSERT_EQ(op.status, 0);
    // DomU dies first: its frames go back, its table is retired while DomU2 pins a grant.
    GrantTable& retired = world.destroy(kDomU);
    EXPECT_EQ(retired.pinned_entries(), 1u) << "not quiescent yet";
    EXPECT_TRUE(retired.frames_released());
    // No new use of its grants...
    EXPECT_EQ(world.map(kDomU2, kDomU, 8, gntmap::host_map, 0x11000).status,
              static_cast<int16_t>(GrantStatus::bad_domain));
    auto copy = testing::copy_op(testing::gref_ptr(8, kDomU), testing::gmfn_ptr(0x1000), 8, xen::gntcopy::source_gref);
    EXPECT_EQ(world.copy(kDomU2, copy), static_cast<int16_t>(GrantStatus::bad_domain));
    // ...and a new domain with the same id is a different table...
    GrantTable& reborn = world.add(kDomU);
    EXPECT_NE(reborn.serial(), retired.serial());
    world.frames.set_owner(0x1000, kDomU);
    world.grant(kDomU, 8, gtf::permit_access, kDomU2, 0x1000);
    auto fresh = world.map(kDomU2, kDomU, 8, gntmap::host_map | gntmap::readonly, 0x12000);
    ASSERT_EQ(fresh.status, 0);
    // ...while the old mapping still unmaps from the retired table, which becomes quiescent.
    EXPECT_EQ(world.unmap(kDomU2, op.handle, 0x10000), 0);
    EXPECT_EQ(retired.pinned_entries(), 0u);
    EXPECT_EQ(world.pin(kDomU, 8), pin::host_read) << "the new table's pin untouched";
    EXPECT_EQ(world.unmap(kDomU2, fresh.handle, 0x12000), 0);
    EXPECT_EQ(world.frames.total_refs(), 0);
}

// Unmaps reach the granter through the maptrack entry (its pins keep the table alive,
// grant_table.hpp G3), not by looking its id up again.
TEST_F(GrantTableOps, UnmapReachesTheGranterThroughTheMappingNotItsId) {
    world.frames.add(0x1000, kDomU);
    world.grant(kDomU, 8, gtf::permit_access, kDomU2, 0x1000);
    auto op = world.map(kDomU2, kDomU, 8, gntmap::host_map, 0x10000);
    ASSERT_EQ(op.status, 0);
    EXPECT_EQ(world.table(kDomU2).maptrack(op.handle)->granter, &world.table(kDomU));
    world.domains.remove(kDomU);  // no lookup by id finds it now
    EXPECT_EQ(world.unmap(kDomU2, op.handle, 0x10000), 0);
    EXPECT_EQ(world.domains.refs(kDomU), 0) << "the unmap's hold on the granter was released";
    world.domains.add(world.table(kDomU));
    EXPECT_EQ(world.pin(kDomU, 8), 0u);
    EXPECT_EQ(world.frames.total_refs(), 0);
}

TEST_F(GrantTableOps, DestroyingAMapperOfARetiredGranterReleasesItsPins) {
    world.frames.add(0x1000, kDomU);
    world.grant(kDomU, 8, gtf::permit_access, kDomU2, 0x1000);
    auto op = world.map(kDomU2, kDomU, 8, gntmap::device_map, 0);
    ASSERT_EQ(op.status, 0);
    GrantTable& retired = world.destroy(kDomU);
    EXPECT_EQ(retired.pinned_entries(), 1u);
    world.destroy(kDomU2);
    EXPECT_EQ(retired.pinned_entries(), 0u);
    EXPECT_EQ(world.frames.total_refs(), 0);
}

}  // namespace
}  // namespace hv::grant
