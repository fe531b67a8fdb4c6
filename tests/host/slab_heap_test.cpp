// SlabHeap: size classes and their boundaries, alignment, zero-exactly-once (proved with a page source
// that breaks the "zeroed" promise on purpose), page reclamation, statistics, out-of-memory, a seeded
// randomized stress (pattern checks for overlap; ASan poisoning for overruns), threads, and misuse
// death tests.
#include "memory/slab_heap.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace hv {
namespace {

class FakePageSource final : public PageSource {
public:
    // fill: what fresh pages contain (0 = honours the contract). quarantine: keep freed runs mapped so
    // a second free reads a header rather than freed host memory.
    explicit FakePageSource(unsigned char fill = 0, bool quarantine = false) : fill_(fill), quarantine_(quarantine) {}
    ~FakePageSource() {
        for (auto [p, order] : quarantined_)
            std::free(p);
        for (auto [p, order] : live_)
            std::free(p);
    }

    void* allocate_pages(unsigned order) override {
        std::lock_guard<std::mutex> guard(lock_);
        ++allocations;
        if (fail_after >= 0 && allocations > fail_after)
            return nullptr;
        const size_t bytes = size_t{4096} << order;
        void* p = std::aligned_alloc(bytes, bytes);
        std::memset(p, fill_, bytes);
        live_[p] = order;
        live_pages += size_t{1} << order;
        return p;
    }

    void free_pages(void* p, unsigned order) override {
        std::lock_guard<std::mutex> guard(lock_);
        auto it = live_.find(p);
        ASSERT_NE(it, live_.end()) << "freeing pages the source never gave";
        ASSERT_EQ(it->second, order);
        live_.erase(it);
        live_pages -= size_t{1} << order;
        ++frees;
        if (quarantine_)
            quarantined_.emplace_back(p, order);
        else
            std::free(p);
    }

    long allocations = 0;
    long frees = 0;
    long fail_after = -1;  // >= 0: allocations after this many fail
    size_t live_pages = 0;

private:
    std::mutex lock_;
    unsigned char fill_;
    bool quarantine_;
    std::map<void*, unsigned> live_;
    std::vector<std::pair<void*, unsigned>> quarantined_;
};

bool all_bytes(const void* p, size_t n, unsigned char value) {
    const auto* bytes = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) {
        if (bytes[i] != value)
            return false;
    }
    return true;
}

size_t expected_usable(size_t size) {
    if (size <= 2048) {
        size_t c = 16;
        while (c < size)
            c *= 2;
        return c;
    }
    size_t run = 4096;
    while (run - 64 < size)
        run *= 2;
    return run - 64;
}

TEST(SlabHeap, SizeZeroAndNull) {
    FakePageSource source;
    SlabHeap heap(source);
    EXPECT_EQ(heap.allocate(0), nullptr);
    heap.free(nullptr);
    EXPECT_EQ(source.allocations, 0);
}

TEST(SlabHeap, ClassBoundaries) {
    FakePageSource source;
    SlabHeap heap(source);
    const std::vector<std::pair<size_t, size_t>> cases = {
        {1, 16},      {15, 16},     {16, 16},     {17, 32},   {32, 32},   {33, 64},       {64, 64},
        {65, 128},    {128, 128},   {129, 256},   {256, 256}, {257, 512}, {512, 512},     {513, 1024},
        {1024, 1024}, {1025, 2048}, {2048, 2048}, {2049, 4032}, {4032, 4032}, {4033, 8128}, {100000, 131008},
    };
    for (auto [size, usable] : cases) {
        void* p = heap.allocate(size);
        ASSERT_NE(p, nullptr) << size;
        EXPECT_EQ(heap.usable_size(p), usable) << size;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (usable >= 64 ? 64 : 16), 0u) << size;
        EXPECT_TRUE(all_bytes(p, usable, 0)) << size;
        std::memset(p, 0x5a, usable);  // the whole usable size is writable (ASan would object otherwise)
        heap.free(p);
    }
}

TEST(SlabHeap, AlignmentForEverySize) {
    FakePageSource source;
    SlabHeap heap(source);
    std::vector<void*> live;
    for (size_t size = 1; size <= 5000; size += 7) {
        void* p = heap.allocate(size);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (size >= 64 ? 64 : 16), 0u) << size;
        EXPECT_EQ(heap.usable_size(p), expected_usable(size)) << size;
        live.push_back(p);
    }
    for (void* p : live)
        heap.free(p);
    EXPECT_EQ(heap.stats().live_objects, 0u);
}

