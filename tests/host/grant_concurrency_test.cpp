// The grant core under concurrency: mapping domains map, unmap and copy one granter's
// grants from several threads while the granting "guest" keeps rewriting its shared
// entries behind the hypervisor's back. Whatever interleaving happens, every mapping made
// must unmap, and at the end no pin, page reference, handle or lookup may be left.
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/host/grant_fakes.hpp"

namespace hv::grant {
namespace {

using testing::copy_op;
using testing::gmfn_ptr;
using testing::gref_ptr;
using testing::World;
namespace gtf = xen::gtf;
namespace gntmap = xen::gntmap;

constexpr DomainId kGranter = 1;
constexpr DomainId kMappers[] = {2, 3, 4};
constexpr xen::GrantRef kRefs = 4;  // refs 8..11, one per mapper plus one shared by all
constexpr Frame kGranted = 0x1000;

TEST(GrantConcurrency, MappersAndAHostileGranterLeaveNothingBehind) {
    World world;
    world.add(kGranter);
    for (DomainId m : kMappers) {
        world.add(m);
        world.frames.add(0x2000 + m, m);  // each mapper's own page for copies
    }
    for (xen::GrantRef r = 0; r < kRefs; ++r)
        world.frames.add(kGranted + r, kGranter);

    for (xen::GrantRef r = 0; r < kRefs; ++r)
        world.grant(kGranter, 8 + r, gtf::permit_access, kMappers[r % 3], kGranted + r);
    std::atomic<bool> stop{false};
    std::atomic<unsigned> maps{0}, copies{0}, granter_rounds{0};

    // The granting guest: grants ref 8+i to mapper i (ref 11 to the first mapper), then
    // keeps flipping access, read-only and the domain, and clearing the in-use flags.
    std::thread granter([&] {
        unsigned n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            for (xen::GrantRef r = 0; r < kRefs; ++r) {
                xen::GrantEntryV1* e = world.entry(kGranter, 8 + r);
                const DomainId to = kMappers[r % 3];
                const uint32_t frame = static_cast<uint32_t>(kGranted + r);
                __atomic_store_n(&e->frame, (n % 17 == 0) ? frame + 1 : frame, __ATOMIC_SEQ_CST);
                __atomic_store_n(&e->domid, (n % 13 == 0) ? DomainId{9} : to, __ATOMIC_SEQ_CST);
                switch (n % 4) {
                case 0: __atomic_store_n(&e->flags, gtf::permit_access, __ATOMIC_SEQ_CST); break;
                case 1: __atomic_fetch_or(&e->flags, gtf::readonly, __ATOMIC_SEQ_CST); break;
                case 2: __atomic_fetch_and(&e->flags, static_cast<uint16_t>(~(gtf::reading | gtf::writing)), __ATOMIC_SEQ_CST); break;
                case 3: __atomic_fetch_and(&e->flags, static_cast<uint16_t>(~gtf::readonly), __ATOMIC_SEQ_CST); break;
                }
                ++n;
            }
            granter_rounds.fetch_add(1, std::memory_order_relaxed);
        }
        // Leave every entry granted, so the mappers' last rounds can succeed.
        for (xen::GrantRef r = 0; r < kRefs; ++r)
            world.grant(kGranter, 8 + r, gtf::permit_access, kMappers[r % 3], kGranted + r);
    });

