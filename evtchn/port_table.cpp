#include "evtchn/port_table.hpp"

#include <new>

namespace hv::evtchn {

Status PortTable::grow_to(uint32_t port, ChannelPageAllocator& allocator) {
    if (port >= kMaxPorts)
        return Status::NoSpace;
    uint32_t valid = valid_.load(std::memory_order_relaxed);
    while (port >= valid) {
        void* page = allocator.allocate_page();
        if (page == nullptr)
            return Status::OutOfMemory;
        auto* bucket = static_cast<EventChannel*>(page);
        for (uint32_t i = 0; i < kChannelsPerBucket; ++i) {
            EventChannel* channel = new (&bucket[i]) EventChannel();
            channel->port = valid + i;
        }
        buckets_[valid / kChannelsPerBucket].store(bucket, std::memory_order_relaxed);
        valid += kChannelsPerBucket;
        valid_.store(valid, std::memory_order_release);
    }
    return Status::Ok;
}

void PortTable::release_all(ChannelPageAllocator& allocator) {
    const uint32_t valid = valid_.load(std::memory_order_relaxed);
    valid_.store(0, std::memory_order_release);
    for (uint32_t b = 0; b < valid / kChannelsPerBucket; ++b) {
        EventChannel* bucket = buckets_[b].exchange(nullptr, std::memory_order_relaxed);
        for (uint32_t i = 0; i < kChannelsPerBucket; ++i)
            bucket[i].~EventChannel();
        allocator.free_page(bucket);
    }
}

}  // namespace hv::evtchn
