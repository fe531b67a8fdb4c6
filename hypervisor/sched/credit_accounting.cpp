// Scheduler::tick() and account(): credit burn, boost expiry, and the periodic redistribution of
// credits by weight (Xen csched_tick / csched_acct, restated).
//
// account() in one paragraph: each period the CPUs supply credits_per_slice credits each (plus any
// deficit the active units ran up, so a negative balance converges back to zero). Each active
// domain's fair share is that supply times weight * active_count / total weight, rounded up. A
// domain may not bank more than one slice per active unit (or its cap); what it cannot take is
// offered to the domains still to come, and domains left with spare credit move to the front so
// the others get first pick next time. Each unit then gets its domain's share divided evenly, its
// priority follows the sign of its credit, and credits are clipped to one slice either way.
#include "sched/credit_scheduler.hpp"

#include "seam/panic.hpp"

namespace hv::sched {
namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

void Scheduler::activate_locked(SchedUnit& unit) {
    SchedDomain& domain = *unit.domain_;
    HV_ASSERT(!unit.active_.load(std::memory_order_relaxed));
    unit.active_.store(true, std::memory_order_relaxed);
    active_units_.fetch_add(1, std::memory_order_relaxed);
    domain.active_units_.push_back(unit);
    if (domain.active_count_++ == 0)
        active_domains_.push_back(domain);
    active_weight_ += domain.weight_;
}

void Scheduler::deactivate_locked(SchedUnit& unit) {
    SchedDomain& domain = *unit.domain_;
    HV_ASSERT(unit.active_.load(std::memory_order_relaxed) && domain.active_count_ > 0);
    HV_ASSERT(active_weight_ >= domain.weight_);
    unit.active_.store(false, std::memory_order_relaxed);
    active_units_.fetch_sub(1, std::memory_order_relaxed);
    domain.active_units_.erase(domain.active_units_.iterator_to(unit));
    if (--domain.active_count_ == 0)
        active_domains_.erase(active_domains_.iterator_to(domain));
    active_weight_ -= domain.weight_;
}

// A unit that has just run rejoins the accounting. Called with its runqueue lock held, which ranks
// below the accounting lock: so only try it; tick() takes the locks in order if this fails.
void Scheduler::try_activate(SchedUnit& unit) {
    if (unit.active_.load(std::memory_order_relaxed) || !try_acquire(accounting_lock_))
        return;
    if (!unit.active_.load(std::memory_order_relaxed))
        activate_locked(unit);
    accounting_lock_.unlock();
}

void Scheduler::tick(uint32_t cpu, uint64_t now) {
    HV_ASSERT(cpu < cpu_count_);
    Cpu& self = cpus_[cpu];
    bool activate = false;
    {
        LockGuard guard(self.lock);
        SchedUnit* const unit = self.current;
        if (!unit->idle_) {
            burn(*unit, now);
            // Found running at a tick: it uses real CPU time, so its wake-up boost is over.
            if (unit->priority_ == Priority::Boost)
                unit->priority_ = Priority::Under;
            activate = !unit->active_.load(std::memory_order_relaxed);
        }
    }
    if (activate) {
        // Lock order: accounting before runqueue, so drop and retake; re-check what runs now.
        LockGuard accounting(accounting_lock_);
        LockGuard guard(self.lock);
        SchedUnit* const unit = self.current;
        if (!unit->idle_ && !unit->active_.load(std::memory_order_relaxed))
            activate_locked(*unit);
    }
}

CpuMask Scheduler::account(uint64_t now) {
    LockGuard accounting(accounting_lock_);
    if (active_weight_ == 0) {
        credit_balance_ = 0;
        return {};
    }
    const uint64_t per_slice = static_cast<uint64_t>(credits_per_slice_);
    const uint64_t weight_total = active_weight_;
    const uint64_t deficit = credit_balance_ < 0 ? static_cast<uint64_t>(-credit_balance_) : 0;
    uint64_t credit_total = per_slice * cpu_count_ + deficit;
    uint64_t weight_left = weight_total;
    bool spare_seen = false;
    int64_t balance = 0;
    CpuMask kicks;

    for (auto it = active_domains_.begin(); it != active_domains_.end();) {
        SchedDomain& domain = *it++;
        const uint64_t count = domain.active_count_;
        const uint64_t weight = domain.weight_;
        HV_ASSERT(count > 0 && weight * count <= weight_left);
        weight_left -= weight * count;

        uint64_t peak = count * per_slice;
        if (deficit != 0)
            peak += ceil_div(deficit * weight * count, weight_total);
        uint64_t unit_cap = 0;
        if (domain.cap_ != 0) {
            const uint64_t cap_credit = ceil_div(uint64_t{domain.cap_} * per_slice, 100);
            if (cap_credit < peak)
                peak = cap_credit;
            unit_cap = ceil_div(cap_credit, count);
        }
        uint64_t fair = ceil_div(credit_total * weight * count, weight_total);
        if (fair < peak) {
            spare_seen = true;
        } else {
            if (weight_left != 0)
                credit_total += ceil_div((fair - peak) * weight_total, weight_left);
            if (spare_seen)
                active_domains_.splice(active_domains_.begin(), active_domains_,
                                       active_domains_.iterator_to(domain));
            fair = peak;
        }
        const int32_t grant = static_cast<int32_t>(ceil_div(fair, count));
        const int32_t park_below = -static_cast<int32_t>(unit_cap);

        for (auto u = domain.active_units_.begin(); u != domain.active_units_.end();) {
            SchedUnit& unit = *u++;  // may be deactivated (unlinked) below
            kicks |= account_unit_locked(unit, grant, park_below, domain.cap_ != 0, now, balance);
        }
    }
    credit_balance_ = balance;
    return kicks;
}

// One active unit's share of an accounting period. Takes (and drops) the unit's runqueue lock.
CpuMask Scheduler::account_unit_locked(SchedUnit& unit, int32_t grant, int32_t park_below, bool capped,
                                       uint64_t now, int64_t& balance) {
    const uint32_t c = lock_unit(unit);
    Cpu& cpu = cpus_[c];
    CpuMask kicks;
    int32_t credit = unit.credit_.load(std::memory_order_relaxed) + grant;
    const Priority old = unit.priority_;
    bool unpark = false;
    if (credit < 0) {
        unit.priority_ = Priority::Over;
        if (capped && credit < park_below && !unit.parked_) {
            unit.parked_ = true;
            kicks |= settle_stopped(unit, now);
        }
        if (credit < -credits_per_slice_)
            credit = -credits_per_slice_;
    } else {
        unit.priority_ = Priority::Under;
        unpark = unit.parked_;
        if (credit > credits_per_slice_) {
            // Not using its share: leave the accounting, keeping half as a head start.
            deactivate_locked(unit);
            credit /= 2;
        }
    }
    unit.credit_.store(credit, std::memory_order_relaxed);
    if (unit.priority_ != old && unit.location_ == Location::Queued)
        cpu.queue.reposition(unit);
    if (unpark) {
        // Back within its cap: runnable again on its own CPU, without a boost (it did not wake).
        unit.parked_ = false;
        if (unit.runnable() && unit.location_ == Location::None)
            kicks |= enqueue_and_tickle(unit, c, now);
        else if (unit.location_ == Location::None)
            unit.runstate_.change(unit.rest_state(), now);
    }
    balance += credit;
    cpu.lock.unlock();
    return kicks;
}

}  // namespace hv::sched
