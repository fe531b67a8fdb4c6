// Scheduler: a weighted, work-conserving credit scheduler modelled on Xen's credit1
// (xen/common/sched/credit.c), with the clock and the IPIs as plain values so the host tests can
// drive it with a fake clock and fake CPUs.
//
// Model
//  - Every physical CPU has a runqueue (run_queue.hpp) and an idle unit; `current` is the unit it
//    runs (its idle unit when it has nothing to do). Guest units (sched_unit.hpp) belong to a
//    SchedDomain (weight, cap). A unit is Current on one CPU, Queued on one CPU, or nowhere.
//  - Credits: 10 per ms of CPU time (Xen CSCHED_CREDITS_PER_MSEC). Running burns them (schedule()
//    and tick()); account(), every timeslice (30 ms), hands out timeslice * 10 credits per CPU among
//    the active units in proportion to their domains' weights, honouring caps. Credit >= 0 is Under,
//    < 0 is Over; a unit woken from Under is boosted until the next tick() finds it running.
//    Credits are clipped to [-credits_per_slice, +credits_per_slice]; a unit that exceeds the top
//    stops being active (its credit halves), so a domain that sleeps stops costing the accounting
//    anything. It becomes active again as soon as it has run: at its next tick() or when schedule()
//    switches it out (Xen only at a tick, so a unit whose short bursts keep missing the ticks burns
//    credit without ever being refilled and loses its boost; we close that gap). A capped unit
//    that overspends by more than its cap is parked (not runnable, runstate Offline) until its
//    credit is back to >= 0.
//  - Placement: a unit that becomes runnable goes to its last CPU if that is idle, else to an idle
//    CPU, else back to its last CPU, preempting the unit running there if it has lower priority.
//    Whenever a unit is left waiting in a runqueue while some CPU is idle, that idle CPU is
//    "claimed" (taken out of the idle mask, one per waiting unit) and returned for an IPI; there,
//    schedule() finds nothing local and steals. schedule() steals whenever its best local choice
//    is Over or nothing: the head of the peer runqueue with the highest priority above that, the
//    longest queue among equals. So a runnable unit never waits while a CPU is idle, once the
//    returned IPIs have been delivered.
//  - Time slices: timeslice (30 ms) for every unit, as in Xen (boosted units get no shorter slice;
//    their boost ends at the next tick). Rate limiting (Xen sched_ratelimit_us, 1 ms): a unit that
//    is still runnable and not yielding keeps its CPU until it has run ratelimit.
//  - Runstate (spec §8.3) is kept per unit with the exact `now` of each transition.
//
// What the caller does
//  - Every operation returns the CPUs that must call schedule() (a CpuMask): send them a reschedule
//    IPI (or raise the local schedule softirq). schedule(cpu, now) returns what to run, for how
//    long (call schedule() again when the slice expires) and Decision::kick, more CPUs to IPI.
//  - Arm cpu's tick timer (tick_period_ns(), 10 ms) while needs_tick(cpu): only while it runs a
//    guest unit, so an idle CPU has no periodic work at all.
//  - Run account() every accounting_period_ns() (30 ms) on one CPU while needs_accounting(): while
//    some unit is active. Check needs_accounting() after tick() and schedule() to start the
//    timer; once every domain has slept for a few periods it turns false and the timer stops.
//  - SCHEDOP_block: the caller checks for pending events first (with the upcall mask cleared),
//    then calls block(); an event arriving later calls wake().
//  - After remove_unit() of a running unit, the vCPU must not be freed until its CPU has passed
//    through schedule() (the scheduler itself forgets the unit at once).
//
// Locking (lock order, outermost first):
//     accounting lock  <  runqueue lock of CPU i  <  runqueue lock of CPU j (i < j)
//  - The accounting lock protects the domain lists, domain weight/cap, the active lists, the
//    total active weight and the credit balance.
//  - CPU c's runqueue lock protects c's runqueue and current unit, and every field of each unit
//    whose cpu() is c (flags, priority, location, credit writes, runstate). A unit's cpu() changes
//    only with both the old and the new CPU's locks held; lock_unit() locks cpu() and re-checks.
//  - schedule() holds its own CPU's lock and steals from a higher-numbered peer by locking it, from
//    a lower-numbered one only with try_lock (skipping it when busy), so the order is never
//    inverted. Likewise it only try_locks the accounting lock to re-activate the unit it switches
//    out (tick() does it properly if the try fails). Waking takes the last and the target CPU's
//    locks in id order.
//  - idle mask and the runqueues' size/head hints are atomics read without locks; they are only
//    hints, always re-checked under the lock.
//  - No lock is held when an operation returns; nothing here sends IPIs, arms timers or allocates.
//  - Nothing is interrupt-safe by itself: the kernel calls these with interrupts disabled (the
//    scheduler is entered from the reschedule IPI and timer interrupt paths).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include <boost/intrusive/list.hpp>

