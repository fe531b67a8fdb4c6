// The frame table entry: one FrameInfo per machine frame, indexed by machine frame number.
//
// Invariants (the allocator's part; later issues add page owner, type and reference counts):
//  - kFrameFree is set on every frame of a block that the BuddyAllocator holds, and on no other frame.
//  - `order` is meaningful only on the head (lowest frame) of a free block, and only while that head is
//    linked into a free list through `list_hook`.
//  - kFrameDirty on a free frame means "may hold old data": it must be zeroed before it is handed out
//    zeroed. Every frame enters the allocator dirty unless its giver guarantees it is zero.
//  - `flags` and `order` belong to the BuddyAllocator: it reads them under its lock for any frame (to find
//    merge partners), so no one else may write them while the allocator is shared. kFrameReserved is set
//    at boot, before the allocator exists.
//  - `list_hook` is on at most one list at a time: a free list while the frame is the head of a free block,
//    an owner's page list (later) while it is allocated. A frame is unlinked from its owner's list before it
//    is freed (free() checks this).
#pragma once

#include <boost/intrusive/list.hpp>
#include <cstdint>

namespace hv {

using Pfn = uint64_t;  // machine frame number: physical address >> kPageShift

inline constexpr unsigned kPageShift = 12;
inline constexpr uint64_t kPageSize = 4096;
static_assert(kPageSize == uint64_t{1} << kPageShift);

enum FrameFlag : uint8_t {
    kFrameFree = 1u << 0,
    kFrameDirty = 1u << 1,
    kFrameReserved = 1u << 2,
    kFrameNotRam = 1u << 3,  // below the top of RAM but not RAM (firmware, PCI hole): set once at boot
};

// The smallest buddy order whose block holds `bytes`.
constexpr unsigned order_for_bytes(uint64_t bytes) {
    unsigned order = 0;
    while ((kPageSize << order) < bytes)
        ++order;
    return order;
}

struct FrameInfo {
    // Default (safe-link) mode rather than normal_link: it costs two stores on unlink, and buys
    // is_linked(), which the allocator uses both to recognise the head of a free block and to catch a
    // frame freed while still on an owner's list. It also has the same size (two pointers).
    boost::intrusive::list_member_hook<> list_hook;
    uint32_t refcount = 0;    // general references (PV page-type work, later)
    uint16_t owner = 0;       // domain id or a special owner (later)
    uint8_t order = 0;        // on the head frame of a free block: its order
    uint8_t flags = 0;        // FrameFlag bits
    uint64_t type_info = 0;   // page type + type count (later)
};
static_assert(sizeof(FrameInfo) == 32, "the frame table is sized as 32 bytes per machine frame");

}  // namespace hv
