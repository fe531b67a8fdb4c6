// SchedUnit: the scheduler's view of one vCPU (or of one physical CPU's idle loop).
//
// Invariants (see credit_scheduler.hpp for which lock protects which field):
//  - A registered guest unit is in exactly one place, recorded in location():
//      Current - it is cpus[cpu()].current (running, or about to be switched out);
//      Queued  - it is linked in cpus[cpu()]'s runqueue (runnable, waiting);
//      None    - in no runqueue and on no CPU (blocked, paused, parked, down).
//  - Queued implies runnable(); None implies !runnable(). A Current unit may be not runnable only
//    between the operation that stopped it (block, pause...) and its CPU's next schedule().
//  - runstate() follows location(): Current -> Running, Queued -> Runnable,
//    None -> Blocked if blocked() else Offline (Xen's rule: a paused, blocked vCPU stays Blocked).
//  - Guest units have priority Boost, Under or Over; idle units always Idle.
//  - runnable() == online && !blocked && !parked && pause_count == 0.
#pragma once

#include <atomic>
#include <cstdint>

#include <boost/intrusive/list.hpp>

#include "sched/runstate.hpp"

namespace hv::sched {

class SchedDomain;
class Scheduler;
class RunQueue;

// Xen credit1 priorities, highest first; the numeric order is the scheduling order.
enum class Priority : int8_t { Idle = -64, Over = -2, Under = -1, Boost = 0 };

enum class Location : uint8_t { None, Queued, Current };

using UnitHook = boost::intrusive::list_member_hook<>;

class SchedUnit {
public:
    explicit SchedUnit(void* owner_ = nullptr) : owner(owner_) {}
    ~SchedUnit();
    SchedUnit(const SchedUnit&) = delete;
    SchedUnit& operator=(const SchedUnit&) = delete;

    void* owner;  // the caller's vCPU (nullptr for idle units)

    // Snapshots: exact while holding the unit's runqueue lock or when nothing runs concurrently
    // (tests); racy but harmless hints otherwise.
    bool registered() const { return registered_; }
    bool is_idle() const { return idle_; }
    SchedDomain* domain() const { return domain_; }
    uint32_t cpu() const { return cpu_.load(std::memory_order_relaxed); }
    Priority priority() const { return priority_; }
    Location location() const { return location_; }
    int32_t credit() const { return credit_.load(std::memory_order_relaxed); }
    bool online() const { return online_; }
    bool blocked() const { return blocked_; }
    bool parked() const { return parked_; }
    uint32_t pause_count() const { return pause_count_; }
    bool active() const { return active_.load(std::memory_order_relaxed); }
    bool runnable() const { return online_ && !blocked_ && !parked_ && pause_count_ == 0; }
    RunState rest_state() const { return blocked_ ? RunState::Blocked : RunState::Offline; }
    const RunstateAccount& runstate() const { return runstate_; }

private:
    friend class Scheduler;
    friend class RunQueue;
    friend class SchedDomain;

    UnitHook queue_hook_;   // in cpus[cpu_]'s runqueue while location_ == Queued
    UnitHook active_hook_;  // in domain_->active_units_ while active_
    UnitHook member_hook_;  // in domain_->units_ while registered_

    SchedDomain* domain_ = nullptr;
    std::atomic<uint32_t> cpu_{0};    // changes only with the old and the new CPU's locks held
    uint32_t last_ran_cpu_ = ~0u;     // CPU it last started running on (for Decision::migrated)
    Priority priority_ = Priority::Under;
    Location location_ = Location::None;
    bool registered_ = false;
    bool idle_ = false;
    bool online_ = false;
    bool blocked_ = false;
    bool parked_ = false;     // over its domain's cap: not runnable until accounting refills it
    bool yielding_ = false;   // asked to yield; cleared by the next schedule() on its CPU
    uint32_t pause_count_ = 0;
    std::atomic<bool> active_{false};  // in the accounting (written under the accounting lock)

    std::atomic<int32_t> credit_{0};   // written under the runqueue lock; read lock-free as a hint
    uint64_t burn_from_ = 0;           // run time before this has been charged
    uint64_t burn_residual_ns_ = 0;    // run time charged but not yet worth one credit
    uint64_t run_start_ = 0;           // when it last started running (rate limiting)

    RunstateAccount runstate_;
};

}  // namespace hv::sched