// A page source whose pages are NOT zeroed exposes what the heap itself zeroes: never-used objects must
// come back exactly as the source left them (the heap trusts the source and does not memset them again),
// recycled objects must come back zeroed.
TEST(SlabHeap, ZeroExactlyOnce) {
    FakePageSource source(0xab);
    SlabHeap heap(source);
    void* a = heap.allocate(100);
    void* b = heap.allocate(100);
    EXPECT_TRUE(all_bytes(a, 128, 0xab)) << "fresh object was zeroed a second time";
    EXPECT_TRUE(all_bytes(b, 128, 0xab));
    std::memset(a, 0x77, 128);
    heap.free(a);
    void* c = heap.allocate(120);
    EXPECT_EQ(c, a) << "the last freed object is reused first";
    EXPECT_TRUE(all_bytes(c, 128, 0)) << "recycled object not zeroed";
    heap.free(b);
    heap.free(c);
}

TEST(SlabHeap, EverythingIsZeroWithAnHonestSource) {
    FakePageSource source;
    SlabHeap heap(source);
    std::mt19937_64 rng(3);
    std::vector<std::pair<void*, size_t>> live;
    for (int i = 0; i < 5000; ++i) {
        if (live.empty() || rng() % 3 != 0) {
            const size_t size = 1 + rng() % 3000;
            void* p = heap.allocate(size);
            ASSERT_TRUE(all_bytes(p, heap.usable_size(p), 0));
            std::memset(p, 0xee, size);
            live.emplace_back(p, size);
        } else {
            const size_t index = rng() % live.size();
            heap.free(live[index].first);
            live[index] = live.back();
            live.pop_back();
        }
    }
    for (auto [p, size] : live)
        heap.free(p);
}

TEST(SlabHeap, EmptyPagesGoBackKeepingOnePerClass) {
    FakePageSource source;
    SlabHeap heap(source);
    constexpr size_t kPerPage = (4096 - 64) / 64;  // 63 objects of the 64-byte class
    std::vector<void*> objects;
    for (size_t i = 0; i < kPerPage * 10; ++i)
        objects.push_back(heap.allocate(64));
    EXPECT_EQ(source.live_pages, 10u);
    EXPECT_EQ(heap.stats().pages, 10u);
    EXPECT_EQ(heap.stats().live_objects, kPerPage * 10);
    EXPECT_EQ(heap.stats().live_bytes, kPerPage * 10 * 64);
    for (void* p : objects)
        heap.free(p);
    EXPECT_EQ(source.live_pages, 1u) << "one empty page stays cached";
    EXPECT_EQ(heap.stats().pages, 1u);
    EXPECT_EQ(heap.stats().live_objects, 0u);
    // The cached page is used before asking the source again.
    const long before = source.allocations;
    void* p = heap.allocate(50);
    EXPECT_EQ(source.allocations, before);
    heap.free(p);

    // Another class caches its own page.
    void* q = heap.allocate(16);
    heap.free(q);
    EXPECT_EQ(source.live_pages, 2u);

    // Large runs go straight back.
    void* big = heap.allocate(100000);
    EXPECT_EQ(source.live_pages, 2u + 32);
    EXPECT_EQ(heap.stats().pages, 2u + 32);
    EXPECT_EQ(heap.stats().live_bytes, 131008u);
    heap.free(big);
    EXPECT_EQ(source.live_pages, 2u);
}

TEST(SlabHeap, DestructorReturnsCachedPages) {
    FakePageSource source;
    {
        SlabHeap heap(source);
        for (size_t size = 16; size <= 2048; size *= 2)
            heap.free(heap.allocate(size));
        EXPECT_EQ(source.live_pages, 8u);
    }
    EXPECT_EQ(source.live_pages, 0u);
}

