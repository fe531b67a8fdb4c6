#include "evtchn/event_system.hpp"

#include "seam/panic.hpp"

namespace hv::evtchn {

DomainRef& DomainRef::operator=(DomainRef&& other) noexcept {
    if (this != &other) {
        reset();
        domain_ = other.domain_;
        other.domain_ = nullptr;
    }
    return *this;
}

DomainRef DomainRef::acquire(EventDomain& domain) {
    domain.registry_refs.fetch_add(1, std::memory_order_acquire);
    return DomainRef(&domain);
}

void DomainRef::reset() {
    if (domain_ != nullptr) {
        domain_->registry_refs.fetch_sub(1, std::memory_order_release);
        domain_ = nullptr;
    }
}

EventSystem::EventSystem(EventNotifier& notifier, ChannelPageAllocator& allocator, PirqHook& pirqs)
    : notifier_(notifier), allocator_(allocator), pirqs_(pirqs) {
    for (auto& handler : global_virq_handlers_)
        handler.store(kNoHandler, std::memory_order_relaxed);
}

Status EventSystem::add(EventDomain& domain) {
    if (domain.id() >= xen::domid_first_reserved)
        return Status::InvalidArgument;
    LockGuard guard(registry_lock_);
    auto [position, inserted] = registry_.insert_unique(domain);
    (void)position;
    return inserted ? Status::Ok : Status::Exists;
}

void EventSystem::remove(EventDomain& domain) {
    {
        LockGuard guard(registry_lock_);
        if (!domain.registry_hook.is_linked())
            return;
        registry_.erase(registry_.iterator_to(domain));
    }
    // Like an RCU grace period: lookups made before the unlink finish with the domain.
    while (domain.registry_refs.load(std::memory_order_acquire) != 0)
        cpu_relax();
}

DomainRef EventSystem::find(DomainId id) {
    LockGuard guard(registry_lock_);
    auto it = registry_.find(id);
    if (it == registry_.end())
        return DomainRef();
    return DomainRef::acquire(*it);
}

DomainRef EventSystem::find_any(EventDomain& caller, DomainId id) {
    if (id == xen::domid_self)
        return DomainRef::acquire(caller);
    return find(id);
}

Status EventSystem::set_global_virq_handler(uint32_t virq, DomainId id) {
    if (virq >= xen::virq_count || !virq_is_global(virq))
        return Status::InvalidArgument;
    global_virq_handlers_[virq].store(id, std::memory_order_relaxed);
    return Status::Ok;
}

void EventSystem::clear_global_virq_handlers(DomainId id) {
    for (auto& handler : global_virq_handlers_) {
        DomainId expected = id;
        handler.compare_exchange_strong(expected, kNoHandler, std::memory_order_relaxed);
    }
}

DomainId EventSystem::global_virq_handler(uint32_t virq) const {
    HV_ASSERT(virq < xen::virq_count);
    DomainId id = global_virq_handlers_[virq].load(std::memory_order_relaxed);
    return id == kNoHandler ? hardware_domain_.load(std::memory_order_relaxed) : id;
}

}  // namespace hv::evtchn
