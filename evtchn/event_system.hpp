// The registry of event domains, found by domain id for interdomain operations, plus the
// system-wide seams and Xen's global-VIRQ routing (send_global_virq).
//
// Invariants:
//  - At most one registered EventDomain per id; ids are below xen::domid_first_reserved.
//  - A DomainRef keeps its domain registered-or-being-removed: remove() unlinks the domain
//    first (no new lookups) and then waits until every DomainRef to it is gone.
//  - global_virq_handler[v] is an id (or none) for global VIRQ v; send_global_virq goes
//    there, else to the hardware domain, as Xen's does.
// Locking: registry_lock_ is the outermost event lock and is never held while taking
// any other (lookups take a reference and drop it).
#pragma once

#include <atomic>
#include <cstdint>

#include <boost/intrusive/set.hpp>

#include "evtchn/event_domain.hpp"
#include "evtchn/event_seams.hpp"
#include "lib/spinlock.hpp"
#include "lib/status.hpp"

namespace hv::evtchn {

// A counted reference to a registered domain (Xen: rcu_lock_domain_by_id).
class [[nodiscard]] DomainRef {
public:
    DomainRef() = default;
    explicit DomainRef(EventDomain* domain) : domain_(domain) {}  // takes over one count
    DomainRef(DomainRef&& other) noexcept : domain_(other.domain_) { other.domain_ = nullptr; }
    DomainRef& operator=(DomainRef&& other) noexcept;
    DomainRef(const DomainRef&) = delete;
    DomainRef& operator=(const DomainRef&) = delete;
    ~DomainRef() { reset(); }

    // Takes one more count on a domain the caller already knows to be alive (e.g. the
    // peer of an interdomain channel it holds locked).
    static DomainRef acquire(EventDomain& domain);

    explicit operator bool() const { return domain_ != nullptr; }
    EventDomain* get() const { return domain_; }
    EventDomain& operator*() const { return *domain_; }
    EventDomain* operator->() const { return domain_; }
    void reset();

private:
    EventDomain* domain_ = nullptr;
};

class EventSystem {
public:
    EventSystem(EventNotifier& notifier, ChannelPageAllocator& allocator, PirqHook& pirqs);
    EventSystem(const EventSystem&) = delete;
    EventSystem& operator=(const EventSystem&) = delete;

    EventNotifier& notifier() const { return notifier_; }
    ChannelPageAllocator& allocator() const { return allocator_; }
    PirqHook& pirqs() const { return pirqs_; }

    // Exists if the id is taken, InvalidArgument for a reserved id.
    [[nodiscard]] Status add(EventDomain& domain);
    // Unlinks and waits for outstanding references (see destroy_domain for the order).
    void remove(EventDomain& domain);

    // Empty ref if no such domain (Xen: rcu_lock_domain_by_id).
    DomainRef find(DomainId id);
    // DOMID_SELF means `caller` (Xen: rcu_lock_domain_by_any_id).
    DomainRef find_any(EventDomain& caller, DomainId id);

    // Global VIRQs not claimed by set_global_virq_handler go to this domain (dom0).
    void set_hardware_domain(DomainId id) { hardware_domain_.store(id, std::memory_order_relaxed); }
    // InvalidArgument for a per-vCPU or out-of-range VIRQ (Xen: set_global_virq_handler).
    [[nodiscard]] Status set_global_virq_handler(uint32_t virq, DomainId id);
    void clear_global_virq_handlers(DomainId id);
    DomainId global_virq_handler(uint32_t virq) const;

private:
    struct KeyOfDomain {
        using type = DomainId;
        DomainId operator()(const EventDomain& d) const { return d.id(); }
    };
    using Registry = boost::intrusive::set<
        EventDomain, boost::intrusive::member_hook<EventDomain, boost::intrusive::set_member_hook<>,
                                                   &EventDomain::registry_hook>,
        boost::intrusive::key_of_value<KeyOfDomain>, boost::intrusive::constant_time_size<false>>;

    static constexpr DomainId kNoHandler = xen::domid_invalid;

    EventNotifier& notifier_;
    ChannelPageAllocator& allocator_;
    PirqHook& pirqs_;
    TicketLock registry_lock_;
    Registry registry_;
    std::atomic<DomainId> hardware_domain_{0};
    std::atomic<DomainId> global_virq_handlers_[xen::virq_count];
};

}  // namespace hv::evtchn