#include "lib/spinlock.hpp"
#include "lib/status.hpp"
#include "sched/cpu_mask.hpp"
#include "sched/run_queue.hpp"
#include "sched/sched_domain.hpp"
#include "sched/sched_unit.hpp"

namespace hv::sched {

struct SchedulerConfig {
    uint32_t timeslice_ms = 30;    // Xen sched_credit_tslice_ms, 1..1000
    uint32_t ratelimit_us = 1000;  // Xen sched_ratelimit_us: 0 (off) or 100..500000, <= timeslice
};

inline constexpr uint64_t kNsPerMs = 1'000'000;
inline constexpr uint64_t kNsPerUs = 1'000;
inline constexpr uint32_t kCreditsPerMs = 10;                       // Xen CSCHED_CREDITS_PER_MSEC
inline constexpr uint64_t kNsPerCredit = kNsPerMs / kCreditsPerMs;  // 100 us of CPU time
inline constexpr uint32_t kTicksPerSlice = 3;                       // Xen CSCHED_TICKS_PER_TSLICE
inline constexpr uint64_t kMinSliceNs = 100 * kNsPerUs;             // Xen CSCHED_MIN_TIMER
inline constexpr uint16_t kMaxCap = 100 * kMaxSchedCpus;            // cap in % of one CPU

struct Decision {
    SchedUnit* unit = nullptr;  // what to run next: a guest unit, or this CPU's idle unit
    uint64_t slice_ns = 0;      // call schedule() again after this long; 0: none (idle, wait for an IPI)
    bool migrated = false;      // a guest unit that last ran on another CPU (not on its first run)
    CpuMask kick;               // idle CPUs to IPI: units still wait here, they should steal them
};

class Scheduler {
public:
    [[nodiscard]] static Status validate(const SchedulerConfig& config);

    // cpu_count CPUs (1..64), all starting idle at time `now`. The config must validate().
    explicit Scheduler(uint32_t cpu_count, const SchedulerConfig& config = {}, uint64_t now = 0);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // --- Domains: weight 1..65535 (Xen default 256), cap 0 (none) or % of one CPU up to kMaxCap.
    [[nodiscard]] Status add_domain(SchedDomain& domain, uint16_t weight = kDefaultWeight, uint16_t cap = 0);
    [[nodiscard]] Status set_domain_params(SchedDomain& domain, uint16_t weight, uint16_t cap);
    [[nodiscard]] Status remove_domain(SchedDomain& domain);  // Busy while it still has units

    // --- Units (vCPUs). A new unit is down (Offline) on `cpu` until vcpu_up().
    [[nodiscard]] Status add_unit(SchedUnit& unit, SchedDomain& domain, uint32_t cpu, uint64_t now);
    CpuMask remove_unit(SchedUnit& unit, uint64_t now);
    CpuMask vcpu_up(SchedUnit& unit, uint64_t now);
    CpuMask vcpu_down(SchedUnit& unit, uint64_t now);

    // Blocked -> runnable, boosted if Under. No-op for a unit that is not blocked.
    CpuMask wake(SchedUnit& unit, uint64_t now);
    // Marks the unit blocked; if it is running its CPU must reschedule (it is usually the caller).
    CpuMask block(SchedUnit& unit, uint64_t now);
    // The running unit gives up its CPU to units of equal priority. No-op if it is not running.
    CpuMask yield(SchedUnit& unit);
    // Counted pause (domain pause, vcpu_pause): not runnable until as many unpauses.
    CpuMask pause(SchedUnit& unit, uint64_t now);
    CpuMask unpause(SchedUnit& unit, uint64_t now);

    Decision schedule(uint32_t cpu, uint64_t now);
    void tick(uint32_t cpu, uint64_t now);
    CpuMask account(uint64_t now);  // returns the CPUs to kick for parked and unparked units

