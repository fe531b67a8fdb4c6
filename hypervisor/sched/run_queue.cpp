#include "sched/run_queue.hpp"

#include "seam/panic.hpp"

namespace hv::sched {

void RunQueue::link_sorted(SchedUnit& unit) {
    // Walk past every unit of equal or higher priority: O(queue length), which is the number of
    // runnable vCPUs waiting for this CPU, a handful in practice.
    auto it = list_.begin();
    while (it != list_.end() && it->priority_ >= unit.priority_)
        ++it;
    list_.insert(it, unit);
}

void RunQueue::insert(SchedUnit& unit) {
    HV_ASSERT(!unit.idle_ && unit.location_ == Location::None && !unit.queue_hook_.is_linked());
    link_sorted(unit);
    unit.location_ = Location::Queued;
    refresh_hints();
}

void RunQueue::remove(SchedUnit& unit) {
    HV_ASSERT(unit.location_ == Location::Queued && unit.queue_hook_.is_linked());
    list_.erase(list_.iterator_to(unit));
    unit.location_ = Location::None;
    refresh_hints();
}

void RunQueue::reposition(SchedUnit& unit) {
    HV_ASSERT(unit.location_ == Location::Queued);
    list_.erase(list_.iterator_to(unit));
    link_sorted(unit);
    refresh_hints();
}

SchedUnit* RunQueue::take_first_above(Priority floor) {
    SchedUnit* first = head();
    if (first == nullptr || first->priority_ <= floor)
        return nullptr;
    remove(*first);
    return first;
}

void RunQueue::refresh_hints() {
    size_hint_.store(static_cast<uint32_t>(list_.size()), std::memory_order_relaxed);
    head_hint_.store(list_.empty() ? Priority::Idle : list_.front().priority_, std::memory_order_relaxed);
}

}  // namespace hv::sched
