// The grant table of one domain (Xen: struct grant_table), in both of its roles:
//  - as granter: the v1 entries it writes in frames shared with it, and one active entry
//    per reference, which the hypervisor keeps while the grant is in use (pinned);
//  - as mapper: its maptrack, one entry per mapping it made of some domain's grant,
//    named by the handle GNTTABOP_map_grant_ref returned.
//
//   granter B                                          mapper A
//   shared[ref] {flags, domid=A, frame}  (guest memory)
//   active[ref] {pin counts, domid=A, frame}  <------  maptrack[handle] {ref, flags, B}
//
// Invariants:
//  G1 1 <= nr_frames() <= max_frames() after init(); frames are only added, until
//     release_frames() at teardown, after which no shared entry is reachable (the
//     active entries stay, so pins held by other domains can still be dropped).
//  G2 active(ref).pin != 0 iff mappings or copies use the grant; then `domid` is the one
//     domain using it and `frame` the frame pinned by the first use (the guest's later
//     edits of the shared entry do not move it).
//  G3 a maptrack entry with flags != 0 holds exactly the pins its flags name (host and/or
//     device, read-only or writable) on (granter, ref); a free one has flags 0 and its
//     `ref` links the free list. Those pins keep the granter's table alive (a table is
//     deleted only once pinned_entries() is 0, see GrantDomains), so `granter` stays a
//     valid pointer for as long as the entry is in use, even after the granting domain
//     was destroyed and its id reused.
//  G4 pin counters are 8 bits; a use that would set a counter's top bit is refused.
//
// Locking:
//  - lock(): this table as granter: the hypervisor's updates of its shared entries, the
//    active entries, growth and release of its frames.
//  - maptrack_lock(): this table as mapper: its maptrack and free list, held across a
//    whole map or unmap, so the operations of one mapping domain are serial.
//  Order: maptrack_lock (of the mapper) < lock (of the granter) < what the seams take
//  (page-table lock, frame allocator). Never two table locks or two maptrack locks at
//  once. A self-grant takes its own maptrack lock, then its own lock: the same order.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "grant/grant_seams.hpp"
#include "grant/shared_entry.hpp"
#include "hypercall/public/grant_table.hpp"
#include "lib/spinlock.hpp"
#include "lib/status.hpp"
#include "seam/panic.hpp"

namespace hv::grant {

inline constexpr unsigned kPageSize = 4096;
inline constexpr unsigned kEntriesPerFrame = kPageSize / sizeof(xen::GrantEntryV1);  // 512
inline constexpr unsigned kInitialFrames = 1;               // Xen INITIAL_NR_GRANT_FRAMES
inline constexpr unsigned kDefaultMaxGrantFrames = 64;      // Xen gnttab_max_frames
inline constexpr unsigned kDefaultMaxMaptrackFrames = 1024;  // Xen gnttab_max_maptrack_frames

struct ActiveEntry {
    uint32_t pin = 0;    // pin::* counters
    DomainId domid = 0;  // the domain using the grant while pinned
    uint16_t pad = 0;
    Frame frame = 0;     // the frame pinned by the first use
};
static_assert(sizeof(ActiveEntry) == 16);
inline constexpr unsigned kActivePerPage = kPageSize / sizeof(ActiveEntry);  // 256

// Xen: struct grant_mapping (16 bytes, so a maptrack frame holds 256 as in Xen and the
// limits mean the same number of handles).
class GrantTable;
struct MaptrackEntry {
    xen::GrantRef ref;     // the grant; the next free handle while free
    uint16_t flags;        // GNTMAP_* of the mapping still in place; 0 = free
    DomainId domid;        // the granting domain
    GrantTable* granter;   // its table instance (valid while flags != 0: G3)
};
static_assert(sizeof(MaptrackEntry) == 16);
inline constexpr unsigned kMaptrackPerPage = kPageSize / sizeof(MaptrackEntry);  // 256

struct GrantTableConfig {
    DomainId id = 0;
    // May set up and query other domains' tables (Xen's default XSM policy, XSM_TARGET:
    // the hardware/control domain).
    bool control_domain = false;
    unsigned max_grant_frames = kDefaultMaxGrantFrames;      // 1..kDefaultMaxGrantFrames
    unsigned max_maptrack_frames = kDefaultMaxMaptrackFrames;  // 0..kDefaultMaxMaptrackFrames
};

class GrantTable {
public:
    static constexpr unsigned kMaxGrantFrames = kDefaultMaxGrantFrames;
    static constexpr unsigned kMaxMaptrackFrames = kDefaultMaxMaptrackFrames;

    GrantTable(const GrantTableConfig& config, GrantMemory& memory);
    // Gives back every frame and page still held. The caller has made sure that no other
    // domain can reach the table any more (see grant/teardown.hpp).
    ~GrantTable();
    GrantTable(const GrantTable&) = delete;
    GrantTable& operator=(const GrantTable&) = delete;

    // The first frame (Xen grows every table to INITIAL_NR_GRANT_FRAMES at creation) and
    // the first maptrack frame.
    [[nodiscard]] Status init();

    DomainId id() const { return id_; }
    // Unique per table instance for the life of the hypervisor (never 0).
    uint64_t serial() const { return serial_; }
    // Xen's XSM_TARGET rule for setup_table, query_size, get_version, get_status_frames.
    bool may_control(const GrantTable& target) const { return &target == this || control_domain_; }

