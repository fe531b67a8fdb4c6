// BuddyAllocator: block shapes, merging, alignment, limits, exhaustion, the zero-exactly-once contract
// (checked frame by frame with a counting fake zeroer), misuse death tests, a seeded randomized stress
// against a model, and two threads sharing the allocator.
#include "memory/buddy_allocator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <bit>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

namespace hv {
namespace {

// Simulated machine memory: one "content" word per frame; zeroing sets it to 0 and counts.
class CountingZeroer final : public PageZeroer {
public:
    explicit CountingZeroer(size_t frames) : zero_count(frames), content(frames) {}

    void zero_frames(Pfn first, uint64_t count) override {
        calls.fetch_add(1);
        std::lock_guard<std::mutex> guard(calls_lock);
        call_log.emplace_back(first, count);
        for (Pfn pfn = first; pfn < first + count; ++pfn) {
            zero_count[pfn].fetch_add(1);
            content[pfn].store(0);
        }
    }

    std::vector<std::atomic<uint32_t>> zero_count;
    std::vector<std::atomic<uint64_t>> content;
    std::atomic<uint64_t> calls{0};
    std::mutex calls_lock;
    std::vector<std::pair<Pfn, uint64_t>> call_log;
};

struct Machine {
    explicit Machine(size_t frame_count) : frames(frame_count), zeroer(frame_count), buddy(frames, zeroer) {}
    std::vector<FrameInfo> frames;
    CountingZeroer zeroer;
    BuddyAllocator buddy;
};

using OrderCounts = std::array<uint64_t, BuddyAllocator::kMaxOrder + 1>;

OrderCounts block_counts(const BuddyAllocator& buddy) {
    OrderCounts counts{};
    for (unsigned order = 0; order <= BuddyAllocator::kMaxOrder; ++order)
        counts[order] = buddy.free_blocks(order);
    return counts;
}

Pfn must_allocate(BuddyAllocator& buddy, unsigned order, Pfn limit = BuddyAllocator::kNoLimit, bool zero = true) {
    Result<Pfn> r = buddy.allocate(order, limit, zero);
    EXPECT_TRUE(r.ok()) << "order " << order << ": " << status_name(r.status());
    return r.value_or(~Pfn{0});
}

TEST(BuddyAllocator, StartsEmpty) {
    Machine m(64);
    EXPECT_EQ(m.buddy.free_frames(), 0u);
    EXPECT_EQ(m.buddy.allocate(0).status(), Status::OutOfMemory);
    EXPECT_FALSE(m.buddy.is_free(0));
    EXPECT_FALSE(m.buddy.is_free(1000));  // outside the table
}

TEST(BuddyAllocator, AddFreeRangeSplitsIntoMaximalAlignedBlocks) {
    Machine m(1024);
    m.buddy.add_free_range(3, 100);  // [3, 103)
    EXPECT_EQ(m.buddy.free_frames(), 100u);
    // 3 | 4-7 | 8-15 | 16-31 | 32-63 | 64-95 | 96-99 | 100-101 | 102
    OrderCounts expected{};
    expected[0] = 2;  // 3, 102
    expected[1] = 1;  // 100-101
    expected[2] = 2;  // 4-7, 96-99
    expected[3] = 1;  // 8-15
    expected[4] = 1;  // 16-31
    expected[5] = 2;  // 32-63, 64-95
    EXPECT_EQ(block_counts(m.buddy), expected);
    EXPECT_FALSE(m.buddy.is_free(2));
    for (Pfn pfn = 3; pfn < 103; ++pfn)
        EXPECT_TRUE(m.buddy.is_free(pfn)) << pfn;
    EXPECT_FALSE(m.buddy.is_free(103));
}

TEST(BuddyAllocator, AddFreeRangeFromZeroUsesTheLargestOrder) {
    const size_t frames = (size_t{1} << BuddyAllocator::kMaxOrder) * 2 + 5;
    Machine m(frames);
    m.buddy.add_free_range(0, frames);
    EXPECT_EQ(m.buddy.free_blocks(BuddyAllocator::kMaxOrder), 2u);  // two 1 GiB blocks, never merged further
    EXPECT_EQ(m.buddy.free_blocks(2), 1u);
    EXPECT_EQ(m.buddy.free_blocks(0), 1u);
    EXPECT_EQ(m.buddy.free_frames(), frames);
    const Pfn big = must_allocate(m.buddy, BuddyAllocator::kMaxOrder, BuddyAllocator::kNoLimit, false);
    EXPECT_EQ(big % (Pfn{1} << BuddyAllocator::kMaxOrder), 0u);
    EXPECT_EQ(m.buddy.allocate(BuddyAllocator::kMaxOrder + 1).status(), Status::InvalidArgument);
    m.buddy.free(big, BuddyAllocator::kMaxOrder);
    EXPECT_EQ(m.buddy.free_blocks(BuddyAllocator::kMaxOrder), 2u);
}

TEST(BuddyAllocator, AddedRangesMergeWithFreeBuddies) {
    Machine m(64);
    m.buddy.add_free_range(0, 1);
    m.buddy.add_free_range(1, 1);
    EXPECT_EQ(m.buddy.free_blocks(0), 0u);
    EXPECT_EQ(m.buddy.free_blocks(1), 1u);
    m.buddy.add_free_range(2, 2);
    EXPECT_EQ(m.buddy.free_blocks(1), 0u);
    EXPECT_EQ(m.buddy.free_blocks(2), 1u);
    m.buddy.add_free_range(6, 2);  // 4-5 missing: no merge across a hole
    EXPECT_EQ(m.buddy.free_blocks(2), 1u);
    EXPECT_EQ(m.buddy.free_blocks(1), 1u);
    m.buddy.add_free_range(4, 2);  // fills the hole: 0-7 becomes one block
    EXPECT_EQ(m.buddy.free_blocks(3), 1u);
    EXPECT_EQ(m.buddy.free_frames(), 8u);
}

TEST(BuddyAllocator, BlocksAreNaturallyAlignedAndSplitLowHalfFirst) {
    Machine m(4096);
    m.buddy.add_free_range(1, 4095);
    for (unsigned order = 0; order <= 8; ++order) {
        const Pfn pfn = must_allocate(m.buddy, order);
        EXPECT_EQ(pfn % (Pfn{1} << order), 0u) << "order " << order;
        EXPECT_LE(pfn + (Pfn{1} << order), 4096u);
        for (Pfn f = pfn; f < pfn + (Pfn{1} << order); ++f)
            EXPECT_FALSE(m.buddy.is_free(f));
    }
    EXPECT_EQ(m.buddy.free_frames(), 4095u - 511u);
}

TEST(BuddyAllocator, FreeAllRestoresTheOriginalMaximalBlocks) {
    Machine m(4096);
    m.buddy.add_free_range(5, 3000);
    const OrderCounts original = block_counts(m.buddy);
    std::vector<Pfn> taken;
    for (;;) {
        Result<Pfn> r = m.buddy.allocate(0, BuddyAllocator::kNoLimit, false);
        if (!r.ok()) {
            EXPECT_EQ(r.status(), Status::OutOfMemory);
            break;
        }
        taken.push_back(*r);
    }
    ASSERT_EQ(taken.size(), 3000u);
    EXPECT_EQ(m.buddy.free_frames(), 0u);
    std::mt19937_64 rng(7);
    std::shuffle(taken.begin(), taken.end(), rng);
    for (Pfn pfn : taken)
        m.buddy.free(pfn, 0);
    EXPECT_EQ(m.buddy.free_frames(), 3000u);
    EXPECT_EQ(block_counts(m.buddy), original);
}

TEST(BuddyAllocator, FreeingBuddiesMergesUpwards) {
    Machine m(64);
    m.buddy.add_free_range(0, 16);
    std::vector<Pfn> quads;
    for (int i = 0; i < 4; ++i)
        quads.push_back(must_allocate(m.buddy, 2));
    std::sort(quads.begin(), quads.end());
    EXPECT_EQ(quads, (std::vector<Pfn>{0, 4, 8, 12}));
    m.buddy.free(0, 2);
    m.buddy.free(8, 2);
    EXPECT_EQ(m.buddy.free_blocks(2), 2u);  // not buddies of each other
    m.buddy.free(4, 2);
    EXPECT_EQ(m.buddy.free_blocks(3), 1u);
    EXPECT_EQ(m.buddy.free_blocks(2), 1u);
    m.buddy.free(12, 2);
    EXPECT_EQ(m.buddy.free_blocks(4), 1u);
    EXPECT_EQ(m.buddy.free_blocks(3), 0u);
    EXPECT_EQ(m.buddy.free_blocks(2), 0u);
}

TEST(BuddyAllocator, LimitKeepsTheWholeBlockBelowIt) {
    Machine m(4096);
    m.buddy.add_free_range(0, 4096);
    for (int i = 0; i < 8; ++i) {
        const Pfn pfn = must_allocate(m.buddy, 3, 64);
        EXPECT_LE(pfn + 8, 64u);
    }
    EXPECT_EQ(m.buddy.allocate(3, 64).status(), Status::OutOfMemory);
    EXPECT_EQ(m.buddy.allocate(0, 64).status(), Status::OutOfMemory);
    EXPECT_TRUE(m.buddy.allocate(3).ok());  // memory above the limit is still there
    EXPECT_EQ(m.buddy.allocate(0, 0).status(), Status::OutOfMemory);
}

TEST(BuddyAllocator, LimitNotOnABlockBoundary) {
    Machine m(64);
    m.buddy.add_free_range(0, 64);
    // Below 10: order-2 blocks at 0 and 4 fit (end 4, 8); the one at 8 would end at 12.
    std::vector<Pfn> got;
    for (;;) {
        Result<Pfn> r = m.buddy.allocate(2, 10);
        if (!r.ok())
            break;
        got.push_back(*r);
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<Pfn>{0, 4}));
    // Order 0 can still use frames 8 and 9.
    std::vector<Pfn> singles;
    for (;;) {
        Result<Pfn> r = m.buddy.allocate(0, 10);
        if (!r.ok())
            break;
        singles.push_back(*r);
    }
    std::sort(singles.begin(), singles.end());
    EXPECT_EQ(singles, (std::vector<Pfn>{8, 9}));
}

TEST(BuddyAllocator, ExhaustionAndInvalidOrder) {
    Machine m(100);
    m.buddy.add_free_range(0, 100);
    EXPECT_EQ(m.buddy.allocate(7).status(), Status::OutOfMemory);  // 128 > 100
    EXPECT_EQ(m.buddy.allocate(BuddyAllocator::kMaxOrder + 1).status(), Status::InvalidArgument);
    EXPECT_EQ(m.buddy.allocate(255).status(), Status::InvalidArgument);
    uint64_t total = 0;
    for (unsigned order = 6;; ) {
        Result<Pfn> r = m.buddy.allocate(order);
        if (r.ok()) {
            total += uint64_t{1} << order;
            continue;
        }
        if (order == 0)
            break;
        --order;
    }
    EXPECT_EQ(total, 100u);
    EXPECT_EQ(m.buddy.free_frames(), 0u);
    EXPECT_EQ(m.buddy.allocate(0).status(), Status::OutOfMemory);
}

TEST(BuddyAllocator, EveryHandedOutFrameIsZeroedExactlyOnce) {
    Machine m(2048);
    m.buddy.add_free_range(0, 2048);
    std::vector<std::pair<Pfn, unsigned>> blocks;
    for (unsigned order : {0u, 1u, 2u, 3u, 5u, 7u, 9u}) {
        const Pfn pfn = must_allocate(m.buddy, order);
        blocks.emplace_back(pfn, order);
    }
    for (auto [pfn, order] : blocks) {
        for (Pfn f = pfn; f < pfn + (Pfn{1} << order); ++f) {
            EXPECT_EQ(m.zeroer.zero_count[f].load(), 1u) << f;
            EXPECT_EQ(m.zeroer.content[f].load(), 0u);
            m.zeroer.content[f] = 0xdead;  // the owner uses it
        }
    }
    // Frames never handed out were never zeroed.
    uint64_t zeroed = 0;
    for (size_t f = 0; f < 2048; ++f)
        zeroed += m.zeroer.zero_count[f].load();
    EXPECT_EQ(zeroed, 1u + 2 + 4 + 8 + 32 + 128 + 512);
    // Second round: freed memory is dirty again and is zeroed once more on its next hand-out.
    for (auto [pfn, order] : blocks)
        m.buddy.free(pfn, order);
    const Pfn again = must_allocate(m.buddy, 9);
    for (Pfn f = again; f < again + 512; ++f) {
        EXPECT_EQ(m.zeroer.content[f].load(), 0u);
        EXPECT_LE(m.zeroer.zero_count[f].load(), 2u);
    }
}

TEST(BuddyAllocator, ADirtyBlockIsZeroedInOneCall) {
    Machine m(1024);
    m.buddy.add_free_range(0, 1024);
    const Pfn small = must_allocate(m.buddy, 2);  // zeroed under the lock
    const Pfn large = must_allocate(m.buddy, 8);  // zeroed with the lock dropped
    ASSERT_EQ(m.zeroer.call_log.size(), 2u);
    EXPECT_EQ(m.zeroer.call_log[0], std::make_pair(small, uint64_t{4}));
    EXPECT_EQ(m.zeroer.call_log[1], std::make_pair(large, uint64_t{256}));
}

TEST(BuddyAllocator, ZeroFalseSkipsZeroingAndTheFramesStayDirty) {
    Machine m(64);
    m.buddy.add_free_range(0, 64);
    const Pfn pfn = must_allocate(m.buddy, 3, BuddyAllocator::kNoLimit, false);
    EXPECT_EQ(m.zeroer.calls.load(), 0u);
    for (Pfn f = pfn; f < pfn + 8; ++f)
        EXPECT_NE(m.frames[f].flags & kFrameDirty, 0) << f;
    m.buddy.free(pfn, 3);
    const Pfn again = must_allocate(m.buddy, 6);
    EXPECT_EQ(again, 0u);
    for (Pfn f = 0; f < 64; ++f) {
        EXPECT_EQ(m.zeroer.zero_count[f].load(), 1u);
        EXPECT_EQ(m.frames[f].flags & kFrameDirty, 0);
    }
}

TEST(BuddyAllocator, ZeroedFramesAreNotZeroedAgainAndRunsAreCoalesced) {
    Machine m(64);
    m.buddy.add_free_range(0, 8);
    // Take the 8 frames one by one without zeroing, then give 2 and 3 back as known-zero.
    std::vector<Pfn> singles;
    for (int i = 0; i < 8; ++i)
        singles.push_back(must_allocate(m.buddy, 0, BuddyAllocator::kNoLimit, false));
    for (Pfn pfn : singles) {
        if (pfn == 2 || pfn == 3)
            m.buddy.free_zeroed(pfn, 0);
        else
            m.buddy.free(pfn, 0);
    }
    EXPECT_EQ(m.buddy.free_blocks(3), 1u);
    m.zeroer.call_log.clear();
    EXPECT_EQ(must_allocate(m.buddy, 3), 0u);
    // Two runs, each zeroed in a single call; frames 2 and 3 untouched.
    using Call = std::pair<Pfn, uint64_t>;
    EXPECT_EQ(m.zeroer.call_log, (std::vector<Call>{{0, 2}, {4, 4}}));
    EXPECT_EQ(m.zeroer.zero_count[2].load(), 0u);
    EXPECT_EQ(m.zeroer.zero_count[3].load(), 0u);
    // A fully clean block costs no zeroing at all.
    m.buddy.free_zeroed(0, 3);
    m.zeroer.call_log.clear();
    EXPECT_EQ(must_allocate(m.buddy, 3), 0u);
    EXPECT_TRUE(m.zeroer.call_log.empty());
}

TEST(BuddyAllocator, IsFreeFollowsBlocks) {
    Machine m(64);
    m.buddy.add_free_range(16, 16);
    const Pfn pfn = must_allocate(m.buddy, 2);
    for (Pfn f = 0; f < 64; ++f) {
        const bool inside_range = f >= 16 && f < 32;
        const bool allocated = f >= pfn && f < pfn + 4;
        EXPECT_EQ(m.buddy.is_free(f), inside_range && !allocated) << f;
    }
}

using BuddyAllocatorDeathTest = ::testing::Test;

TEST(BuddyAllocatorDeathTest, DoubleFree) {
    Machine m(64);
    m.buddy.add_free_range(0, 64);
    const Pfn pfn = must_allocate(m.buddy, 1);
    m.buddy.free(pfn, 1);
    EXPECT_DEATH(m.buddy.free(pfn, 1), "double free");
}

TEST(BuddyAllocatorDeathTest, FreeOverlappingAFreeBlock) {
    Machine m(64);
    m.buddy.add_free_range(0, 64);
    const Pfn pfn = must_allocate(m.buddy, 0);
    // An order-1 block that includes the allocated frame and its free buddy.
    EXPECT_DEATH(m.buddy.free(pfn & ~Pfn{1}, 1), "double free");
}

TEST(BuddyAllocatorDeathTest, FreeOfAFrameInsideAFreeBlock) {
    Machine m(64);
    m.buddy.add_free_range(0, 64);
    EXPECT_DEATH(m.buddy.free(13, 0), "double free");
}

TEST(BuddyAllocatorDeathTest, MisalignedOutOfRangeAndBadOrder) {
    Machine m(64);
    m.buddy.add_free_range(0, 64);
    const Pfn pfn = must_allocate(m.buddy, 2);
    EXPECT_DEATH(m.buddy.free(pfn + 1, 2), "misaligned");
    EXPECT_DEATH(m.buddy.free(64, 0), "outside the frame table");
    EXPECT_DEATH(m.buddy.free(0, 7), "outside the frame table");  // 128 frames
    EXPECT_DEATH(m.buddy.free(0, BuddyAllocator::kMaxOrder + 1), "order <= kMaxOrder");
    EXPECT_DEATH(m.buddy.add_free_range(60, 10), "outside the frame table");
    EXPECT_DEATH(m.buddy.add_free_range(pfn + 4, 1), "handed over twice");
}

TEST(BuddyAllocatorDeathTest, FreeingAFrameStillOnAnOwnerList) {
    Machine m(64);
    m.buddy.add_free_range(0, 64);
    const Pfn pfn = must_allocate(m.buddy, 0);
    boost::intrusive::list<FrameInfo, boost::intrusive::member_hook<FrameInfo, boost::intrusive::list_member_hook<>,
                                                                     &FrameInfo::list_hook>>
        owner_pages;
    owner_pages.push_back(m.frames[pfn]);
    EXPECT_DEATH(m.buddy.free(pfn, 0), "still on a list");
    owner_pages.clear();
}

// 10^5 random operations against a model: no two live blocks overlap, limits hold, free_frames() is exact,
// every frame handed out zeroed reads zero although its last owner wrote to it, and freeing everything
// restores the original block shapes. (Exact per-frame zero counts: RandomizedZeroCountsPerHandOut.)
TEST(BuddyAllocator, RandomizedStressAgainstAModel) {
    constexpr size_t kFrames = 1 << 14;
    Machine m(kFrames);
    // Three ranges with odd edges.
    m.buddy.add_free_range(1, 5000);
    m.buddy.add_free_range(5003, 3000);
    m.buddy.add_free_range(9000, kFrames - 9000 - 7);
    const uint64_t total = m.buddy.free_frames();
    const OrderCounts original = block_counts(m.buddy);

    std::vector<int64_t> owner(kFrames, -1);   // live block id holding the frame
    struct Block {
        Pfn pfn;
        unsigned order;
    };
    std::vector<Block> live;
    uint64_t live_frames = 0;
    std::mt19937_64 rng(0x5eed);
    int64_t next_id = 0;

    for (int op = 0; op < 100000; ++op) {
        const bool do_allocate = live.empty() || rng() % 100 < 55;
        if (do_allocate) {
            const unsigned order = std::min<unsigned>(static_cast<unsigned>(std::countr_zero(rng() | (1u << 9))), 9);
            const bool with_limit = rng() % 8 == 0;
            const Pfn limit = with_limit ? rng() % kFrames : BuddyAllocator::kNoLimit;
            const bool zero = rng() % 4 != 0;
            Result<Pfn> r = m.buddy.allocate(order, limit, zero);
            if (!r.ok()) {
                ASSERT_EQ(r.status(), Status::OutOfMemory);
                continue;
            }
            const Pfn pfn = *r;
            const uint64_t count = uint64_t{1} << order;
            ASSERT_EQ(pfn % count, 0u);
            ASSERT_LE(pfn + count, kFrames);
            if (with_limit)
                ASSERT_LE(pfn + count, limit);
            const int64_t id = next_id++;
            for (Pfn f = pfn; f < pfn + count; ++f) {
                ASSERT_EQ(owner[f], -1) << "frame " << f << " handed out twice";
                owner[f] = id;
                if (zero)
                    ASSERT_EQ(m.zeroer.content[f].load(), 0u) << f;
                m.zeroer.content[f] = 0x1000 + static_cast<uint64_t>(id);  // the owner writes
            }
            live.push_back({pfn, order});
            live_frames += count;
        } else {
            const size_t index = rng() % live.size();
            const Block block = live[index];
            live[index] = live.back();
            live.pop_back();
            const uint64_t count = uint64_t{1} << block.order;
            const bool known_zero = rng() % 10 == 0;
            for (Pfn f = block.pfn; f < block.pfn + count; ++f) {
                owner[f] = -1;
                if (known_zero)
                    m.zeroer.content[f] = 0;
            }
            if (known_zero)
                m.buddy.free_zeroed(block.pfn, block.order);
            else
                m.buddy.free(block.pfn, block.order);
            live_frames -= count;
        }
        ASSERT_EQ(m.buddy.free_frames(), total - live_frames);
        if (op % 997 == 0) {
            for (Pfn f = 0; f < kFrames; f += 13) {
                if (owner[f] != -1)
                    ASSERT_FALSE(m.buddy.is_free(f)) << f;
            }
        }
    }
    for (const Block& block : live)
        m.buddy.free(block.pfn, block.order);
    EXPECT_EQ(m.buddy.free_frames(), total);
    EXPECT_EQ(block_counts(m.buddy), original);
}

// Per hand-out zero counting: snapshot the counters around each allocation.
TEST(BuddyAllocator, RandomizedZeroCountsPerHandOut) {
    constexpr size_t kFrames = 4096;
    Machine m(kFrames);
    m.buddy.add_free_range(0, kFrames);
    std::vector<bool> dirty(kFrames, true);
    std::vector<std::pair<Pfn, unsigned>> live;
    std::mt19937_64 rng(99);
    for (int op = 0; op < 20000; ++op) {
        if (live.empty() || rng() % 2 == 0) {
            const unsigned order = static_cast<unsigned>(rng() % 6);
            const bool zero = rng() % 3 != 0;
            std::vector<uint32_t> before(kFrames);
            for (size_t f = 0; f < kFrames; ++f)
                before[f] = m.zeroer.zero_count[f].load();
            Result<Pfn> r = m.buddy.allocate(order, BuddyAllocator::kNoLimit, zero);
            if (!r.ok())
                continue;
            const Pfn pfn = *r;
            for (size_t f = 0; f < kFrames; ++f) {
                const bool inside = f >= pfn && f < pfn + (Pfn{1} << order);
                const uint32_t expected = inside && zero && dirty[f] ? 1 : 0;
                ASSERT_EQ(m.zeroer.zero_count[f].load() - before[f], expected) << "frame " << f << " op " << op;
                if (inside && zero)
                    dirty[f] = false;
            }
            live.emplace_back(pfn, order);
        } else {
            const size_t index = rng() % live.size();
            auto [pfn, order] = live[index];
            live[index] = live.back();
            live.pop_back();
            const bool known_zero = rng() % 4 == 0;
            for (Pfn f = pfn; f < pfn + (Pfn{1} << order); ++f)
                dirty[f] = !known_zero;
            if (known_zero)
                m.buddy.free_zeroed(pfn, order);
            else
                m.buddy.free(pfn, order);
        }
    }
    for (auto [pfn, order] : live)
        m.buddy.free(pfn, order);
    EXPECT_EQ(m.buddy.free_frames(), kFrames);
}

// Two CPUs sharing the allocator (the internal TicketLock), including orders above
// kZeroUnderLockMaxOrder that are zeroed with the lock dropped.
TEST(BuddyAllocator, TwoThreadsShareTheAllocator) {
    constexpr size_t kFrames = 1 << 13;
    Machine m(kFrames);
    m.buddy.add_free_range(0, kFrames);
    const OrderCounts original = block_counts(m.buddy);
    std::vector<std::atomic<int>> owner(kFrames);
    for (auto& o : owner)
        o = -1;
    std::atomic<bool> failed{false};

    auto worker = [&](int id) {
        std::mt19937_64 rng(static_cast<uint64_t>(id) * 7919);
        std::vector<std::pair<Pfn, unsigned>> mine;
        for (int op = 0; op < 30000; ++op) {
            if (mine.empty() || rng() % 2 == 0) {
                const unsigned order = static_cast<unsigned>(rng() % 7);
                Result<Pfn> r = m.buddy.allocate(order);
                if (!r.ok())
                    continue;
                for (Pfn f = *r; f < *r + (Pfn{1} << order); ++f) {
                    if (owner[f].exchange(id) != -1 || m.zeroer.content[f].load() != 0)
                        failed = true;
                    m.zeroer.content[f] = static_cast<uint64_t>(id + 1);
                }
                mine.emplace_back(*r, order);
            } else {
                const size_t index = rng() % mine.size();
                auto [pfn, order] = mine[index];
                mine[index] = mine.back();
                mine.pop_back();
                for (Pfn f = pfn; f < pfn + (Pfn{1} << order); ++f) {
                    if (owner[f].exchange(-1) != id)
                        failed = true;
                }
                m.buddy.free(pfn, order);
            }
        }
        for (auto [pfn, order] : mine) {
            for (Pfn f = pfn; f < pfn + (Pfn{1} << order); ++f)
                owner[f] = -1;
            m.buddy.free(pfn, order);
        }
    };
    std::thread a(worker, 0), b(worker, 1);
    a.join();
    b.join();
    EXPECT_FALSE(failed.load());
    EXPECT_EQ(m.buddy.free_frames(), kFrames);
    EXPECT_EQ(block_counts(m.buddy), original);
}

}  // namespace
}  // namespace hv
