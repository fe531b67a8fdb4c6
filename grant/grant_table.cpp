// GrantTable: frames, active entries and the maptrack. Invariants and locking:
// grant_table.hpp.
#include "grant/grant_table.hpp"

#include <new>

#include "seam/panic.hpp"

namespace hv::grant {

namespace {

constexpr unsigned kActivePagesPerFrame = kEntriesPerFrame / kActivePerPage;  // 2

constinit std::atomic<uint64_t> next_serial{1};

}  // namespace

GrantTable::GrantTable(const GrantTableConfig& config, GrantMemory& memory)
    : id_(config.id),
      serial_(next_serial.fetch_add(1, std::memory_order_relaxed)),
      control_domain_(config.control_domain),
      max_grant_frames_(config.max_grant_frames),
      max_maptrack_frames_(config.max_maptrack_frames),
      memory_(memory) {
    HV_ASSERT(max_grant_frames_ >= kInitialFrames && max_grant_frames_ <= kMaxGrantFrames);
    HV_ASSERT(max_maptrack_frames_ <= kMaxMaptrackFrames);
}

GrantTable::~GrantTable() {
    release_frames();
    for (ActiveEntry*& page : active_pages_) {
        if (page != nullptr)
            memory_.free_page(page);
        page = nullptr;
    }
    release_maptrack();
}

Status GrantTable::init() {
    {
        LockGuard guard(lock_);
        HV_TRY(grow(kInitialFrames));
    }
    // The first maptrack frame too, which Xen allocates at the first map: allocated here,
    // a domain's bookkeeping all exists from its creation to its destruction, so the
    // host's free memory is the same before a domain is built and after it is destroyed
    // whatever other domains mapped meanwhile. Handles come out in the same order.
    LockGuard guard(maptrack_lock_);
    if (max_maptrack_frames_ > 0)
        (void)add_maptrack_frame();  // failing here only means allocating it at the first map
    return Status::Ok;
}

// ---- frames and active entries -------------------------------------------------------

Status GrantTable::grow(unsigned frames) {
    if (frames > max_grant_frames_ || frames_released_)
        return Status::InvalidArgument;
    if (frames <= nr_frames_)
        return Status::Ok;
    // Check-then-commit: allocate everything first, so a failure leaves the table as it
    // was (Xen gnttab_grow_table frees what it got and reports -ENOMEM).
    const unsigned old = nr_frames_;
    unsigned active_done = old * kActivePagesPerFrame;
    unsigned frames_done = old;
    Status status = Status::Ok;
    for (; active_done < frames * kActivePagesPerFrame; ++active_done) {
        void* page = memory_.allocate_page();
        if (page == nullptr) {
            status = Status::OutOfMemory;
            break;
        }
        auto* entries = static_cast<ActiveEntry*>(page);
        for (unsigned i = 0; i < kActivePerPage; ++i)
            new (&entries[i]) ActiveEntry{};
        active_pages_[active_done] = entries;
    }
    for (; status == Status::Ok && frames_done < frames; ++frames_done) {
        Result<TableFrame> f = memory_.allocate_table_frame(id_);
        if (!f.ok()) {
            status = f.status();
            break;
        }
        frames_[frames_done] = *f;
    }
    if (status != Status::Ok) {
        while (frames_done > old) {
            --frames_done;
            memory_.free_table_frame(id_, frames_[frames_done]);
            frames_[frames_done] = {};
        }
        while (active_done > old * kActivePagesPerFrame) {
            --active_done;
            memory_.free_page(active_pages_[active_done]);
            active_pages_[active_done] = nullptr;
        }
        return status;
    }
    nr_frames_ = frames;
    return Status::Ok;
}

void GrantTable::unpin_underflow(uint32_t pin, uint32_t units) const {
    panic("grant: d%u pin %#x cannot drop %#x", static_cast<unsigned>(id_), pin, units);
}

void GrantTable::release_frames() {
    LockGuard guard(lock_);
    if (frames_released_)
        return;
    frames_released_ = true;
    for (unsigned i = 0; i < nr_frames_; ++i) {
        memory_.free_table_frame(id_, frames_[i]);
        frames_[i] = {};
    }
}

// ---- maptrack ----------------------------------------------------------------------------
//
// One free list per table, run as Xen runs each vCPU's list: handles are taken from the
// head and given back at the tail, and the last free entry is never handed out (it is
// the tail the next freed handle links to), so a new frame is added instead. For a
// single-vCPU guest the handles come out in Xen's order (0..254, 256..511, 512...).

MaptrackEntry* GrantTable::maptrack(xen::GrantHandle handle) {
    if (handle >= maptrack_limit_)
        return nullptr;
    return &maptrack_pages_[handle / kMaptrackPerPage][handle % kMaptrackPerPage];
}

Result<xen::GrantHandle> GrantTable::get_handle() {
    if (free_head_ != kListEnd) {
        const xen::GrantHandle next = maptrack(free_head_)->ref;
        if (next != kListEnd) {
            const xen::GrantHandle handle = free_head_;
            free_head_ = next;
            ++handles_in_use_;
            return handle;
        }
    }
    if (!add_maptrack_frame())
        return Status::NoSpace;  // Xen would try to steal from another vCPU's list: none here
    const xen::GrantHandle handle = free_head_;
    free_head_ = maptrack(handle)->ref;
    ++handles_in_use_;
    return handle;
}

// Adds a frame of free entries at the head of the free list: its entries after the first
// in order, then the old list, its last entry becoming the tail if there was none.
bool GrantTable::add_maptrack_frame() {
    const unsigned frames = maptrack_frames();
    if (frames >= max_maptrack_frames_)
        return false;
    void* page = memory_.allocate_page();
    if (page == nullptr)
        return false;
    auto* entries = static_cast<MaptrackEntry*>(page);
    const xen::GrantHandle first = maptrack_limit_;
    for (unsigned i = 0; i < kMaptrackPerPage; ++i)
        new (&entries[i]) MaptrackEntry{first + i + 1, 0, 0, nullptr};  // links the free list
    // The new frame's entries after the first go before the old free list; its last entry
    // links to the old head (which becomes the end once it is the tail's only successor).
    entries[kMaptrackPerPage - 1].ref = free_head_;
    if (free_tail_ == kListEnd)
        free_tail_ = first + kMaptrackPerPage - 1;
    maptrack_pages_[frames] = entries;
    maptrack_limit_ += kMaptrackPerPage;
    free_head_ = first;
    return true;
}

void GrantTable::put_handle(xen::GrantHandle handle) {
    MaptrackEntry* entry = maptrack(handle);
    HV_ASSERT(entry != nullptr && entry->flags == 0 && handles_in_use_ != 0);
    entry->ref = kListEnd;
    maptrack(free_tail_)->ref = handle;
    free_tail_ = handle;
    --handles_in_use_;
}

void GrantTable::release_maptrack() {
    LockGuard guard(maptrack_lock_);
    HV_ASSERT(handles_in_use_ == 0);
    for (unsigned i = 0; i < maptrack_frames(); ++i) {
        memory_.free_page(maptrack_pages_[i]);
        maptrack_pages_[i] = nullptr;
    }
    maptrack_limit_ = 0;
    free_head_ = free_tail_ = kListEnd;
}

}  // namespace hv::grant