    std::vector<std::thread> mappers;
    for (unsigned i = 0; i < 3; ++i) {
        mappers.emplace_back([&, i] {
            const DomainId me = kMappers[i];
            const xen::GrantRef ref = 8 + i;
            while (granter_rounds.load(std::memory_order_relaxed) == 0)
                std::this_thread::yield();
            for (unsigned round = 0; round < 3000; ++round) {
                const bool ro = round & 1;
                const uint32_t flags = (round % 3 == 0 ? gntmap::device_map : gntmap::host_map) |
                                       (ro ? gntmap::readonly : 0);
                const uint64_t va = 0x10000 + (round % 4) * 0x1000;
                auto op = world.map(me, kGranter, round % 5 == 4 ? 11 : ref, flags, va);
                if (op.status == 0) {
                    maps.fetch_add(1);
                    const uint64_t dev = (flags & gntmap::device_map) ? op.dev_bus_addr : 0;
                    EXPECT_EQ(world.unmap(me, op.handle, (flags & gntmap::host_map) ? va : 0, dev), 0);
                }
                auto c = copy_op(gref_ptr(ref, kGranter), gmfn_ptr(0x2000 + me), 64, xen::gntcopy::source_gref);
                if (world.copy(me, c) == 0)
                    copies.fetch_add(1);
            }
        });
    }
    for (auto& t : mappers)
        t.join();
    stop = true;
    granter.join();

    // How often the races let an operation through varies; with the entries stable again,
    // every mapper must be able to map and copy.
    std::printf("%u maps and %u copies went through while the granter rewrote its entries\n", maps.load(),
                copies.load());
    for (unsigned i = 0; i < 3; ++i) {
        auto op = world.map(kMappers[i], kGranter, 8 + i, gntmap::host_map, 0x10000);
        EXPECT_EQ(op.status, 0);
        EXPECT_EQ(world.unmap(kMappers[i], op.handle, 0x10000), 0);
        auto c = copy_op(gref_ptr(8 + i, kGranter), gmfn_ptr(0x2000 + kMappers[i]), 64, xen::gntcopy::source_gref);
        EXPECT_EQ(world.copy(kMappers[i], c), 0);
    }
    EXPECT_EQ(world.frames.total_refs(), 0);
    EXPECT_EQ(world.table(kGranter).pinned_entries(), 0u);
    for (DomainId m : kMappers) {
        EXPECT_EQ(world.table(m).handles_in_use(), 0u);
        EXPECT_EQ(world.mappings.present_entries(m), 0u);
    }
    EXPECT_EQ(world.domains.refs(kGranter), 0);
    for (xen::GrantRef r = 0; r < kRefs; ++r)
        EXPECT_EQ(world.pin(kGranter, 8 + r), 0u);
}

TEST(GrantConcurrency, OneMapperFromManyVcpusSharesItsMaptrack) {
    World world;
    world.add(kGranter);
    world.add(2, false, kDefaultMaxGrantFrames, /*max_maptrack=*/2);
    world.frames.add(kGranted, kGranter);
    world.grant(kGranter, 8, gtf::permit_access | gtf::readonly, 2, kGranted);
    std::atomic<unsigned> no_space{0};
    std::vector<std::thread> vcpus;
    for (unsigned v = 0; v < 4; ++v) {
        vcpus.emplace_back([&] {
            for (unsigned round = 0; round < 500; ++round) {
                std::vector<xen::GrantHandle> held;
                for (unsigned k = 0; k < 40; ++k) {
                    auto op = world.map(2, kGranter, 8, gntmap::device_map | gntmap::readonly, 0);
                    if (op.status == 0)
                        held.push_back(op.handle);
                    else if (op.status == static_cast<int16_t>(xen::GrantStatus::general_error))
                        ;  // the read-only device counter is full (128)
                    else if (op.status == static_cast<int16_t>(xen::GrantStatus::no_space))
                        no_space.fetch_add(1);
                    else
                        ADD_FAILURE() << op.status;
                }
                for (xen::GrantHandle h : held)
                    EXPECT_EQ(world.unmap(2, h, 0, kGranted << 12), 0);
            }
        });
    }
    for (auto& t : vcpus)
        t.join();
    EXPECT_EQ(world.frames.total_refs(), 0);
    EXPECT_EQ(world.pin(kGranter, 8), 0u);
    EXPECT_EQ(world.table(2).handles_in_use(), 0u);
    EXPECT_LE(world.table(2).maptrack_frames(), 2u);
}

}  // namespace
}  // namespace hv::grant
