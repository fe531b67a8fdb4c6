// Scheduler::check_invariants(): the invariants stated in sched_unit.hpp, sched_domain.hpp,
// run_queue.hpp and credit_scheduler.hpp, checked under every lock. For tests, fuzzers and debug
// self-checks; it walks every unit, so it is not for hot paths.
#include "sched/credit_scheduler.hpp"

namespace hv::sched {

const char* Scheduler::check_cpu_locked(uint32_t c) const {
    const Cpu& cpu = cpus_[c];
    if (cpu.current == nullptr)
        return "cpu has no current unit";
    if (cpu.current->location_ != Location::Current)
        return "current unit not marked Current";
    if (cpu.current->cpu_.load(std::memory_order_relaxed) != c)
        return "current unit belongs to another cpu";
    if (cpu.current->runstate_.state() != RunState::Running)
        return "current unit's runstate is not running";
    if (cpu.current->idle_ && cpu.current != &cpu.idle)
        return "cpu runs another cpu's idle unit";
    if (!cpu.current->idle_ && !cpu.current->registered_)
        return "cpu runs an unregistered unit";
    if (cpu.current != &cpu.idle) {
        if (cpu.idle.location_ != Location::None)
            return "idle unit not running but marked placed";
        if (cpu.idle.runstate_.state() != RunState::Runnable)
            return "idle unit not running but not runnable";
    }
    const char* error = nullptr;
    Priority previous = Priority::Boost;
    uint32_t length = 0;
    cpu.queue.for_each([&](const SchedUnit& u) {
        ++length;
        if (error != nullptr)
            return;
        if (u.idle_)
            error = "idle unit in a runqueue";
        else if (!u.registered_)
            error = "unregistered unit in a runqueue";
        else if (u.location_ != Location::Queued)
            error = "queued unit not marked Queued";
        else if (u.cpu_.load(std::memory_order_relaxed) != c)
            error = "queued unit belongs to another cpu";
        else if (!u.runnable())
            error = "queued unit is not runnable";
        else if (u.runstate_.state() != RunState::Runnable)
            error = "queued unit's runstate is not runnable";
        else if (u.priority_ > previous)
            error = "runqueue not sorted by priority";
        previous = u.priority_;
    });
    if (error != nullptr)
        return error;
    if (length != cpu.queue.size_hint())
        return "runqueue size hint is stale";
    if (((idle_mask_.load(std::memory_order_relaxed) >> c) & 1) && !cpu_idle_locked(c))
        return "cpu marked idle but busy";
    return nullptr;
}

const char* Scheduler::check_unit_locked(const SchedUnit& u) const {
    const uint32_t c = u.cpu_.load(std::memory_order_relaxed);
    if (c >= cpu_count_)
        return "unit on a cpu that does not exist";
    if (u.idle_ || u.priority_ == Priority::Idle)
        return "guest unit with idle priority";
    switch (u.location_) {
    case Location::Current:
        if (cpus_[c].current != &u)
            return "unit marked Current but not its cpu's current";
        break;
    case Location::Queued:
        if (!u.queue_hook_.is_linked())
            return "unit marked Queued but not linked";
        break;
    case Location::None:
        if (u.queue_hook_.is_linked())
            return "unit marked None but linked in a runqueue";
        if (u.runnable())
            return "runnable unit is nowhere (lost)";
        if (u.runstate_.state() != u.rest_state())
            return "stopped unit's runstate does not match blocked/offline";
        break;
    }
    if (u.parked_ && !u.active_.load(std::memory_order_relaxed))
        return "parked unit outside the accounting (nothing would ever unpark it)";
    if (u.runstate_.entry_time() < u.runstate_.start_time())
        return "runstate entered before it started";
    return nullptr;
}

const char* Scheduler::check_invariants() const {
    LockGuard accounting(accounting_lock_);
    for (uint32_t c = 0; c < cpu_count_; ++c)
        cpus_[c].lock.lock();

    const char* error = nullptr;
    for (uint32_t c = 0; c < cpu_count_ && error == nullptr; ++c)
        error = check_cpu_locked(c);

    uint64_t weight = 0;
    uint32_t active_units = 0;
    uint32_t queued_units = 0;
    uint32_t current_units = 0;
    for (const SchedDomain& d : domains_) {
        if (error != nullptr)
            break;
        if (!d.registered_ || d.weight_ == 0)
            error = "bad domain registration or weight";
        uint32_t active = 0;
        for (const SchedUnit& u : d.units_) {
            if (error != nullptr)
                break;
            if (!u.registered_ || u.domain_ != &d)
                error = "domain lists a unit that is not its own";
            else
                error = check_unit_locked(u);
            queued_units += u.location_ == Location::Queued;
            current_units += u.location_ == Location::Current;
            active += u.active_.load(std::memory_order_relaxed);
        }
        for (const SchedUnit& u : d.active_units_) {
            if (error == nullptr && (!u.active_.load(std::memory_order_relaxed) || u.domain_ != &d))
                error = "active list holds an inactive or foreign unit";
        }
        if (error == nullptr && (active != d.active_count_ || active != d.active_units_.size()))
            error = "domain active count is wrong";
        if (error == nullptr && (d.active_count_ > 0) != d.active_hook_.is_linked())
            error = "domain on the active list iff it has active units: violated";
        weight += uint64_t{d.weight_} * d.active_count_;
        active_units += d.active_count_;
    }
    if (error == nullptr && weight != active_weight_)
        error = "total active weight is wrong";
    if (error == nullptr && active_units != active_units_.load(std::memory_order_relaxed))
        error = "active unit count is wrong";

    // Every unit in exactly one place: the runqueues and CPUs hold exactly the units that say so.
    uint32_t in_queues = 0;
    uint32_t on_cpus = 0;
    for (uint32_t c = 0; c < cpu_count_; ++c) {
        in_queues += cpus_[c].queue.size();
        on_cpus += cpus_[c].current->idle_ ? 0 : 1;
    }
    if (error == nullptr && in_queues != queued_units)
        error = "runqueues hold a unit that is not registered as queued";
    if (error == nullptr && on_cpus != current_units)
        error = "cpus run a unit that is not registered as current";

    for (uint32_t c = cpu_count_; c-- > 0;)
        cpus_[c].lock.unlock();
    return error;
}

}  // namespace hv::sched
