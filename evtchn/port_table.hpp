// A domain's channels, indexed by port, grown one page-sized bucket at a time.
//
//   buckets_[0] -> [ch 0][ch 1] ... [ch 127]      ports    0..127
//   buckets_[1] -> [ch 128] ...                   ports  128..255
//   ...           (up to xen::fifo_nr_channels ports)
//
// Invariants:
//  - Ports below valid_count() have a bucket; valid_count() is a multiple of
//    kChannelsPerBucket and only grows until release_all(). A port is "valid" (Xen:
//    port_is_valid) iff it is below valid_count(); a valid port may still be Free.
//  - A bucket pointer is written before valid_count() is raised past it (release),
//    so lock-free readers that check valid() (acquire) see an initialised bucket.
//  - Growing and release_all() happen with the owning domain's event_lock held.
#pragma once

#include <atomic>
#include <cstdint>

#include "evtchn/event_channel.hpp"
#include "evtchn/event_seams.hpp"
#include "lib/status.hpp"

namespace hv::evtchn {

class PortTable {
public:
    static constexpr uint32_t kPageSize = 4096;
    static constexpr uint32_t kChannelsPerBucket = 128;
    static constexpr uint32_t kMaxPorts = xen::fifo_nr_channels;
    static constexpr uint32_t kMaxBuckets = kMaxPorts / kChannelsPerBucket;
    static_assert(kChannelsPerBucket * sizeof(EventChannel) <= kPageSize);

    PortTable() = default;
    PortTable(const PortTable&) = delete;
    PortTable& operator=(const PortTable&) = delete;

    uint32_t valid_count() const { return valid_.load(std::memory_order_acquire); }
    bool valid(uint32_t port) const { return port < valid_count(); }

    // Requires valid(port).
    EventChannel& at(uint32_t port) const {
        return buckets_[port / kChannelsPerBucket].load(std::memory_order_relaxed)[port % kChannelsPerBucket];
    }
    // nullptr unless valid(port).
    EventChannel* find(uint32_t port) const { return valid(port) ? &at(port) : nullptr; }

    // Makes `port` valid, adding buckets as needed. OutOfMemory if a page is missing;
    // the buckets added before that stay (as on Xen).
    [[nodiscard]] Status grow_to(uint32_t port, ChannelPageAllocator& allocator);

    // Destroys every channel and returns the pages. Nothing may use the table afterwards
    // until it grows again.
    void release_all(ChannelPageAllocator& allocator);

private:
    std::atomic<EventChannel*> buckets_[kMaxBuckets] = {};
    std::atomic<uint32_t> valid_{0};
};

}  // namespace hv::evtchn