    // ---- as granter; lock() held ----
    TicketLock& lock() { return lock_; }
    unsigned nr_frames() const { return nr_frames_; }
    unsigned max_frames() const { return max_grant_frames_; }
    uint32_t nr_entries() const { return nr_frames_ * kEntriesPerFrame; }
    // Grows to `frames` frames (no-op if already that large); on failure nothing changed.
    // InvalidArgument beyond max_frames(), OutOfMemory.
    [[nodiscard]] Status grow(unsigned frames);
    Frame frame(unsigned index) const { return index < nr_frames_ ? frames_[index].frame : 0; }
    // `ref` < nr_entries(); an invalid SharedEntry after release_frames().
    SharedEntry shared_entry(xen::GrantRef ref) {
        HV_ASSERT(ref < nr_entries());
        if (frames_released_)
            return SharedEntry{};
        auto* entries = static_cast<xen::GrantEntryV1*>(frames_[ref / kEntriesPerFrame].page);
        return SharedEntry{&entries[ref % kEntriesPerFrame]};
    }
    ActiveEntry& active(xen::GrantRef ref) {
        HV_ASSERT(ref < nr_entries());
        return active_pages_[ref / kActivePerPage][ref % kActivePerPage];
    }
    // The frame of an entry the caller holds a pin on, without lock(): by G2 nothing writes `frame`
    // while the entry is pinned, and the entry's page exists since the pin was taken (frames are only
    // added, G1), so neither the bound nor the lock is needed.
    Frame pinned_frame(xen::GrantRef ref) const {
        HV_ASSERT(ref / kActivePerPage < kMaxGrantFrames * kEntriesPerFrame / kActivePerPage);
        return active_pages_[ref / kActivePerPage][ref % kActivePerPage].frame;
    }
    bool frames_released() const { return frames_released_; }
    // Entries with a non-zero pin (a lock-free snapshot): other domains still use grants.
    uint32_t pinned_entries() const { return __atomic_load_n(&pinned_entries_, __ATOMIC_ACQUIRE); }
    // Add or remove pin::* units on an active entry of this table, keeping
    // pinned_entries() in step. The caller checked pin::overflow_mask() before pinning;
    // unpinning more than is held is a broken invariant (G3) and panics.
    void pin(ActiveEntry& entry, uint32_t units) {
        HV_ASSERT((entry.pin & pin::overflow_mask(units)) == 0);
        if (entry.pin == 0)
            __atomic_store_n(&pinned_entries_, pinned_entries_ + 1, __ATOMIC_RELEASE);
        entry.pin += units;
    }
    // Returns the pin left (what entry.pin is now).
    uint32_t unpin(ActiveEntry& entry, uint32_t units) {
        // A counter below its units borrows from the next byte (or, the top one, makes
        // the word larger): either is a broken invariant.
        const uint32_t left = entry.pin - units;
        if (((entry.pin ^ units ^ left) & 0x01010100u) != 0 || left > entry.pin)
            unpin_underflow(entry.pin, units);
        entry.pin = left;
        if (left == 0)
            __atomic_store_n(&pinned_entries_, pinned_entries_ - 1, __ATOMIC_RELEASE);
        return left;
    }

    // ---- as mapper; maptrack_lock() held ----
    TicketLock& maptrack_lock() { return maptrack_lock_; }
    uint32_t maptrack_limit() const { return maptrack_limit_; }
    unsigned maptrack_frames() const { return maptrack_limit_ / kMaptrackPerPage; }
    MaptrackEntry* maptrack(xen::GrantHandle handle);  // nullptr at or beyond the limit
    // A free handle (Xen get_maptrack_handle for one vCPU); NoSpace when the maptrack is
    // full and may not grow, OutOfMemory treated alike.
    [[nodiscard]] Result<xen::GrantHandle> get_handle();
    void put_handle(xen::GrantHandle handle);
    uint32_t handles_in_use() const { return handles_in_use_; }

    // ---- teardown ----
    // Gives the shared frames back to the domain's memory (lock() taken here). Pins other
    // domains hold stay counted and can be dropped; the entries are gone, so their flags
    // are no longer updated.
    void release_frames();
    // Frees the maptrack pages; every entry must be free (maptrack_lock() taken here).
    void release_maptrack();

    // Bookkeeping of the GrantDomains implementation: the retained holds in flight
    // (TableRef::retain), and whether the domain is gone while others still pin its grants.
    std::atomic<uint32_t> holds{0};
    std::atomic<bool> retired{false};

private:
    static constexpr xen::GrantHandle kListEnd = ~0u;  // Xen MAPTRACK_TAIL

    bool add_maptrack_frame();  // maptrack_lock() held
    [[noreturn]] void unpin_underflow(uint32_t pin, uint32_t units) const;

    DomainId id_;
    uint64_t serial_;
    bool control_domain_;
    unsigned max_grant_frames_;
    unsigned max_maptrack_frames_;
    GrantMemory& memory_;

    TicketLock lock_;
    unsigned nr_frames_ = 0;
    bool frames_released_ = false;
    uint32_t pinned_entries_ = 0;
    TableFrame frames_[kMaxGrantFrames];
    ActiveEntry* active_pages_[kMaxGrantFrames * kEntriesPerFrame / kActivePerPage] = {};

    TicketLock maptrack_lock_;
    uint32_t maptrack_limit_ = 0;
    uint32_t handles_in_use_ = 0;
    xen::GrantHandle free_head_ = kListEnd;
    xen::GrantHandle free_tail_ = kListEnd;
    MaptrackEntry* maptrack_pages_[kMaxMaptrackFrames] = {};
};

}  // namespace hv::grant
