// Boot-time physical memory map: the usable RAM left after the firmware map and our reservations,
// before the buddy allocator exists.
//
// Invariants: usable()[0..count) is sorted by base; every range is non-empty and page aligned; no two
// ranges overlap or touch (touching ranges are merged), so the representation of a set of pages is
// unique. count <= kMaxRanges.
//
// Order of use: add every usable firmware range first, then reserve() what is taken (the image, boot
// modules, firmware tables). reserve() cuts only what is usable at the time; a later add_usable() over a
// reserved hole would make it usable again.
//
// Address-space top: ranges are [base, end) with a 64-bit end, so the last page
// (0xfffffffffffff000) cannot be usable. A usable range whose base + length wraps past 2^64 is rejected
// (InvalidArgument: a malformed firmware entry must not give us memory); a reservation that wraps is
// clamped to the top (reserving too much is the safe side).
//
// Not locked: used by the boot CPU alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/status.hpp"

namespace hv {

struct PhysRange {
    uint64_t base;
    uint64_t end;  // exclusive
};

class MemoryMap {
public:
    static constexpr size_t kMaxRanges = 256;

    // Rounded inward to pages (a partial page is not usable) and merged with overlapping or adjacent
    // ranges. Status::NoSpace if a new range is needed and the table is full (the map is unchanged).
    [[nodiscard]] Status add_usable(uint64_t base, uint64_t length);
    // Rounded outward to pages and cut out of the usable ranges; may split one range in two
    // (Status::NoSpace if that needs a slot and the table is full; the map is unchanged).
    [[nodiscard]] Status reserve(uint64_t base, uint64_t length);

    std::span<const PhysRange> usable() const { return {ranges_, count_}; }
    uint64_t usable_bytes() const;
    uint64_t highest_usable_end() const { return count_ == 0 ? 0 : ranges_[count_ - 1].end; }

    // Carves the lowest-addressed block of `size` bytes (rounded up to pages) whose base is a multiple of
    // `align` (a power of two; 0 or anything under a page means page alignment) and whose end is
    // <= `below`, and removes it from the usable ranges. InvalidArgument for size 0 or a non-power-of-two align, OutOfMemory if no block
    // fits, NoSpace if carving needs a slot and the table is full.
    [[nodiscard]] Result<uint64_t> take(uint64_t size, uint64_t align, uint64_t below = ~0ull);

private:
    void erase(size_t first, size_t count);
    void insert(size_t at, PhysRange range);
    Status cut(uint64_t base, uint64_t end);

    PhysRange ranges_[kMaxRanges] = {};
    size_t count_ = 0;
};

}  // namespace hv
