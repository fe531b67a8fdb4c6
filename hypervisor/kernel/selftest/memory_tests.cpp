// Self-tests of the frame allocator and heap on the real machine's memory.
#include <cstdint>

#include "arch/x86_64/layout.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/selftest/selftest.hpp"

namespace hv {
namespace {

// xorshift64: deterministic, seeded, good enough to shuffle sizes.
struct Random {
    uint64_t state;
    uint64_t next() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
};

struct Block {
    Pfn pfn;
    unsigned order;
};

bool block_is(const Block& b, uint64_t pattern, bool check_zero) {
    const auto* words = static_cast<const uint64_t*>(layout::phys_to_virt(b.pfn << kPageShift));
    const uint64_t n = (kPageSize << b.order) / 8;
    for (uint64_t i = 0; i < n; i += 61)  // sample: every block is at least 512 words
        if (words[i] != (check_zero ? 0 : pattern))
            return false;
    return true;
}

void fill(const Block& b, uint64_t pattern) {
    auto* words = static_cast<uint64_t*>(layout::phys_to_virt(b.pfn << kPageShift));
    const uint64_t n = (kPageSize << b.order) / 8;
    for (uint64_t i = 0; i < n; ++i)
        words[i] = pattern;
}

}  // namespace

// Random allocations of orders 0-5: each block arrives zeroed, keeps its own pattern
// while others come and go (no overlap), and freeing everything restores the free count.
HV_SELFTEST(allocator_stress, "allocator-stress") {
    BuddyAllocator& buddy = frame_allocator();
    const uint64_t free_before = buddy.free_frames();
    constexpr unsigned kSlots = 64;
    Block live[kSlots] = {};
    bool used[kSlots] = {};
    Random rng{0x9e3779b97f4a7c15ull};
    for (unsigned round = 0; round < 4000; ++round) {
        const unsigned slot = rng.next() % kSlots;
        if (used[slot]) {
            SELFTEST_CHECK(block_is(live[slot], 0x5a5a000000000000ull | slot, false));
            buddy.free(live[slot].pfn, live[slot].order);
            used[slot] = false;
        } else {
            const unsigned order = rng.next() % 6;
            auto pfn = buddy.allocate(order);
            SELFTEST_CHECK(pfn.ok());
            live[slot] = {*pfn, order};
            SELFTEST_CHECK((*pfn & ((1ull << order) - 1)) == 0);
            SELFTEST_CHECK(block_is(live[slot], 0, true));
            fill(live[slot], 0x5a5a000000000000ull | slot);
            used[slot] = true;
        }
    }
    for (unsigned slot = 0; slot < kSlots; ++slot)
        if (used[slot]) {
            SELFTEST_CHECK(block_is(live[slot], 0x5a5a000000000000ull | slot, false));
            buddy.free(live[slot].pfn, live[slot].order);
        }
    SELFTEST_CHECK(buddy.free_frames() == free_before);
    return true;
}

// Heap objects of every size class: zeroed on arrival, distinct, all returned.
HV_SELFTEST(heap_stress, "heap-stress") {
    SlabHeap& h = heap();
    const SlabHeap::Stats before = h.stats();
    constexpr unsigned kObjects = 256;
    void* objects[kObjects] = {};
    size_t sizes[kObjects] = {};
    Random rng{12345};
    for (unsigned round = 0; round < 3; ++round) {
        for (unsigned i = 0; i < kObjects; ++i) {
            sizes[i] = 1 + rng.next() % (i % 8 == 0 ? 9000 : 600);
            objects[i] = h.allocate(sizes[i]);
            SELFTEST_CHECK(objects[i] != nullptr);
            auto* bytes = static_cast<uint8_t*>(objects[i]);
            for (size_t b = 0; b < sizes[i]; ++b)
                SELFTEST_CHECK(bytes[b] == 0);
            __builtin_memset(bytes, static_cast<int>(i & 0xff), sizes[i]);
        }
        for (unsigned i = 0; i < kObjects; ++i) {
            const auto* bytes = static_cast<const uint8_t*>(objects[i]);
            SELFTEST_CHECK(bytes[0] == (i & 0xff) && bytes[sizes[i] - 1] == (i & 0xff));
            h.free(objects[i]);
        }
    }
    SELFTEST_CHECK(h.stats().live_objects == before.live_objects);
    return true;
}

}  // namespace hv
