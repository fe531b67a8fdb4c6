// RunQueue: one physical CPU's runnable units, highest priority first.
//
// Invariants (under the owning CPU's runqueue lock, held by the caller of every method):
//  - Sorted by priority, non-increasing from the head; within a priority, FIFO: insert() puts a
//    unit behind all units of its own priority (that is also what yielding means).
//  - Holds only guest units with location() == Queued, each linked exactly once.
//  - size_hint() and head_hint() equal size() and head()->priority() whenever the lock is free;
//    other CPUs read them without the lock to choose whom to steal from.
//
//   head -> [Boost ...][Under ...][Over ...] <- tail          (empty queue: the CPU runs its idle unit)
#pragma once

#include <atomic>
#include <cstdint>

#include <boost/intrusive/list.hpp>

#include "sched/sched_unit.hpp"

namespace hv::sched {

class RunQueue {
public:
    RunQueue() = default;
    RunQueue(const RunQueue&) = delete;
    RunQueue& operator=(const RunQueue&) = delete;

    void insert(SchedUnit& unit);
    void remove(SchedUnit& unit);
    // Moves a queued unit whose priority just changed to the tail of its new priority class.
    void reposition(SchedUnit& unit);
    // Removes and returns the head if its priority is strictly above `floor`, else nullptr.
    SchedUnit* take_first_above(Priority floor);

    SchedUnit* head() { return list_.empty() ? nullptr : &list_.front(); }
    bool empty() const { return list_.empty(); }
    uint32_t size() const { return static_cast<uint32_t>(list_.size()); }

    uint32_t size_hint() const { return size_hint_.load(std::memory_order_relaxed); }
    Priority head_hint() const { return head_hint_.load(std::memory_order_relaxed); }

    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (const SchedUnit& u : list_)
            fn(u);
    }

private:
    using List = boost::intrusive::list<
        SchedUnit, boost::intrusive::member_hook<SchedUnit, UnitHook, &SchedUnit::queue_hook_>,
        boost::intrusive::constant_time_size<true>>;

    void link_sorted(SchedUnit& unit);
    void refresh_hints();

    List list_;
    std::atomic<uint32_t> size_hint_{0};
    std::atomic<Priority> head_hint_{Priority::Idle};
};

}  // namespace hv::sched
