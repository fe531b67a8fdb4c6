// Buddy allocator over the frame table: blocks of 2^order machine frames, naturally aligned.
//
// Invariants (all under lock_):
//  - A free block of order k starts at a pfn that is a multiple of 2^k, lies entirely inside the frame
//    table, and is linked (through its head frame's list_hook) into free_lists_[k] with head.order == k.
//    All of its frames carry kFrameFree; no frame outside a free block does.
//  - Free blocks never overlap, and no two free buddies of the same order coexist (they would have been
//    merged), except at kMaxOrder, which is never merged further.
//  - free_frames_ == sum over free blocks of 2^order.
//  - kFrameDirty on a free frame means it may hold old data. allocate(zero = true) zeroes exactly the dirty
//    frames of the block it hands out (one PageZeroer call per contiguous dirty run) and clears their bit,
//    so memory is zeroed once per hand-out and never twice.
//
//   free_lists_[0]: [pfn 7] -> [pfn 12]           order-0 blocks
//   free_lists_[1]: [pfn 2]                        frames 2,3
//   free_lists_[3]: [pfn 16] -> [pfn 40]           frames 16..23 and 40..47
//
// Locking: one TicketLock (lock_) protects the free lists, the counters and the `flags`/`order` fields of
// every frame. Lock order: frame allocator after the console, before heap size classes and timer queues
// (lib/spinlock.hpp). The PageZeroer is called either under lock_ (blocks of up to
// 2^kZeroUnderLockMaxOrder frames) or with lock_ dropped (larger blocks, which are detached from the free
// lists first so nobody else can see them), so it must not take any lock that is ordered before the
// frame allocator, and must not call back into the allocator.
#pragma once

#include <cstdint>
#include <span>

#include <boost/intrusive/list.hpp>

#include "lib/spinlock.hpp"
#include "lib/status.hpp"
#include "memory/frame.hpp"

namespace hv {

// Seam: how frames are cleared. The image zeroes through its direct map; host tests count per frame.
class PageZeroer {
public:
    virtual void zero_frames(Pfn first, uint64_t count) = 0;

protected:
    ~PageZeroer() = default;
};

class BuddyAllocator {
public:
    static constexpr unsigned kMaxOrder = 18;  // largest block: 2^18 frames = 1 GiB
    static constexpr Pfn kNoLimit = ~Pfn{0};
    // Blocks up to this order are zeroed without dropping the lock (16 KiB: cheaper than a second
    // lock round trip); larger ones are zeroed with the lock dropped.
    static constexpr unsigned kZeroUnderLockMaxOrder = 2;

    // frames[pfn] describes machine frame pfn for pfn in [0, frames.size()). The allocator starts empty.
    BuddyAllocator(std::span<FrameInfo> frames, PageZeroer& zeroer);
    ~BuddyAllocator();
    BuddyAllocator(const BuddyAllocator&) = delete;
    BuddyAllocator& operator=(const BuddyAllocator&) = delete;

    // Boot: hand frames [first, first+count) over. They become free and dirty, are split into maximal
    // naturally aligned blocks and merged with free buddies. HV_ASSERTs that the range lies inside the
    // frame table and that none of its frames is already free.
    void add_free_range(Pfn first, uint64_t count);

    // A block of 2^order frames, naturally aligned, lying entirely below `limit` (exclusive) if given.
    // zero = true: every frame is zero on return. zero = false: contents are whatever they were; the
    // frames keep their dirty marks. Status::InvalidArgument if order > kMaxOrder, OutOfMemory if no
    // block fits. With a limit the search is linear in the number of free blocks of each order tried.
    [[nodiscard]] Result<Pfn> allocate(unsigned order, Pfn limit = kNoLimit, bool zero = true);

    // Give a block back; its frames become dirty. HV_ASSERTs on order > kMaxOrder, a misaligned or
    // out-of-range block, any frame already free (double free) and any frame still on a list.
    void free(Pfn first, unsigned order);

    // As free(), for a block the caller guarantees to be entirely zero (e.g. a page table it emptied
    // entry by entry): its frames are not zeroed again when handed out.
    void free_zeroed(Pfn first, unsigned order);

    uint64_t free_frames() const;
    uint64_t free_blocks(unsigned order) const;
    bool is_free(Pfn pfn) const;  // pfn lies inside some free block
    uint64_t frame_count() const { return frames_.size(); }

private:
    using FreeList = boost::intrusive::list<
        FrameInfo, boost::intrusive::member_hook<FrameInfo, boost::intrusive::list_member_hook<>, &FrameInfo::list_hook>,
        boost::intrusive::constant_time_size<true>>;

    bool is_free_head(Pfn pfn, unsigned order) const;
    void insert_free_block(Pfn head, unsigned order);
    Result<Pfn> take_block(unsigned order, Pfn limit);
    void release(Pfn first, unsigned order, bool dirty);
    void zero_dirty_runs(Pfn first, uint64_t count);
    void mark_allocated(Pfn first, uint64_t count, bool zeroed);

    std::span<FrameInfo> frames_;
    PageZeroer& zeroer_;
    mutable TicketLock lock_;
    FreeList free_lists_[kMaxOrder + 1];
    uint64_t free_frames_ = 0;
};

}  // namespace hv
