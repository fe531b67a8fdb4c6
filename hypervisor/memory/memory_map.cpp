#include "memory/memory_map.hpp"

#include "memory/frame.hpp"
#include "seam/panic.hpp"

namespace hv {
namespace {

constexpr uint64_t kPageMask = kPageSize - 1;
constexpr uint64_t kTop = ~kPageMask;  // highest representable page-aligned end

constexpr uint64_t round_down(uint64_t value) { return value & ~kPageMask; }

}  // namespace

void MemoryMap::erase(size_t first, size_t count) {
    for (size_t i = first; i + count < count_; ++i)
        ranges_[i] = ranges_[i + count];
    count_ -= count;
}

void MemoryMap::insert(size_t at, PhysRange range) {
    HV_ASSERT(count_ < kMaxRanges);
    for (size_t i = count_; i > at; --i)
        ranges_[i] = ranges_[i - 1];
    ranges_[at] = range;
    ++count_;
}

Status MemoryMap::add_usable(uint64_t base, uint64_t length) {
    if (length == 0)
        return Status::Ok;
    if (base + (length - 1) < base)
        return Status::InvalidArgument;
    const uint64_t last = base + (length - 1);  // inclusive, cannot wrap
    if (base > kTop)
        return Status::Ok;  // lies within the last page, which is never usable
    const uint64_t begin = (base + kPageMask) & ~kPageMask;
    const uint64_t end = last == ~0ull ? kTop : round_down(last + 1);
    if (begin >= end)
        return Status::Ok;  // no whole page inside

    // [first, after) are the ranges overlapping or touching [begin, end).
    size_t first = 0;
    while (first < count_ && ranges_[first].end < begin)
        ++first;
    size_t after = first;
    while (after < count_ && ranges_[after].base <= end)
        ++after;
    if (first == after) {
        if (count_ == kMaxRanges)
            return Status::NoSpace;
        insert(first, {begin, end});
        return Status::Ok;
    }
    const uint64_t merged_base = ranges_[first].base < begin ? ranges_[first].base : begin;
    const uint64_t merged_end = ranges_[after - 1].end > end ? ranges_[after - 1].end : end;
    ranges_[first] = {merged_base, merged_end};
    erase(first + 1, after - first - 1);
    return Status::Ok;
}

// Removes the page-aligned [base, end) from the usable ranges.
Status MemoryMap::cut(uint64_t base, uint64_t end) {
    // A range strictly containing the hole splits in two: check for room before changing anything.
    for (size_t i = 0; i < count_; ++i) {
        if (ranges_[i].base < base && ranges_[i].end > end) {
            if (count_ == kMaxRanges)
                return Status::NoSpace;
            const PhysRange upper{end, ranges_[i].end};
            ranges_[i].end = base;
            insert(i + 1, upper);
            return Status::Ok;
        }
    }
    size_t i = 0;
    while (i < count_) {
        PhysRange& range = ranges_[i];
        if (range.end <= base || range.base >= end) {
            ++i;
        } else if (range.base >= base && range.end <= end) {
            erase(i, 1);
        } else {
            if (range.base < base)
                range.end = base;  // hole covers the top of this range
            else
                range.base = end;  // hole covers the bottom of this range
            ++i;
        }
    }
    return Status::Ok;
}

Status MemoryMap::reserve(uint64_t base, uint64_t length) {
    if (length == 0)
        return Status::Ok;
    const uint64_t begin = round_down(base);
    uint64_t end = kTop;
    if (base + (length - 1) >= base) {
        const uint64_t last = base + (length - 1);
        if (last < kTop)
            end = round_down(last) + kPageSize;
    }
    return cut(begin, end);
}

uint64_t MemoryMap::usable_bytes() const {
    uint64_t total = 0;
    for (size_t i = 0; i < count_; ++i)
        total += ranges_[i].end - ranges_[i].base;
    return total;
}

Result<uint64_t> MemoryMap::take(uint64_t size, uint64_t align, uint64_t below) {
    if (size == 0 || (align & (align - 1)) != 0)
        return Status::InvalidArgument;
    if (size > kTop)
        return Status::OutOfMemory;
    size = (size + kPageMask) & ~kPageMask;
    if (align < kPageSize)
        align = kPageSize;
    for (size_t i = 0; i < count_; ++i) {
        const PhysRange range = ranges_[i];
        const uint64_t start = (range.base + (align - 1)) & ~(align - 1);
        if (start < range.base)
            break;  // rounding wrapped: nothing higher can fit either
        const uint64_t limit = range.end < below ? range.end : below;
        if (start >= limit || limit - start < size)
            continue;
        HV_TRY(cut(start, start + size));
        return start;
    }
    return Status::OutOfMemory;
}

}  // namespace hv
