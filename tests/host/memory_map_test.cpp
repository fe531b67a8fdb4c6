// MemoryMap: rounding, merging, reservations at every position, the top of the 64-bit space, a full
// table, take() with alignment and `below`, and a randomized comparison against a page-bitmap model.
#include "memory/memory_map.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace hv {
namespace {

constexpr uint64_t K = 0x1000;  // one page

std::vector<std::pair<uint64_t, uint64_t>> ranges(const MemoryMap& map) {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (const PhysRange& r : map.usable())
        out.emplace_back(r.base, r.end);
    return out;
}

using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

void expect_well_formed(const MemoryMap& map) {
    const auto rs = map.usable();
    for (size_t i = 0; i < rs.size(); ++i) {
        EXPECT_LT(rs[i].base, rs[i].end);
        EXPECT_EQ(rs[i].base % K, 0u);
        EXPECT_EQ(rs[i].end % K, 0u);
        if (i > 0)
            EXPECT_LT(rs[i - 1].end, rs[i].base) << "ranges must be sorted and not touch";
    }
}

TEST(MemoryMap, Empty) {
    MemoryMap map;
    EXPECT_TRUE(map.usable().empty());
    EXPECT_EQ(map.usable_bytes(), 0u);
    EXPECT_EQ(map.highest_usable_end(), 0u);
    EXPECT_EQ(map.take(K, K).status(), Status::OutOfMemory);
}

TEST(MemoryMap, AddRoundsInward) {
    MemoryMap map;
    ASSERT_EQ(map.add_usable(0x1001, 0x3000), Status::Ok);  // [0x1001, 0x4001) -> [0x2000, 0x4000)
    EXPECT_EQ(ranges(map), (Ranges{{0x2000, 0x4000}}));
    ASSERT_EQ(map.add_usable(0x10100, 0x100), Status::Ok);  // no whole page
    ASSERT_EQ(map.add_usable(0x20800, 0x1000), Status::Ok); // straddles two pages, contains neither
    ASSERT_EQ(map.add_usable(0x30000, 0), Status::Ok);
    EXPECT_EQ(ranges(map), (Ranges{{0x2000, 0x4000}}));
    EXPECT_EQ(map.usable_bytes(), 0x2000u);
}

TEST(MemoryMap, OverlappingAndAdjacentAddsMerge) {
    MemoryMap map;
    ASSERT_EQ(map.add_usable(0x10000, 0x4000), Status::Ok);
    ASSERT_EQ(map.add_usable(0x12000, 0x4000), Status::Ok);  // overlaps the end
    EXPECT_EQ(ranges(map), (Ranges{{0x10000, 0x16000}}));
    ASSERT_EQ(map.add_usable(0x16000, 0x1000), Status::Ok);  // touches the end
    ASSERT_EQ(map.add_usable(0xf000, 0x1000), Status::Ok);   // touches the start
    EXPECT_EQ(ranges(map), (Ranges{{0xf000, 0x17000}}));
    ASSERT_EQ(map.add_usable(0x11000, 0x1000), Status::Ok);  // inside
    EXPECT_EQ(ranges(map), (Ranges{{0xf000, 0x17000}}));
    // Out-of-order disjoint adds stay sorted.
    ASSERT_EQ(map.add_usable(0x40000, 0x1000), Status::Ok);
    ASSERT_EQ(map.add_usable(0x1000, 0x1000), Status::Ok);
    ASSERT_EQ(map.add_usable(0x30000, 0x1000), Status::Ok);
    EXPECT_EQ(ranges(map), (Ranges{{0x1000, 0x2000}, {0xf000, 0x17000}, {0x30000, 0x31000}, {0x40000, 0x41000}}));
    // One add bridging several ranges swallows them all.
    ASSERT_EQ(map.add_usable(0x2000, 0x3e000), Status::Ok);  // [0x2000, 0x40000) touches both ends
    EXPECT_EQ(ranges(map), (Ranges{{0x1000, 0x41000}}));
    EXPECT_EQ(map.highest_usable_end(), 0x41000u);
    expect_well_formed(map);
}

TEST(MemoryMap, AnUnalignedNeighbourMergesAfterRounding) {
    MemoryMap map;
    ASSERT_EQ(map.add_usable(0x1000, 0x1800), Status::Ok);  // -> [0x1000, 0x2000)
    ASSERT_EQ(map.add_usable(0x2800, 0x1800), Status::Ok);  // -> [0x3000, 0x4000): the page 0x2000 is whole in neither
    EXPECT_EQ(ranges(map), (Ranges{{0x1000, 0x2000}, {0x3000, 0x4000}}));
}

TEST(MemoryMap, ReserveInsideSplits) {
    MemoryMap map;
    ASSERT_EQ(map.add_usable(0x100000, 0x100000), Status::Ok);
    ASSERT_EQ(map.reserve(0x140000, 0x10000), Status::Ok);
    EXPECT_EQ(ranges(map), (Ranges{{0x100000, 0x140000}, {0x150000, 0x200000}}));
    EXPECT_EQ(map.usable_bytes(), 0x100000u - 0x10000u);
}

TEST(MemoryMap, ReserveRoundsOutward) {
    MemoryMap map;
    ASSERT_EQ(map.add_usable(0, 0x10000), Status::Ok);
    ASSERT_EQ(map.reserve(0x1800, 1), Status::Ok);       // one byte costs its whole page
    ASSERT_EQ(map.reserve(0x4fff, 2), Status::Ok);       // two bytes over a page boundary: two pages
    EXPECT_EQ(ranges(map), (Ranges{{0, 0x1000}, {0x2000, 0x4000}, {0x6000, 0x10000}}));
}

TEST(MemoryMap, ReserveAtTheEdges) {
    MemoryMap map;
    ASSERT_EQ(map.add_usable(0x10000, 0x10000), Status::Ok);
    ASSERT_EQ(map.reserve(0x10000, 0x1000), Status::Ok);  // exactly the first page
    ASSERT_EQ(map.reserve(0x1f000, 0x1000), Status::Ok);  // exactly the last page
    EXPECT_EQ(ranges(map), (Ranges{{0x11000, 0x1f000}}));
    ASSERT_EQ(map.reserve(0x8000, 0xa000), Status::Ok);   // from below into the start
    ASSERT_EQ(map.reserve(0x1d000, 0x8000), Status::Ok);  // from inside past the end
    EXPECT_EQ(ranges(map), (Ranges{{0x12000, 0x1d000}}));
    ASSERT_EQ(map.reserve(0x1d000, 0x1000), Status::Ok);  // just past the end: touches, no cut
    ASSERT_EQ(map.reserve(0x11000, 0x1000), Status::Ok);  // just before the start
    EXPECT_EQ(ranges(map), (Ranges{{0x12000, 0x1d000}}));
    ASSERT_EQ(map.reserve(0x12000, 0xb000), Status::Ok);  // exactly the whole range
    EXPECT_TRUE(map.usable().empty());
    ASSERT_EQ(map.reserve(0x12000, 0), Status::Ok);
}

TEST(MemoryMap, ReserveAcrossSeveralRanges) {
    MemoryMap map;
    for (uint64_t base = 0; base < 0x10 * 0x10000; base += 0x10000)
        ASSERT_EQ(map.add_usable(base, 0x8000), Status::Ok);
    ASSERT_EQ(map.usable().size(), 16u);
    ASSERT_EQ(map.reserve(0x24000, 0x40000), Status::Ok);  // [0x24000, 0x64000)
    EXPECT_EQ(ranges(map)[2], std::make_pair(uint64_t{0x20000}, uint64_t{0x24000}));
    EXPECT_EQ(ranges(map)[3], std::make_pair(uint64_t{0x64000}, uint64_t{0x68000}));
    EXPECT_EQ(map.usable().size(), 13u);
    expect_well_formed(map);
}

TEST(MemoryMap, TopOfTheAddressSpace) {
    MemoryMap map;
    // base + length wraps past 2^64: rejected, nothing added.
    EXPECT_EQ(map.add_usable(~0ull - 0xfff, 0x2000), Status::InvalidArgument);
    EXPECT_EQ(map.add_usable(2, ~0ull), Status::InvalidArgument);
    EXPECT_TRUE(map.usable().empty());
    // Ending exactly at 2^64 is fine, but the last page is not representable.
    EXPECT_EQ(map.add_usable(0xffffffffffffd000, 0x3000), Status::Ok);
    EXPECT_EQ(ranges(map), (Ranges{{0xffffffffffffd000, 0xfffffffffffff000}}));
    EXPECT_EQ(map.add_usable(0xfffffffffffff000, 0x1000), Status::Ok);  // only the last page: nothing
    EXPECT_EQ(map.add_usable(0xfffffffffffff800, 0x800), Status::Ok);
    EXPECT_EQ(ranges(map), (Ranges{{0xffffffffffffd000, 0xfffffffffffff000}}));
    EXPECT_EQ(map.highest_usable_end(), 0xfffffffffffff000u);
    // A whole-space add is the largest representable range.
    MemoryMap all;
    EXPECT_EQ(all.add_usable(0, ~0ull), Status::Ok);
    EXPECT_EQ(ranges(all), (Ranges{{0, 0xfffffffffffff000}}));
    // A reservation that wraps is clamped to the top.
    EXPECT_EQ(all.reserve(0xffff800000000000, ~0ull), Status::Ok);
    EXPECT_EQ(ranges(all), (Ranges{{0, 0xffff800000000000}}));
    EXPECT_EQ(all.reserve(0x10000, ~0ull), Status::Ok);
    EXPECT_EQ(ranges(all), (Ranges{{0, 0x10000}}));
    EXPECT_EQ(map.reserve(0xfffffffffffffff0, 0x100), Status::Ok);  // in the last page: nothing there
    EXPECT_EQ(map.reserve(0xffffffffffffe010, 0x10), Status::Ok);
    EXPECT_EQ(ranges(map), (Ranges{{0xffffffffffffd000, 0xffffffffffffe000}}));
}

TEST(MemoryMap, FullTable) {
    MemoryMap map;
    for (size_t i = 0; i < MemoryMap::kMaxRanges; ++i)
        ASSERT_EQ(map.add_usable(i * 4 * K, K), Status::Ok) << i;
    EXPECT_EQ(map.usable().size(), MemoryMap::kMaxRanges);
    const auto before = ranges(map);
    EXPECT_EQ(map.add_usable(MemoryMap::kMaxRanges * 4 * K, K), Status::NoSpace);
    EXPECT_EQ(map.add_usable(2 * K, K), Status::NoSpace);  // neither touches: needs a slot
    EXPECT_EQ(ranges(map), before);
    // Merging needs no slot; neither does a cut at an edge or a removal.
    EXPECT_EQ(map.add_usable(K, K), Status::Ok);  // touches range 0 -> [0, 2K)
    EXPECT_EQ(map.usable().size(), MemoryMap::kMaxRanges);
    EXPECT_EQ(map.reserve(0, K), Status::Ok);
    EXPECT_EQ(map.usable().size(), MemoryMap::kMaxRanges);
    EXPECT_EQ(map.reserve(4 * K, K), Status::Ok);
    EXPECT_EQ(map.usable().size(), MemoryMap::kMaxRanges - 1);
    // Fill the freed slot with a two-page range, then a split would need one more slot.
    EXPECT_EQ(map.add_usable(0x100000000, 2 * K), Status::Ok);
    const auto full = ranges(map);
    EXPECT_EQ(map.reserve(0x100000000, 1), Status::Ok);  // edge: fine
    EXPECT_EQ(map.add_usable(0x100000000, K), Status::Ok);
    EXPECT_EQ(ranges(map), full);
    MemoryMap split;
    ASSERT_EQ(split.add_usable(0, 0x10000), Status::Ok);
    for (size_t i = 1; i < MemoryMap::kMaxRanges; ++i)
        ASSERT_EQ(split.add_usable(0x100000 + i * 4 * K, K), Status::Ok);
    const auto unsplit = ranges(split);
    EXPECT_EQ(split.reserve(0x4000, K), Status::NoSpace);
    EXPECT_EQ(ranges(split), unsplit) << "a failed reserve changes nothing";
    EXPECT_EQ(split.take(K, 2 * K, 0x10000).status(), Status::Ok);  // at 0: cuts an edge, no slot needed
    EXPECT_EQ(split.take(K, 4 * K, 0x10000).status(), Status::NoSpace);  // at 0x4000: would split
}

TEST(MemoryMap, TakeLowestFitAndRemoves) {
    MemoryMap map;
    ASSERT_EQ(map.add_usable(0x1000, 0x3000), Status::Ok);      // [0x1000, 0x4000)
    ASSERT_EQ(map.add_usable(0x100000, 0x100000), Status::Ok);  // [1 MiB, 2 MiB)
    Result<uint64_t> a = map.take(0x2000, K);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(*a, 0x1000u);
    EXPECT_EQ(ranges(map), (Ranges{{0x3000, 0x4000}, {0x100000, 0x200000}}));
    Result<uint64_t> b = map.take(0x2000, K);  // does not fit in the 4 KiB remainder
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*b, 0x100000u);
    Result<uint64_t> c = map.take(1, 1);  // rounded up to a page, page aligned
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(*c, 0x3000u);
    EXPECT_EQ(ranges(map), (Ranges{{0x102000, 0x200000}}));
}

