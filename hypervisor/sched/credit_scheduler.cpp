// Scheduler: construction, domains, units and the state-changing operations (block, wake, pause,
// vCPU up/down, yield). schedule() and stealing are in credit_dispatch.cpp, tick()/account() in
// credit_accounting.cpp, check_invariants() in credit_invariants.cpp.
#include "sched/credit_scheduler.hpp"

#include <atomic>
#include <limits>

#include "seam/panic.hpp"

namespace hv::sched {

SchedUnit::~SchedUnit() { HV_ASSERT(!registered_ && "unit destroyed while still in the scheduler"); }

SchedDomain::~SchedDomain() { HV_ASSERT(!registered_ && "domain destroyed while still in the scheduler"); }

Status Scheduler::validate(const SchedulerConfig& config) {
    if (config.timeslice_ms < 1 || config.timeslice_ms > 1000)
        return Status::Range;
    if (config.ratelimit_us != 0 &&
        (config.ratelimit_us < 100 || config.ratelimit_us > 500000 ||
         uint64_t{config.ratelimit_us} * kNsPerUs > uint64_t{config.timeslice_ms} * kNsPerMs))
        return Status::Range;
    return Status::Ok;
}

Scheduler::Scheduler(uint32_t cpu_count, const SchedulerConfig& config, uint64_t now)
    : cpu_count_(cpu_count),
      timeslice_ns_(uint64_t{config.timeslice_ms} * kNsPerMs),
      // Xen: three ticks per slice, or one tick per slice for slices under 3 ms.
      tick_ns_(config.timeslice_ms < kTicksPerSlice ? uint64_t{config.timeslice_ms} * kNsPerMs
                                                    : uint64_t{config.timeslice_ms} * kNsPerMs / kTicksPerSlice),
      ratelimit_ns_(uint64_t{config.ratelimit_us} * kNsPerUs),
      credits_per_slice_(static_cast<int32_t>(config.timeslice_ms * kCreditsPerMs)) {
    HV_ASSERT(cpu_count >= 1 && cpu_count <= kMaxSchedCpus);
    HV_ASSERT(validate(config) == Status::Ok);
    uint64_t idle = 0;
    for (uint32_t c = 0; c < cpu_count_; ++c) {
        Cpu& cpu = cpus_[c];
        cpu.idle.idle_ = true;
        cpu.idle.priority_ = Priority::Idle;
        cpu.idle.cpu_.store(c, std::memory_order_relaxed);
        cpu.idle.location_ = Location::Current;
        cpu.idle.online_ = true;
        cpu.idle.runstate_.start(RunState::Running, now);
        cpu.current = &cpu.idle;
        idle |= uint64_t{1} << c;
    }
    idle_mask_.store(idle, std::memory_order_relaxed);
}

Scheduler::~Scheduler() {
    HV_ASSERT(domains_.empty() && "scheduler destroyed with domains still registered");
}

// ---------------------------------------------------------------------------------------------
// Locking helpers

// TicketLock::try_lock reads the owner ticket relaxed, so by itself it does not order this critical
// section after the previous holder's. The acquire fence does: it pairs with the release store of
// the unlock whose value that relaxed load read. (Redundant once try_lock loads with acquire.)
bool Scheduler::try_acquire(TicketLock& lock) {
    if (!lock.try_lock())
        return false;
    std::atomic_thread_fence(std::memory_order_acquire);
    return true;
}

uint32_t Scheduler::lock_unit(const SchedUnit& unit) const {
    for (;;) {
        const uint32_t c = unit.cpu_.load(std::memory_order_acquire);
        cpus_[c].lock.lock();
        if (unit.cpu_.load(std::memory_order_relaxed) == c)
            return c;
        cpus_[c].lock.unlock();  // it moved while we waited: follow it
    }
}

void Scheduler::lock_pair(uint32_t a, uint32_t b) const {
    if (a == b) {
        cpus_[a].lock.lock();
    } else if (a < b) {
        cpus_[a].lock.lock();
        cpus_[b].lock.lock();
    } else {
        cpus_[b].lock.lock();
        cpus_[a].lock.lock();
    }
}

void Scheduler::unlock_pair(uint32_t a, uint32_t b) const {
    cpus_[a].lock.unlock();
    if (b != a)
        cpus_[b].lock.unlock();
}

bool Scheduler::cpu_idle_locked(uint32_t cpu) const {
    return cpus_[cpu].current->idle_ && cpus_[cpu].queue.empty();
}

void Scheduler::note_idle(uint32_t cpu) { idle_mask_.fetch_or(uint64_t{1} << cpu, std::memory_order_acq_rel); }

void Scheduler::note_busy(uint32_t cpu) { idle_mask_.fetch_and(~(uint64_t{1} << cpu), std::memory_order_acq_rel); }

bool Scheduler::claim_cpu(uint32_t cpu) {
    const uint64_t bit = uint64_t{1} << cpu;
    return (idle_mask_.fetch_and(~bit, std::memory_order_acq_rel) & bit) != 0;
}

uint32_t Scheduler::idle_hint_for(uint32_t last_cpu) const {
    const CpuMask idle = CpuMask::from_bits(idle_mask_.load(std::memory_order_acquire));
    if (idle.test(last_cpu))
        return last_cpu;
    const uint32_t other = idle.cycle_after(last_cpu);
    return other == kNoCpu ? last_cpu : other;
}

// Takes one CPU out of the idle mask (other than `except`) so that two wake-ups do not both send
// their work to it; it gets an IPI and will steal. kNoCpu if none is idle.
uint32_t Scheduler::claim_idle_cpu(uint32_t except) {
    uint64_t bits = idle_mask_.load(std::memory_order_acquire);
    for (;;) {
        const CpuMask candidates = CpuMask::from_bits(bits & ~(uint64_t{1} << except));
        const uint32_t cpu = candidates.cycle_after(except);
        if (cpu == kNoCpu)
            return kNoCpu;
        if (idle_mask_.compare_exchange_weak(bits, bits & ~(uint64_t{1} << cpu), std::memory_order_acq_rel))
            return cpu;
    }
}

// ---------------------------------------------------------------------------------------------
// Domains

Status Scheduler::add_domain(SchedDomain& domain, uint16_t weight, uint16_t cap) {
    if (weight == 0 || cap > kMaxCap)
        return Status::InvalidArgument;
    LockGuard guard(accounting_lock_);
    if (domain.registered_)
        return Status::Exists;
    domain.weight_ = weight;
    domain.cap_ = cap;
    domain.active_count_ = 0;
    domain.registered_ = true;
    domains_.push_back(domain);
    return Status::Ok;
}

Status Scheduler::set_domain_params(SchedDomain& domain, uint16_t weight, uint16_t cap) {
    if (weight == 0 || cap > kMaxCap)
        return Status::InvalidArgument;
    LockGuard guard(accounting_lock_);
    if (!domain.registered_)
        return Status::NotFound;
    active_weight_ -= uint64_t{domain.weight_} * domain.active_count_;
    active_weight_ += uint64_t{weight} * domain.active_count_;
    domain.weight_ = weight;
    domain.cap_ = cap;
    return Status::Ok;
}

Status Scheduler::remove_domain(SchedDomain& domain) {
    LockGuard guard(accounting_lock_);
    if (!domain.registered_)
        return Status::NotFound;
    if (!domain.units_.empty())
        return Status::Busy;
    HV_ASSERT(domain.active_count_ == 0 && !domain.active_hook_.is_linked());
    domains_.erase(domains_.iterator_to(domain));
    domain.registered_ = false;
    return Status::Ok;
}

// ---------------------------------------------------------------------------------------------
// Units

Status Scheduler::add_unit(SchedUnit& unit, SchedDomain& domain, uint32_t cpu, uint64_t now) {
    if (cpu >= cpu_count_)
        return Status::InvalidArgument;
    LockGuard accounting(accounting_lock_);
    if (!domain.registered_)
        return Status::NotFound;
    if (unit.registered_ || unit.idle_)
        return Status::Exists;
    LockGuard runqueue(cpus_[cpu].lock);
    unit.domain_ = &domain;
    unit.cpu_.store(cpu, std::memory_order_release);
    unit.last_ran_cpu_ = kNoCpu;
    unit.priority_ = Priority::Under;
    unit.location_ = Location::None;
    unit.online_ = false;
    unit.blocked_ = false;
    unit.parked_ = false;
    unit.yielding_ = false;
    unit.pause_count_ = 0;
    unit.active_.store(false, std::memory_order_relaxed);
    unit.credit_.store(0, std::memory_order_relaxed);
    unit.burn_from_ = now;
    unit.burn_residual_ns_ = 0;
    unit.run_start_ = now;
    unit.runstate_.start(RunState::Offline, now);
    unit.registered_ = true;
    domain.units_.push_back(unit);
    return Status::Ok;
}

CpuMask Scheduler::remove_unit(SchedUnit& unit, uint64_t now) {
    LockGuard accounting(accounting_lock_);
    HV_ASSERT(unit.registered_);
    const uint32_t c = lock_unit(unit);
    Cpu& cpu = cpus_[c];
    CpuMask kicks;
    switch (unit.location_) {
    case Location::Current:
        // Its CPU is still executing it; from here on the scheduler says "idle" for that CPU,
        // and the IPI makes it call schedule() to find real work.
        cpu.current = &cpu.idle;
        cpu.idle.location_ = Location::Current;
        cpu.idle.runstate_.change(RunState::Running, now);
        unit.location_ = Location::None;
        kicks.set(c);
        break;
    case Location::Queued:
        cpu.queue.remove(unit);
        break;
    case Location::None:
        break;
    }
    unit.runstate_.change(RunState::Offline, now);
    if (unit.active_.load(std::memory_order_relaxed))
        deactivate_locked(unit);
    unit.domain_->units_.erase(unit.domain_->units_.iterator_to(unit));
    unit.domain_ = nullptr;
    unit.registered_ = false;
    cpu.lock.unlock();
    return kicks;
}

// ---------------------------------------------------------------------------------------------
// Transitions

// After a change that can only make `unit` less runnable (its CPU's lock held): take it out of its
// runqueue, or ask its CPU to switch it out.
CpuMask Scheduler::settle_stopped(SchedUnit& unit, uint64_t now) {
    if (unit.runnable())
        return {};
    const uint32_t c = unit.cpu_.load(std::memory_order_relaxed);
    switch (unit.location_) {
    case Location::Current:
        return CpuMask::of(c);  // schedule() records the runstate when it switches the unit out
    case Location::Queued:
        cpus_[c].queue.remove(unit);
        unit.runstate_.change(unit.rest_state(), now);
        return {};
    case Location::None:
        unit.runstate_.change(unit.rest_state(), now);
        return {};
    }
    return {};
}

// Queues a runnable unit on `cpu` (whose lock is held, unit.cpu() == cpu) and works out who must
// reschedule (Xen's "tickle"): that CPU if it is idle and not yet claimed; else an idle CPU, which
// will steal the unit, rather than preempting a unit that would then wait; else that CPU if the
// unit outranks its current one. Claiming (clearing the idle bit) one CPU per queued unit is what
// keeps two units from both counting on the same idle CPU.
CpuMask Scheduler::enqueue_and_tickle(SchedUnit& unit, uint32_t cpu, uint64_t now) {
    HV_ASSERT(unit.runnable() && unit.location_ == Location::None);
    unit.runstate_.change(RunState::Runnable, now);
    Cpu& target = cpus_[cpu];
    target.queue.insert(unit);
    const bool was_unclaimed = claim_cpu(cpu);
    if (target.current->idle_ && was_unclaimed)
        return CpuMask::of(cpu);
    CpuMask kicks;
    if (target.current->idle_)
        kicks.set(cpu);  // already claimed for other work: it still has to look at its queue
    if (const uint32_t helper = claim_idle_cpu(cpu); helper != kNoCpu)
        kicks.set(helper);
    else if (unit.priority_ > target.current->priority_)
        kicks.set(cpu);
    return kicks;
}

// `unit` may just have become runnable; the locks of `last` (== unit.cpu()) and `hint` are held.
CpuMask Scheduler::place(SchedUnit& unit, uint32_t last, uint32_t hint, uint64_t now, bool boost) {
    if (!unit.runnable()) {
        if (unit.location_ == Location::None)
            unit.runstate_.change(unit.rest_state(), now);  // e.g. woken while paused: now Offline
        return {};
    }
    if (unit.location_ != Location::None)
        return {};  // still Current: it never left its CPU, whose pending schedule() keeps it
    uint32_t target = last;
    if (!cpu_idle_locked(last) && hint != last && cpu_idle_locked(hint))
        target = hint;
    if (target != last)
        unit.cpu_.store(target, std::memory_order_release);
    // Xen boosts only from Under: an Over unit has had its share, a parked one is being held back.
    if (boost && unit.priority_ == Priority::Under)
        unit.priority_ = Priority::Boost;
    return enqueue_and_tickle(unit, target, now);
}

// Runs `mutate` (which may make the unit runnable) under the locks of the unit's CPU and of the
// CPU we would like to move it to, then places it.
template <typename Mutate>
CpuMask Scheduler::release(SchedUnit& unit, uint64_t now, bool boost, Mutate mutate) {
    uint32_t last;
    uint32_t hint;
    for (;;) {
        last = unit.cpu_.load(std::memory_order_acquire);
        hint = idle_hint_for(last);
        lock_pair(last, hint);
        if (unit.cpu_.load(std::memory_order_relaxed) == last)
            break;
        unlock_pair(last, hint);
    }
    HV_ASSERT(unit.registered_);
    const bool was_runnable = unit.runnable();
    mutate(unit);
    CpuMask kicks;
    if (!was_runnable)
        kicks = place(unit, last, hint, now, boost);
    unlock_pair(last, hint);
    return kicks;
}

CpuMask Scheduler::wake(SchedUnit& unit, uint64_t now) {
    return release(unit, now, true, [](SchedUnit& u) { u.blocked_ = false; });
}

CpuMask Scheduler::unpause(SchedUnit& unit, uint64_t now) {
    return release(unit, now, true, [](SchedUnit& u) {
        HV_ASSERT(u.pause_count_ > 0 && "unpause without pause");
        --u.pause_count_;
    });
}

CpuMask Scheduler::vcpu_up(SchedUnit& unit, uint64_t now) {
    return release(unit, now, true, [](SchedUnit& u) { u.online_ = true; });
}

CpuMask Scheduler::block(SchedUnit& unit, uint64_t now) {
    const uint32_t c = lock_unit(unit);
    HV_ASSERT(unit.registered_);
    unit.blocked_ = true;
    const CpuMask kicks = settle_stopped(unit, now);
    cpus_[c].lock.unlock();
    return kicks;
}

CpuMask Scheduler::pause(SchedUnit& unit, uint64_t now) {
    const uint32_t c = lock_unit(unit);
    HV_ASSERT(unit.registered_);
    HV_ASSERT(unit.pause_count_ < ~0u && "pause count overflow");
    ++unit.pause_count_;
    const CpuMask kicks = settle_stopped(unit, now);
    cpus_[c].lock.unlock();
    return kicks;
}

CpuMask Scheduler::vcpu_down(SchedUnit& unit, uint64_t now) {
    const uint32_t c = lock_unit(unit);
    HV_ASSERT(unit.registered_);
    unit.online_ = false;
    const CpuMask kicks = settle_stopped(unit, now);
    cpus_[c].lock.unlock();
    return kicks;
}

CpuMask Scheduler::yield(SchedUnit& unit) {
    const uint32_t c = lock_unit(unit);
    HV_ASSERT(unit.registered_);
    CpuMask kicks;
    if (unit.location_ == Location::Current) {
        unit.yielding_ = true;
        kicks.set(c);
    }
    cpus_[c].lock.unlock();
    return kicks;
}

// Charges the run time since burn_from_ at 10 credits per ms, carrying the remainder, so the total
// charged equals the total run time exactly. Saturates far below any reachable credit.
void Scheduler::burn(SchedUnit& unit, uint64_t now) {
    if (now <= unit.burn_from_)
        return;
    const uint64_t ns = (now - unit.burn_from_) + unit.burn_residual_ns_;
    unit.burn_from_ = now;
    unit.burn_residual_ns_ = ns % kNsPerCredit;
    const uint64_t credits = ns / kNsPerCredit;
    if (credits == 0)
        return;
    constexpr int64_t kFloor = std::numeric_limits<int32_t>::min() / 2;
    int64_t credit = unit.credit_.load(std::memory_order_relaxed);
    credit = credits >= uint64_t{std::numeric_limits<int32_t>::max()} ? kFloor
                                                                       : credit - static_cast<int64_t>(credits);
    if (credit < kFloor)
        credit = kFloor;
    unit.credit_.store(static_cast<int32_t>(credit), std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------------------------
// Queries

bool Scheduler::needs_tick(uint32_t cpu) const {
    HV_ASSERT(cpu < cpu_count_);
    LockGuard guard(cpus_[cpu].lock);
    return !cpus_[cpu].current->idle_;
}

SchedUnit& Scheduler::current(uint32_t cpu) const {
    HV_ASSERT(cpu < cpu_count_);
    LockGuard guard(cpus_[cpu].lock);
    return *cpus_[cpu].current;
}

uint32_t Scheduler::queued(uint32_t cpu) const {
    HV_ASSERT(cpu < cpu_count_);
    LockGuard guard(cpus_[cpu].lock);
    return cpus_[cpu].queue.size();
}

bool Scheduler::cpu_idle(uint32_t cpu) const {
    HV_ASSERT(cpu < cpu_count_);
    LockGuard guard(cpus_[cpu].lock);
    return cpu_idle_locked(cpu);
}

bool Scheduler::is_running(const SchedUnit& unit) const {
    const uint32_t c = lock_unit(unit);
    const bool running = unit.location_ == Location::Current;
    cpus_[c].lock.unlock();
    return running;
}

}  // namespace hv::sched
