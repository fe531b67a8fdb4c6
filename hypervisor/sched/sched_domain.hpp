// SchedDomain: a domain's scheduling parameters and the accounting state of its units.
//
// Invariants (all under the scheduler's accounting lock):
//  - units_ holds exactly the registered units whose domain() is this domain.
//  - active_units_ holds exactly the units with active() set; active_count_ is its length, and the
//    domain is linked in the scheduler's active-domain list exactly while active_count_ > 0.
//  - weight_ >= 1. cap_ is a percentage of one physical CPU; 0 means uncapped.
//  - The scheduler's total active weight is the sum over active domains of weight_ * active_count_.
#pragma once

#include <cstdint>

#include <boost/intrusive/list.hpp>

#include "sched/sched_unit.hpp"

namespace hv::sched {

inline constexpr uint16_t kDefaultWeight = 256;  // Xen CSCHED_DEFAULT_WEIGHT

class SchedDomain {
public:
    explicit SchedDomain(void* owner_ = nullptr) : owner(owner_) {}
    ~SchedDomain();
    SchedDomain(const SchedDomain&) = delete;
    SchedDomain& operator=(const SchedDomain&) = delete;

    void* owner;  // the caller's domain

    bool registered() const { return registered_; }
    uint16_t weight() const { return weight_; }
    uint16_t cap() const { return cap_; }
    uint32_t unit_count() const { return static_cast<uint32_t>(units_.size()); }
    uint32_t active_count() const { return active_count_; }

private:
    friend class Scheduler;

    using MemberList = boost::intrusive::list<
        SchedUnit, boost::intrusive::member_hook<SchedUnit, UnitHook, &SchedUnit::member_hook_>>;
    using ActiveList = boost::intrusive::list<
        SchedUnit, boost::intrusive::member_hook<SchedUnit, UnitHook, &SchedUnit::active_hook_>>;

    boost::intrusive::list_member_hook<> domain_hook_;  // scheduler's list of all domains
    boost::intrusive::list_member_hook<> active_hook_;  // scheduler's list of active domains

    bool registered_ = false;
    uint16_t weight_ = kDefaultWeight;
    uint16_t cap_ = 0;
    uint32_t active_count_ = 0;
    MemberList units_;
    ActiveList active_units_;
};

}  // namespace hv::sched
