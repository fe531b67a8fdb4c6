// Software timers ordered by deadline: a red-black tree keyed by (deadline, arm sequence).
//
// Invariants (under the queue's lock):
//  - A Timer is in at most one queue at a time, and it is in a queue's tree exactly while armed() is true
//    and its queue() is that queue.
//  - The tree is ordered by (deadline, sequence); sequence numbers come from a per-queue counter bumped on
//    every arm(), so equal deadlines fire in arm order and re-arming moves a timer behind its equals.
//  - run_expired() fires only timers whose sequence is older than the call itself: a timer armed or
//    re-armed by a callback (even with a deadline already past) waits for the next run_expired(). This
//    bounds one call's work: a periodic timer that fell far behind fires once per call, not in a loop.
//
// Locking: one TicketLock per queue (the "timer queue" lock, innermost in lib/spinlock.hpp's order).
// Callbacks run with it dropped, so they may arm or cancel any timer, including their own, on any queue.
// A Timer must be cancelled (or have fired) before it is destroyed or armed on another queue; both are
// HV_ASSERTed. cancel() returning true means the callback will not run for that arming; false means it
// was not armed, though its callback may still be running on another CPU that popped it just before.
//
// Hook choice: the default safe-link mode, not auto_unlink. An auto-unlinking hook would remove a
// destroyed timer from the tree without the queue's lock (a race with the CPU running the queue) and
// would force an O(n) size(); safe-link instead gives is_linked() for the destroy-while-armed check.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include <boost/intrusive/set.hpp>

#include "lib/spinlock.hpp"

namespace hv {

class TimerQueue;

class Timer : public boost::intrusive::set_base_hook<boost::intrusive::optimize_size<true>> {
public:
    using Callback = void (*)(Timer&);

    Timer(Callback fn, void* data_) : data(data_), callback_(fn) {}
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Snapshots, exact when no other CPU is arming or cancelling this timer concurrently.
    uint64_t deadline() const { return deadline_.load(std::memory_order_relaxed); }
    bool armed() const { return queue_.load(std::memory_order_acquire) != nullptr; }
    TimerQueue* queue() const { return queue_.load(std::memory_order_acquire); }

    void* data;  // the owner's context for the callback

private:
    friend class TimerQueue;
    friend struct TimerOrder;

    Callback callback_;
    std::atomic<uint64_t> deadline_{0};
    uint64_t sequence_ = 0;                      // written under the queue lock
    std::atomic<TimerQueue*> queue_{nullptr};    // non-null exactly while armed; written under its lock
};

struct TimerOrder {
    bool operator()(const Timer& a, const Timer& b) const {
        const uint64_t da = a.deadline_.load(std::memory_order_relaxed);
        const uint64_t db = b.deadline_.load(std::memory_order_relaxed);
        return da != db ? da < db : a.sequence_ < b.sequence_;
    }
};

class TimerQueue {
public:
    TimerQueue() = default;
    ~TimerQueue();  // disarms any timer still queued
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    // Arms t to fire at deadline_ns; an armed timer is moved (and goes behind timers with an equal deadline).
    void arm(Timer& t, uint64_t deadline_ns);
    bool cancel(Timer& t);  // true if it was armed
    std::optional<uint64_t> next_deadline() const;
    // Fires the timers with deadline <= now_ns that were armed before this call, earliest first, each
    // unlinked before its callback runs without the lock. Returns the number fired.
    size_t run_expired(uint64_t now_ns);
    size_t size() const;

private:
    using Tree = boost::intrusive::multiset<Timer, boost::intrusive::compare<TimerOrder>,
                                            boost::intrusive::constant_time_size<true>>;

    mutable TicketLock lock_;
    Tree timers_;
    uint64_t next_sequence_ = 0;
};

}  // namespace hv