TEST(SlabHeap, ReleaseCachedGivesEmptyPagesBackAndKeepsLiveOnes) {
    FakePageSource source;
    SlabHeap heap(source);
    for (size_t size = 16; size <= 2048; size *= 2)
        heap.free(heap.allocate(size));
    void* live = heap.allocate(64);  // takes the 64-byte class's cached page
    EXPECT_EQ(source.live_pages, 8u);
    EXPECT_EQ(heap.release_cached(), 7u);
    EXPECT_EQ(source.live_pages, 1u);
    EXPECT_EQ(heap.stats().pages, 1u);
    EXPECT_EQ(heap.release_cached(), 0u);
    void* again = heap.allocate(32);  // a class whose page went back gets a new one
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(source.live_pages, 2u);
    heap.free(again);
    heap.free(live);
    EXPECT_EQ(heap.release_cached(), 2u);
    EXPECT_EQ(source.live_pages, 0u);
}

TEST(SlabHeap, TheLargestClassHoldsOneObjectPerPage) {
    FakePageSource source;
    SlabHeap heap(source);
    void* a = heap.allocate(2048);
    void* b = heap.allocate(2000);
    EXPECT_NE(reinterpret_cast<uintptr_t>(a) & ~uintptr_t{4095}, reinterpret_cast<uintptr_t>(b) & ~uintptr_t{4095});
    EXPECT_EQ(source.live_pages, 2u);
    heap.free(a);
    heap.free(b);
    EXPECT_EQ(source.live_pages, 1u);
}

TEST(SlabHeap, OutOfMemory) {
    FakePageSource source;
    source.fail_after = 1;
    SlabHeap heap(source);
    void* first = heap.allocate(32);  // takes the one page
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(heap.allocate(64), nullptr);      // a new class needs a page
    EXPECT_EQ(heap.allocate(10000), nullptr);   // a large run
    void* second = heap.allocate(32);           // the existing page still has room
    EXPECT_NE(second, nullptr);
    EXPECT_EQ(heap.allocate(SIZE_MAX), nullptr);
    EXPECT_EQ(heap.allocate(size_t{1} << 40), nullptr);
    EXPECT_EQ(heap.stats().live_objects, 2u);
    heap.free(first);
    heap.free(second);
}

TEST(SlabHeap, OutOfMemoryLeavesNoLiveObjects) {
    FakePageSource source;
    source.fail_after = 0;
    SlabHeap heap(source);
    EXPECT_EQ(heap.allocate(1), nullptr);
    EXPECT_EQ(heap.stats().live_objects, 0u);
    EXPECT_EQ(heap.stats().pages, 0u);
}

struct Live {
    unsigned char* p;
    size_t size;
    unsigned char tag;
};

void check_and_free(SlabHeap& heap, const Live& object) {
    ASSERT_TRUE(all_bytes(object.p, object.size, object.tag)) << "object overwritten (overlap)";
    heap.free(object.p);
}

// 10^5 operations: every live object is filled with its own tag over its full requested size; a tag
// change means two objects overlapped. An overrun past the usable size, or into a freed object, would be
// reported by ASan through the heap's poisoning.
TEST(SlabHeap, RandomizedStress) {
    FakePageSource source;
    SlabHeap heap(source);
    std::mt19937_64 rng(0xbeef);
    std::vector<Live> live;
    size_t live_bytes = 0;
    for (int op = 0; op < 100000; ++op) {
        if (live.empty() || rng() % 100 < 52) {
            size_t size;
            switch (rng() % 10) {
            case 0: size = 2049 + rng() % 20000; break;
            case 1: size = 1 + rng() % 16; break;
            default: size = 1 + rng() % 2048; break;
            }
            auto* p = static_cast<unsigned char*>(heap.allocate(size));
            ASSERT_NE(p, nullptr);
            ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % (size >= 64 ? 64 : 16), 0u);
            const size_t usable = heap.usable_size(p);
            ASSERT_EQ(usable, expected_usable(size));
            ASSERT_TRUE(all_bytes(p, usable, 0));
            const auto tag = static_cast<unsigned char>(1 + op % 255);
            std::memset(p, tag, size);
            live.push_back({p, size, tag});
            live_bytes += usable;
        } else {
            const size_t index = rng() % live.size();
            live_bytes -= heap.usable_size(live[index].p);
            check_and_free(heap, live[index]);
            live[index] = live.back();
            live.pop_back();
        }
        if (op % 1000 == 0) {
            const SlabHeap::Stats stats = heap.stats();
            ASSERT_EQ(stats.live_objects, live.size());
            ASSERT_EQ(stats.live_bytes, live_bytes);
            ASSERT_EQ(stats.pages, source.live_pages);
        }
    }
    for (const Live& object : live)
        check_and_free(heap, object);
    EXPECT_EQ(heap.stats().live_objects, 0u);
    EXPECT_LE(source.live_pages, SlabHeap::kClassCount);
}