    bool needs_tick(uint32_t cpu) const;
    bool needs_accounting() const { return active_units_.load(std::memory_order_relaxed) != 0; }
    uint64_t tick_period_ns() const { return tick_ns_; }
    uint64_t accounting_period_ns() const { return timeslice_ns_; }
    uint64_t timeslice_ns() const { return timeslice_ns_; }
    int32_t credits_per_slice() const { return credits_per_slice_; }
    uint32_t cpu_count() const { return cpu_count_; }

    // Snapshots for the caller and the tests.
    SchedUnit& current(uint32_t cpu) const;
    const SchedUnit& idle_unit(uint32_t cpu) const { return cpus_[cpu].idle; }
    uint32_t queued(uint32_t cpu) const;
    bool cpu_idle(uint32_t cpu) const;  // runs its idle unit and has nothing queued
    bool is_running(const SchedUnit& unit) const;

    // Walks every structure under all locks; returns nullptr if consistent, else what is wrong.
    const char* check_invariants() const;

private:
    struct Cpu {
        mutable TicketLock lock;
        RunQueue queue;
        SchedUnit idle;
        SchedUnit* current = nullptr;  // never null once constructed: &idle when idle
    };

    using DomainList = boost::intrusive::list<
        SchedDomain, boost::intrusive::member_hook<SchedDomain, boost::intrusive::list_member_hook<>,
                                                   &SchedDomain::domain_hook_>>;
    using ActiveDomainList = boost::intrusive::list<
        SchedDomain, boost::intrusive::member_hook<SchedDomain, boost::intrusive::list_member_hook<>,
                                                   &SchedDomain::active_hook_>>;

    // Locking helpers (credit_scheduler.cpp).
    static bool try_acquire(TicketLock& lock);
    uint32_t lock_unit(const SchedUnit& unit) const;  // returns the CPU whose lock is now held
    void lock_pair(uint32_t a, uint32_t b) const;
    void unlock_pair(uint32_t a, uint32_t b) const;

    bool cpu_idle_locked(uint32_t cpu) const;
    void note_idle(uint32_t cpu);
    void note_busy(uint32_t cpu);
    bool claim_cpu(uint32_t cpu);  // clears its idle bit; true if it was set
    uint32_t idle_hint_for(uint32_t last_cpu) const;
    uint32_t claim_idle_cpu(uint32_t except);

    // State transitions, with the unit's runqueue lock held.
    CpuMask settle_stopped(SchedUnit& unit, uint64_t now);
    CpuMask enqueue_and_tickle(SchedUnit& unit, uint32_t cpu, uint64_t now);
    CpuMask place(SchedUnit& unit, uint32_t last, uint32_t hint, uint64_t now, bool boost);
    template <typename Mutate>
    CpuMask release(SchedUnit& unit, uint64_t now, bool boost, Mutate mutate);
    void burn(SchedUnit& unit, uint64_t now);

    // Dispatch (credit_dispatch.cpp).
    SchedUnit* steal(uint32_t cpu, Priority floor);

    // Accounting (credit_accounting.cpp), with the accounting lock held.
    void activate_locked(SchedUnit& unit);
    void try_activate(SchedUnit& unit);
    void deactivate_locked(SchedUnit& unit);
    CpuMask account_unit_locked(SchedUnit& unit, int32_t grant, int32_t park_below, bool capped,
                                uint64_t now, int64_t& balance);

    const char* check_cpu_locked(uint32_t cpu) const;
    const char* check_unit_locked(const SchedUnit& unit) const;

    uint32_t cpu_count_;
    uint64_t timeslice_ns_;
    uint64_t tick_ns_;
    uint64_t ratelimit_ns_;
    int32_t credits_per_slice_;

    std::array<Cpu, kMaxSchedCpus> cpus_;
    std::atomic<uint64_t> idle_mask_{0};     // hint: CPUs believed idle and unclaimed
    std::atomic<uint32_t> active_units_{0};  // number of active units (written under the accounting lock)

    mutable TicketLock accounting_lock_;
    DomainList domains_;
    ActiveDomainList active_domains_;
    uint64_t active_weight_ = 0;   // sum of weight * active_count over active domains
    int64_t credit_balance_ = 0;   // sum of active units' credits after the last account()
};

}  // namespace hv::sched