TEST(MemoryMap, TakeAlignment) {
    MemoryMap map;
    ASSERT_EQ(map.add_usable(0x1000, 0x800000), Status::Ok);  // [4 KiB, 8 MiB + 4 KiB)
    Result<uint64_t> r = map.take(0x200000, 0x200000);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 0x200000u);
    EXPECT_EQ(ranges(map), (Ranges{{0x1000, 0x200000}, {0x400000, 0x801000}}));
    // Splitting leaves the low part usable for the next small take.
    Result<uint64_t> small = map.take(K, K);
    ASSERT_TRUE(small.ok());
    EXPECT_EQ(*small, 0x1000u);
    Result<uint64_t> big = map.take(0x400000, 0x400000);
    ASSERT_TRUE(big.ok());
    EXPECT_EQ(*big, 0x400000u);
    EXPECT_EQ(map.take(0x200000, 0x200000).status(), Status::OutOfMemory);
}

TEST(MemoryMap, TakeBelow) {
    MemoryMap map;
    ASSERT_EQ(map.add_usable(0x100000, 0x300000), Status::Ok);  // [1 MiB, 4 MiB)
    EXPECT_EQ(map.take(K, K, 0x100000).status(), Status::OutOfMemory);  // nothing below 1 MiB
    EXPECT_EQ(map.take(0x200000, K, 0x280000).status(), Status::OutOfMemory);
    Result<uint64_t> r = map.take(0x180000, K, 0x280000);  // ends exactly at `below`
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 0x100000u);
    Result<uint64_t> s = map.take(K, K, 0x281000);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(*s, 0x280000u);
    EXPECT_EQ(map.take(K, K, 0x281000).status(), Status::OutOfMemory);
    EXPECT_TRUE(map.take(K, K).ok());
}

