// Scheduler::schedule(): pick what a CPU runs next, and load balancing by stealing from peers.
#include "sched/credit_scheduler.hpp"

#include "seam/panic.hpp"

namespace hv::sched {

Decision Scheduler::schedule(uint32_t cpu, uint64_t now) {
    HV_ASSERT(cpu < cpu_count_);
    Cpu& self = cpus_[cpu];
    LockGuard guard(self.lock);
    SchedUnit* const prev = self.current;

    if (!prev->idle_) {
        burn(*prev, now);
        try_activate(*prev);
        // Rate limiting: a unit that has run less than ratelimit keeps the CPU (Xen's choice of
        // throughput over a woken unit's latency), unless it yields or stopped.
        if (ratelimit_ns_ != 0 && !prev->yielding_ && prev->runnable()) {
            const uint64_t ran = now > prev->run_start_ ? now - prev->run_start_ : 0;
            if (ran < ratelimit_ns_) {
                const uint64_t rest = ratelimit_ns_ - ran;
                return Decision{prev, rest < kMinSliceNs ? kMinSliceNs : rest, false, {}};
            }
        }
        prev->location_ = Location::None;
        if (prev->runnable())
            self.queue.insert(*prev);  // behind its equals: a yield, or the end of its slice
        prev->yielding_ = false;
    }

    // The best local choice; if that is Over or nothing, a peer may have something better.
    SchedUnit* next = self.queue.head();
    const Priority floor = next != nullptr ? next->priority_ : Priority::Idle;
    SchedUnit* stolen = floor <= Priority::Over ? steal(cpu, floor) : nullptr;
    if (stolen != nullptr)
        next = stolen;
    else if (next != nullptr)
        self.queue.remove(*next);
    else
        next = &self.idle;

    if (next != prev) {
        if (prev->idle_) {
            prev->location_ = Location::None;
            prev->runstate_.change(RunState::Runnable, now);
        } else {
            prev->runstate_.change(prev->location_ == Location::Queued ? RunState::Runnable : prev->rest_state(),
                                   now);
        }
        next->runstate_.change(RunState::Running, now);
        next->run_start_ = now;
        next->burn_from_ = now;
        self.current = next;
    }
    next->location_ = Location::Current;

    Decision decision{next, next->idle_ ? 0 : timeslice_ns_, false, {}};
    if (next->idle_ && self.queue.empty()) {
        note_idle(cpu);
    } else {
        note_busy(cpu);
        // Units left waiting here (e.g. the one just preempted) go to an idle CPU if there is one.
        if (!self.queue.empty())
            if (const uint32_t helper = claim_idle_cpu(cpu); helper != kNoCpu)
                decision.kick.set(helper);
    }

    if (!next->idle_) {
        decision.migrated = next->last_ran_cpu_ != kNoCpu && next->last_ran_cpu_ != cpu;
        next->last_ran_cpu_ = cpu;
    }
    return decision;
}

// Called by `cpu` (its lock held) when its best choice has priority `floor` (Over or Idle): takes
// the head of the peer runqueue with the highest head priority above `floor`, the longest queue
// among equals. Peers are chosen from the lock-free hints and re-checked under their lock.
SchedUnit* Scheduler::steal(uint32_t cpu, Priority floor) {
    uint64_t tried = uint64_t{1} << cpu;
    for (uint32_t attempt = 0; attempt + 1 < cpu_count_; ++attempt) {
        uint32_t best = kNoCpu;
        Priority best_priority = floor;
        uint32_t best_length = 0;
        for (uint32_t peer = 0; peer < cpu_count_; ++peer) {
            if ((tried >> peer) & 1)
                continue;
            const RunQueue& queue = cpus_[peer].queue;
            const uint32_t length = queue.size_hint();
            const Priority head = queue.head_hint();
            if (length == 0 || head <= floor)
                continue;
            if (best == kNoCpu || head > best_priority || (head == best_priority && length > best_length)) {
                best = peer;
                best_priority = head;
                best_length = length;
            }
        }
        if (best == kNoCpu)
            return nullptr;
        tried |= uint64_t{1} << best;

        // Lock order is ascending CPU id: a lower-numbered peer may only be tried, never waited for.
        Cpu& peer = cpus_[best];
        if (best > cpu)
            peer.lock.lock();
        else if (!try_acquire(peer.lock))
            continue;
        SchedUnit* const unit = peer.queue.take_first_above(floor);
        if (unit != nullptr)
            unit->cpu_.store(cpu, std::memory_order_release);  // both CPUs' locks are held
        peer.lock.unlock();
        if (unit != nullptr)
            return unit;
    }
    return nullptr;
}

}  // namespace hv::sched
