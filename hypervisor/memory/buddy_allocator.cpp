#include "memory/buddy_allocator.hpp"

#include <bit>

#include "seam/panic.hpp"

namespace hv {
namespace {

constexpr uint64_t frames_in(unsigned order) { return uint64_t{1} << order; }

}  // namespace

BuddyAllocator::BuddyAllocator(std::span<FrameInfo> frames, PageZeroer& zeroer) : frames_(frames), zeroer_(zeroer) {}

BuddyAllocator::~BuddyAllocator() {
    // Unlinking resets the (safe-link) hooks, so the frame table may outlive us or be torn down after us.
    for (FreeList& list : free_lists_)
        list.clear();
}

bool BuddyAllocator::is_free_head(Pfn pfn, unsigned order) const {
    // kFrameFree first: only a free frame is ours to read further; an allocated frame's hook belongs to
    // its owner, who may be relinking it on another CPU.
    const FrameInfo& frame = frames_[pfn];
    return (frame.flags & kFrameFree) != 0 && frame.list_hook.is_linked() && frame.order == order;
}

// Links a block whose frames are already marked free, merging it with free buddies as far as possible.
void BuddyAllocator::insert_free_block(Pfn head, unsigned order) {
    while (order < kMaxOrder) {
        const Pfn buddy = head ^ frames_in(order);
        if (buddy >= frames_.size() || !is_free_head(buddy, order))
            break;
        free_lists_[order].erase(free_lists_[order].iterator_to(frames_[buddy]));
        head &= ~frames_in(order);
        ++order;
    }
    frames_[head].order = static_cast<uint8_t>(order);
    free_lists_[order].push_front(frames_[head]);
}

void BuddyAllocator::add_free_range(Pfn first, uint64_t count) {
    if (count == 0)
        return;
    HV_ASSERT(first < frames_.size() && frames_.size() - first >= count && "range outside the frame table");
    const Pfn end = first + count;
    LockGuard guard(lock_);
    for (Pfn pfn = first; pfn < end; ++pfn)
        HV_ASSERT((frames_[pfn].flags & kFrameFree) == 0 && !frames_[pfn].list_hook.is_linked() &&
                  "frame handed over twice");
    for (Pfn pfn = first; pfn < end; ++pfn)
        frames_[pfn].flags |= kFrameFree | kFrameDirty;

    // Largest naturally aligned block starting at pfn that still fits, then the next one.
    for (Pfn pfn = first; pfn < end;) {
        unsigned order = pfn == 0 ? kMaxOrder : static_cast<unsigned>(std::countr_zero(pfn));
        if (order > kMaxOrder)
            order = kMaxOrder;
        while (frames_in(order) > end - pfn)
            --order;
        insert_free_block(pfn, order);
        pfn += frames_in(order);
    }
    free_frames_ += count;
}

// Unlinks the first suitable block (splitting a larger one, low half kept) and returns its head. The
// frames keep kFrameFree but are on no list: invisible to other allocations and to merging.
Result<Pfn> BuddyAllocator::take_block(unsigned order, Pfn limit) {
    const uint64_t count = frames_in(order);
    for (unsigned found_order = order; found_order <= kMaxOrder; ++found_order) {
        FreeList& list = free_lists_[found_order];
        FrameInfo* found = nullptr;
        if (limit == kNoLimit) {
            if (!list.empty())
                found = &list.front();
        } else {
            // The part handed out is the low end of the block, so only that part must fit below limit.
            for (FrameInfo& frame : list) {
                const Pfn head = static_cast<Pfn>(&frame - frames_.data());
                if (head < limit && limit - head >= count) {
                    found = &frame;
                    break;
                }
            }
        }
        if (found == nullptr)
            continue;

        list.erase(list.iterator_to(*found));
        free_frames_ -= frames_in(found_order);
        const Pfn head = static_cast<Pfn>(found - frames_.data());
        for (unsigned split = found_order; split > order;) {
            --split;
            const Pfn upper = head + frames_in(split);
            frames_[upper].order = static_cast<uint8_t>(split);
            free_lists_[split].push_front(frames_[upper]);
            free_frames_ += frames_in(split);
        }
        return head;
    }
    return Status::OutOfMemory;
}

// Reads the dirty bits of a detached block and clears the dirty runs, one zeroer call per run.
void BuddyAllocator::zero_dirty_runs(Pfn first, uint64_t count) {
    Pfn run_start = 0;
    uint64_t run_length = 0;
    for (Pfn pfn = first; pfn < first + count; ++pfn) {
        if ((frames_[pfn].flags & kFrameDirty) != 0) {
            if (run_length == 0)
                run_start = pfn;
            ++run_length;
        } else if (run_length != 0) {
            zeroer_.zero_frames(run_start, run_length);
            run_length = 0;
        }
    }
    if (run_length != 0)
        zeroer_.zero_frames(run_start, run_length);
}

void BuddyAllocator::mark_allocated(Pfn first, uint64_t count, bool zeroed) {
    const uint8_t clear = zeroed ? (kFrameFree | kFrameDirty) : kFrameFree;
    for (Pfn pfn = first; pfn < first + count; ++pfn)
        frames_[pfn].flags &= static_cast<uint8_t>(~clear);
}

Result<Pfn> BuddyAllocator::allocate(unsigned order, Pfn limit, bool zero) {
    if (order > kMaxOrder)
        return Status::InvalidArgument;
    const uint64_t count = frames_in(order);
    Pfn head;
    {
        LockGuard guard(lock_);
        Result<Pfn> block = take_block(order, limit);
        if (!block.ok())
            return block.status();
        head = *block;
        if (!zero || order <= kZeroUnderLockMaxOrder) {
            if (zero)
                zero_dirty_runs(head, count);
            mark_allocated(head, count, zero);
            return head;
        }
    }
    // Detached: no list holds the block and its head is unlinked, so nobody else writes its frames while
    // we zero it without the lock (is_free() and merge checks only read them).
    zero_dirty_runs(head, count);
    LockGuard guard(lock_);
    mark_allocated(head, count, true);
    return head;
}

void BuddyAllocator::release(Pfn first, unsigned order, bool dirty) {
    HV_ASSERT(order <= kMaxOrder);
    const uint64_t count = frames_in(order);
    HV_ASSERT((first & (count - 1)) == 0 && "misaligned block");
    HV_ASSERT(first < frames_.size() && frames_.size() - first >= count && "block outside the frame table");
    LockGuard guard(lock_);
    for (Pfn pfn = first; pfn < first + count; ++pfn) {
        HV_ASSERT((frames_[pfn].flags & kFrameFree) == 0 && "double free");
        HV_ASSERT(!frames_[pfn].list_hook.is_linked() && "freeing a frame that is still on a list");
    }
    for (Pfn pfn = first; pfn < first + count; ++pfn) {
        uint8_t flags = frames_[pfn].flags | kFrameFree;
        frames_[pfn].flags = dirty ? (flags | kFrameDirty) : static_cast<uint8_t>(flags & ~kFrameDirty);
    }
    insert_free_block(first, order);
    free_frames_ += count;
}

void BuddyAllocator::free(Pfn first, unsigned order) { release(first, order, true); }

void BuddyAllocator::free_zeroed(Pfn first, unsigned order) { release(first, order, false); }

uint64_t BuddyAllocator::free_frames() const {
    LockGuard guard(lock_);
    return free_frames_;
}

uint64_t BuddyAllocator::free_blocks(unsigned order) const {
    if (order > kMaxOrder)
        return 0;
    LockGuard guard(lock_);
    return free_lists_[order].size();
}

bool BuddyAllocator::is_free(Pfn pfn) const {
    if (pfn >= frames_.size())
        return false;
    LockGuard guard(lock_);
    if ((frames_[pfn].flags & kFrameFree) == 0)
        return false;
    // A frame of a block being zeroed by allocate() carries kFrameFree but belongs to no linked block.
    for (unsigned order = 0; order <= kMaxOrder; ++order) {
        if (is_free_head(pfn & ~(frames_in(order) - 1), order))
            return true;
    }
    return false;
}

}  // namespace hv
