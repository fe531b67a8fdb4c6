#include "time/timer_queue.hpp"

#include "seam/panic.hpp"

namespace hv {

Timer::~Timer() { HV_ASSERT(!armed() && "timer destroyed while armed"); }

TimerQueue::~TimerQueue() {
    LockGuard guard(lock_);
    timers_.clear_and_dispose([](Timer* t) { t->queue_.store(nullptr, std::memory_order_release); });
}

void TimerQueue::arm(Timer& t, uint64_t deadline_ns) {
    LockGuard guard(lock_);
    TimerQueue* const owner = t.queue_.load(std::memory_order_relaxed);
    HV_ASSERT((owner == nullptr || owner == this) && "timer armed on two queues");
    if (owner == this)
        timers_.erase(timers_.iterator_to(t));
    // The key changes only while the timer is out of the tree.
    t.deadline_.store(deadline_ns, std::memory_order_relaxed);
    t.sequence_ = next_sequence_++;
    timers_.insert(t);
    t.queue_.store(this, std::memory_order_release);
}

bool TimerQueue::cancel(Timer& t) {
    LockGuard guard(lock_);
    if (t.queue_.load(std::memory_order_relaxed) != this)
        return false;
    timers_.erase(timers_.iterator_to(t));
    t.queue_.store(nullptr, std::memory_order_release);
    return true;
}

std::optional<uint64_t> TimerQueue::next_deadline() const {
    LockGuard guard(lock_);
    if (timers_.empty())
        return std::nullopt;
    return timers_.begin()->deadline();
}

size_t TimerQueue::run_expired(uint64_t now_ns) {
    uint64_t horizon;  // timers with a sequence at or past this were armed during this call
    {
        LockGuard guard(lock_);
        horizon = next_sequence_;
    }
    size_t fired = 0;
    for (;;) {
        Timer* due = nullptr;
        {
            LockGuard guard(lock_);
            for (auto it = timers_.begin(); it != timers_.end() && it->deadline() <= now_ns; ++it) {
                if (it->sequence_ < horizon) {
                    due = &*it;
                    break;
                }
            }
            if (due == nullptr)
                break;
            timers_.erase(timers_.iterator_to(*due));
            due->queue_.store(nullptr, std::memory_order_release);
        }
        due->callback_(*due);
        ++fired;
    }
    return fired;
}

size_t TimerQueue::size() const {
    LockGuard guard(lock_);
    return timers_.size();
}

}  // namespace hv
