// Per-channel reader/writer spinlock.
//
// Readers are the hot paths that must not serialise on the domain lock: send, unmask,
// set_priority, and the hypervisor's raise of a VIRQ/PIRQ. Writers are the operations
// that move a channel to or from Free/Unbound (bind, close). The word holds a reader
// count in the low bits plus a "writer holds" and a "writer waits" bit; a waiting writer
// blocks new readers, so writers cannot starve.
//
// try_lock_shared() fails only while a writer holds or waits for the lock, i.e. while
// the channel is about to become (or has just stopped being) Free/Unbound. The raise
// paths use it and drop the event in that case, which is what an event raised on a
// free or unbound channel amounts to anyway; it also makes them safe to call from a
// context that interrupted a writer on the same CPU.
#pragma once

#include <atomic>
#include <cstdint>

#include "lib/spinlock.hpp"

namespace hv::evtchn {

class ChannelLock {
public:
    constexpr ChannelLock() = default;
    ChannelLock(const ChannelLock&) = delete;
    ChannelLock& operator=(const ChannelLock&) = delete;

    void lock_shared() {
        for (;;) {
            uint32_t seen = word_.load(std::memory_order_relaxed);
            if ((seen & kWriterBits) == 0 &&
                word_.compare_exchange_weak(seen, seen + 1, std::memory_order_acquire, std::memory_order_relaxed))
                return;
            cpu_relax();
        }
    }

    bool try_lock_shared() {
        uint32_t seen = word_.load(std::memory_order_relaxed);
        while ((seen & kWriterBits) == 0) {
            if (word_.compare_exchange_weak(seen, seen + 1, std::memory_order_acquire, std::memory_order_relaxed))
                return true;
        }
        return false;
    }

    void unlock_shared() { word_.fetch_sub(1, std::memory_order_release); }

    void lock() {
        for (;;) {
            word_.fetch_or(kWriterWaits, std::memory_order_relaxed);
            uint32_t expected = kWriterWaits;
            if (word_.compare_exchange_weak(expected, kWriterHolds, std::memory_order_acquire,
                                            std::memory_order_relaxed))
                return;
            cpu_relax();
        }
    }

    void unlock() { word_.fetch_and(~kWriterHolds, std::memory_order_release); }

    bool is_write_locked() const { return (word_.load(std::memory_order_relaxed) & kWriterHolds) != 0; }

private:
    static constexpr uint32_t kWriterHolds = 1u << 31;
    static constexpr uint32_t kWriterWaits = 1u << 30;
    static constexpr uint32_t kWriterBits = kWriterHolds | kWriterWaits;

    std::atomic<uint32_t> word_{0};
};

class [[nodiscard]] SharedChannelGuard {
public:
    explicit SharedChannelGuard(ChannelLock& lock) : lock_(lock) { lock_.lock_shared(); }
    ~SharedChannelGuard() { lock_.unlock_shared(); }
    SharedChannelGuard(const SharedChannelGuard&) = delete;
    SharedChannelGuard& operator=(const SharedChannelGuard&) = delete;

private:
    ChannelLock& lock_;
};

}  // namespace hv::evtchn