TEST(SlabHeap, FourThreads) {
    FakePageSource source;
    SlabHeap heap(source);
    std::atomic<bool> corrupted{false};
    auto worker = [&](int id) {
        std::mt19937_64 rng(static_cast<uint64_t>(id) + 1);
        std::vector<Live> live;
        for (int op = 0; op < 20000; ++op) {
            if (live.empty() || rng() % 2 == 0) {
                const size_t size = rng() % 16 == 0 ? 2049 + rng() % 9000 : 1 + rng() % 600;
                auto* p = static_cast<unsigned char*>(heap.allocate(size));
                if (p == nullptr || !all_bytes(p, size, 0))
                    corrupted = true;
                const auto tag = static_cast<unsigned char>(id * 50 + op % 50 + 1);
                std::memset(p, tag, size);
                live.push_back({p, size, tag});
            } else {
                const size_t index = rng() % live.size();
                if (!all_bytes(live[index].p, live[index].size, live[index].tag))
                    corrupted = true;
                heap.free(live[index].p);
                live[index] = live.back();
                live.pop_back();
            }
        }
        for (const Live& object : live)
            heap.free(object.p);
    };
    std::vector<std::thread> threads;
    for (int id = 0; id < 4; ++id)
        threads.emplace_back(worker, id);
    for (auto& t : threads)
        t.join();
    EXPECT_FALSE(corrupted.load());
    EXPECT_EQ(heap.stats().live_objects, 0u);
    EXPECT_EQ(heap.stats().pages, source.live_pages);
}

using SlabHeapDeathTest = ::testing::Test;

TEST(SlabHeapDeathTest, DoubleFree) {
    FakePageSource source;
    SlabHeap heap(source);
    void* keep = heap.allocate(48);  // keeps the page alive, so the second free reads a real header
    void* p = heap.allocate(48);
    heap.free(p);
    EXPECT_DEATH(heap.free(p), "double free");
    heap.free(keep);
}

TEST(SlabHeapDeathTest, DoubleFreeOfLargeRun) {
    FakePageSource source(0, /*quarantine=*/true);
    SlabHeap heap(source);
    void* p = heap.allocate(10000);
    heap.free(p);
    EXPECT_DEATH(heap.free(p), "not from this heap");
}

TEST(SlabHeapDeathTest, ForeignPointer) {
    FakePageSource source;
    SlabHeap heap(source);
    void* page = std::aligned_alloc(4096, 4096);
    std::memset(page, 0, 4096);
    EXPECT_DEATH(heap.free(static_cast<char*>(page) + 64), "not from this heap");
    EXPECT_DEATH((void)heap.usable_size(static_cast<char*>(page) + 128), "not from this heap");
    std::free(page);
}

TEST(SlabHeapDeathTest, InteriorPointer) {
    FakePageSource source;
    SlabHeap heap(source);
    auto* p = static_cast<char*>(heap.allocate(64));
    EXPECT_DEATH(heap.free(p + 8), "not the start of a heap object");
    EXPECT_DEATH(heap.free(p - 64 + 8), "not the start of a heap object");  // inside the header
    auto* big = static_cast<char*>(heap.allocate(5000));
    EXPECT_DEATH(heap.free(big + 64), "not the start of a heap object");
    EXPECT_DEATH(heap.free(p + 64), "double free");  // a slot never handed out
    heap.free(p);
    heap.free(big);
}

TEST(SlabHeapDeathTest, UseAfterFreeIsCaughtByAsan) {
    FakePageSource source;
    SlabHeap heap(source);
    auto* keep = static_cast<char*>(heap.allocate(32));
    auto* p = static_cast<volatile char*>(heap.allocate(32));
    heap.free(const_cast<char*>(p));
    EXPECT_DEATH(p[3] = 1, "use-after-poison");
    heap.free(keep);
}

TEST(SlabHeapDeathTest, OverrunIntoTheNextObjectIsCaughtByAsan) {
    FakePageSource source;
    SlabHeap heap(source);
    auto* p = static_cast<volatile char*>(heap.allocate(32));
    EXPECT_DEATH(p[32] = 1, "use-after-poison");  // the next slot was never handed out
    heap.free(const_cast<char*>(p));
}

}  // namespace
}  // namespace hv