TEST(MemoryMap, TakeRejectsBadArguments) {
    MemoryMap map;
    ASSERT_EQ(map.add_usable(0, 0x100000), Status::Ok);
    EXPECT_EQ(map.take(0, K).status(), Status::InvalidArgument);
    EXPECT_EQ(map.take(K, 3 * K).status(), Status::InvalidArgument);
    EXPECT_EQ(map.take(~0ull, K).status(), Status::OutOfMemory);
    EXPECT_EQ(map.take(K, 1ull << 63).status(), Status::Ok);  // base 0 is aligned to anything
    EXPECT_EQ(map.take(K, 1ull << 63).status(), Status::OutOfMemory);
    EXPECT_EQ(map.usable_bytes(), 0x100000u - K);
}

// Random operations on a 1 MiB space against a page bitmap.
TEST(MemoryMap, RandomizedAgainstABitmap) {
    constexpr uint64_t kPages = 256;        // operations start in the first 1 MiB
    constexpr uint64_t kModelPages = 2 * kPages;  // and may reach past it
    std::mt19937_64 rng(2024);
    for (int round = 0; round < 200; ++round) {
        MemoryMap map;
        std::vector<bool> usable(kModelPages, false);
        for (int op = 0; op < 60; ++op) {
            const uint64_t base = rng() % (kPages * K);
            const uint64_t length = rng() % (kPages * K / 4);
            const int kind = static_cast<int>(rng() % 3);
            if (kind == 0) {
                ASSERT_EQ(map.add_usable(base, length), Status::Ok);
                const uint64_t first = (base + K - 1) / K;
                const uint64_t end = (base + length) / K;
                for (uint64_t p = first; p < end; ++p)
                    usable[p] = true;
            } else if (kind == 1) {
                ASSERT_EQ(map.reserve(base, length), Status::Ok);
                if (length != 0) {
                    const uint64_t first = base / K;
                    const uint64_t end = (base + length + K - 1) / K;
                    for (uint64_t p = first; p < end; ++p)
                        usable[p] = false;
                }
            } else {
                const uint64_t size = (1 + rng() % 8) * K;
                const uint64_t align = K << (rng() % 4);
                const uint64_t below = rng() % 2 ? ~0ull : rng() % (kPages * K);
                Result<uint64_t> r = map.take(size, align, below);
                // Model: the lowest aligned start whose pages are all usable and which ends below `below`.
                uint64_t expected = ~0ull;
                for (uint64_t start = 0; start + size <= kModelPages * K; start += align) {
                    if (start + size > below)
                        break;
                    bool fits = true;
                    for (uint64_t p = start / K; p < (start + size) / K; ++p)
                        fits = fits && usable[p];
                    if (fits) {
                        expected = start;
                        break;
                    }
                }
                if (expected == ~0ull) {
                    ASSERT_EQ(r.status(), Status::OutOfMemory);
                } else {
                    ASSERT_TRUE(r.ok());
                    ASSERT_EQ(*r, expected);
                    for (uint64_t p = expected / K; p < (expected + size) / K; ++p)
                        usable[p] = false;
                }
            }
            // Compare.
            std::vector<bool> actual(kModelPages, false);
            uint64_t bytes = 0;
            for (const PhysRange& range : map.usable()) {
                for (uint64_t p = range.base / K; p < range.end / K; ++p)
                    actual[p] = true;
                bytes += range.end - range.base;
            }
            ASSERT_EQ(actual, usable) << "round " << round << " op " << op;
            ASSERT_EQ(map.usable_bytes(), bytes);
            expect_well_formed(map);
        }
    }
}

}  // namespace
}  // namespace hv
