// Kernel heap: power-of-two size classes carved from 4 KiB slab pages, and page runs for large objects.
//
// Slab page (one size class; 64-byte header, objects from offset 64):
//
//   +--------+-------+-------+-------+-----+-----------------+----------------------+
//   | header | obj 0 | obj 1 | obj 2 | ... | obj bump-1      | never used (zero)    |
//   +--------+-------+-------+-------+-----+-----------------+----------------------+
//   header: magic, class, bump, in_use, free list, list hook, live bitmap
//
// Invariants (per size class, under that class's lock):
//  - Objects [0, bump) have been handed out at least once; objects [bump, capacity) never have, and are
//    still zero from the PageSource. Recycled objects are on the page's free list (the link lives in the
//    object); live bit i is set exactly for the objects now handed out; in_use == popcount(live).
//  - A page with in_use > 0 and a free slot is on the class's partial list; a full page is on no list;
//    an empty page is either the class's single cached empty page or has been returned to the PageSource.
//  - Zero exactly once: a never-used object is handed out as is; a recycled one is zeroed at allocation.
// Large run (size > 2048): 2^order pages from the PageSource, a 64-byte header (magic, order) at the start,
// the object at offset 64 (so usable size is (4096 << order) - 64); returned to the source on free.
//
// Alignment: class objects are at 64 + k*size, so 16-aligned, and 64-aligned for classes >= 64; large
// objects are 64-aligned. Note the 2048 class fits one object per page (the header takes the start).
//
// Locking: one TicketLock per size class (the "heap size class" lock of lib/spinlock.hpp's order).
// The PageSource is always called with no heap lock held, so it may take the frame allocator's lock
// (ordered before ours). Large runs take no heap lock; their statistics are atomics.
//
// On the host under ASan, free objects and the never-used tail of a page are poisoned, so a
// use-after-free or an overrun into a neighbour is reported at the faulting access.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <boost/intrusive/list.hpp>

#include "lib/spinlock.hpp"

namespace hv {

// Seam: where the heap gets pages. allocate_pages returns zeroed memory aligned to 4096 << order, or
// nullptr when out of memory.
class PageSource {
public:
    virtual void* allocate_pages(unsigned order) = 0;
    virtual void free_pages(void* p, unsigned order) = 0;

protected:
    ~PageSource() = default;
};

class SlabHeap {
public:
    static constexpr size_t kPageSize = 4096;
    static constexpr size_t kHeaderSize = 64;
    static constexpr size_t kMinClassSize = 16;
    static constexpr size_t kMaxClassSize = 2048;
    static constexpr unsigned kClassCount = 8;        // 16, 32, ..., 2048
    static constexpr unsigned kMaxRunOrder = 18;      // largest large object: 1 GiB - 64 bytes

    struct Stats {
        size_t pages;         // pages held from the PageSource (slab pages, cached empties, large runs)
        size_t live_objects;
        size_t live_bytes;    // sum of usable_size() over live objects
    };

    explicit SlabHeap(PageSource& pages);
    ~SlabHeap();  // returns cached empty pages; HV_ASSERTs that nothing is live
    SlabHeap(const SlabHeap&) = delete;
    SlabHeap& operator=(const SlabHeap&) = delete;

    // Zeroed, 16-byte aligned (64 for sizes >= 64); nullptr for size 0 or when out of memory.
    [[nodiscard]] void* allocate(size_t size);
    // nullptr is ignored; HV_ASSERTs on a pointer this heap did not hand out or has already taken back.
    void free(void* p);
    size_t usable_size(const void* p) const;
    Stats stats() const;
    // Gives every cached empty page back to the PageSource (after a large teardown, so the
    // free-frame count returns to what it was); returns how many pages went back.
    size_t release_cached();

private:
    // Both page headers start with their magic, so free() can tell them apart by reading one word.
    struct SlabPage {
        uint32_t magic;
        uint8_t class_index;
        uint8_t bump;          // objects [0, bump) have been handed out at least once
        uint8_t in_use;
        uint8_t reserved;
        void* free_list;       // recycled objects, linked through their first word
        boost::intrusive::list_member_hook<> hook;  // safe-link: is_linked() tells "on the partial list"
        uint64_t live[4];      // bit i: object i is handed out now (252 objects at most)
    };
    static_assert(sizeof(SlabPage) <= kHeaderSize);
    struct LargeRun {
        uint32_t magic;
        uint8_t order;
    };
    static_assert(sizeof(LargeRun) <= kHeaderSize);

    using PageList = boost::intrusive::list<
        SlabPage, boost::intrusive::member_hook<SlabPage, boost::intrusive::list_member_hook<>, &SlabPage::hook>,
        boost::intrusive::constant_time_size<false>>;
    struct SizeClass {
        mutable TicketLock lock;
        PageList partial;
        SlabPage* empty = nullptr;  // at most one cached empty page
        size_t pages = 0;           // including the cached one
        size_t live_objects = 0;
    };

    void* allocate_large(size_t size);
    void free_large(void* p);
    void* take_object(SizeClass& size_class, unsigned class_index, bool& recycled);

    PageSource& pages_;
    SizeClass classes_[kClassCount];
    std::atomic<size_t> large_pages_{0};
    std::atomic<size_t> large_objects_{0};
    std::atomic<size_t> large_bytes_{0};
};

}  // namespace hv
