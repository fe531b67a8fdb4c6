// EVTCHNOP_alloc_unbound, bind_interdomain, bind_virq, bind_ipi, bind_pirq, bind_vcpu
// and status. Each checks in Xen's order (which decides the error code a guest sees
// when several things are wrong) and changes state only once every check has passed.
#include "evtchn/channel_locking.hpp"
#include "evtchn/delivery.hpp"
#include "evtchn/event_channels.hpp"

namespace hv::evtchn {
namespace {

// The port a pirq is bound to, 0 if none. Caller holds d.event_lock(). A scan: binding
// a pirq is rare (a handful per boot), raising one goes by port.
uint32_t port_of_pirq(EventDomain& d, uint32_t pirq) {
    const uint32_t valid = d.ports().valid_count();
    for (uint32_t port = 1; port < valid; ++port) {
        const EventChannel& channel = d.ports().at(port);
        if (channel.state.load(std::memory_order_relaxed) == ChannelState::Pirq && channel.pirq() == pirq)
            return port;
    }
    return 0;
}

}  // namespace

Result<uint32_t> alloc_unbound(EventDomain& caller, DomainId dom, DomainId remote_dom) {
    DomainRef d = caller.system().find_any(caller, dom);
    if (!d)
        return Status::NoSuchDomain;
    LockGuard guard(d->event_lock());
    Result<uint32_t> port = allocate_port(*d);
    if (!port.ok())
        return port.status();
    if (!caller.may_control(*d))
        return Status::Permission;

    EventChannel& channel = d->ports().at(*port);
    ChannelWriteLock write(channel);
    channel.unbound_remote = remote_dom == xen::domid_self ? caller.id() : remote_dom;
    commit_binding(*d, channel, ChannelState::Unbound);
    return *port;
}

Result<uint32_t> bind_interdomain(EventDomain& caller, DomainId remote_dom, uint32_t remote_port) {
    DomainRef remote = caller.system().find_any(caller, remote_dom);
    if (!remote)
        return Status::NoSuchDomain;
    DomainPairLock locks(caller, *remote);

    Result<uint32_t> local_port = allocate_port(caller);
    if (!local_port.ok())
        return local_port.status();
    EventChannel* remote_channel = remote->ports().find(remote_port);
    if (remote_channel == nullptr ||
        remote_channel->state.load(std::memory_order_relaxed) != ChannelState::Unbound ||
        remote_channel->unbound_remote != caller.id())
        return Status::InvalidArgument;

    EventChannel& local = caller.ports().at(*local_port);
    ChannelPairWriteLock write(caller, local, *remote, *remote_channel);
    local.remote_domain = remote.get();
    local.bound_value = remote_port;
    commit_binding(caller, local, ChannelState::Interdomain);
    remote_channel->remote_domain = &caller;
    remote_channel->bound_value = *local_port;
    remote_channel->unbound_remote = 0;
    remote_channel->state.store(ChannelState::Interdomain, std::memory_order_release);
    // The peer may have sent while its port was still unbound (dropped): always leave
    // the new port pending, as Xen does.
    delivery::raise(caller, local.notify_vcpu.load(std::memory_order_relaxed), local);
    return *local_port;
}

Result<uint32_t> bind_virq(EventDomain& caller, uint32_t virq, uint32_t vcpu) {
    if (virq >= xen::virq_count)
        return Status::InvalidArgument;
    if (virq_is_global(virq) && vcpu != 0)
        return Status::InvalidArgument;
    EventVcpu* v = caller.vcpu(vcpu);
    if (v == nullptr)
        return Status::NotFound;

    LockGuard guard(caller.event_lock());
    if (v->virq_port[virq].load(std::memory_order_relaxed) != 0)
        return Status::Exists;
    Result<uint32_t> port = allocate_port(caller);
    if (!port.ok())
        return port.status();

    EventChannel& channel = caller.ports().at(*port);
    {
        ChannelWriteLock write(channel);
        channel.notify_vcpu.store(static_cast<uint16_t>(vcpu), std::memory_order_relaxed);
        channel.bound_value = virq;
        commit_binding(caller, channel, ChannelState::Virq);
    }
    // Published last: raise_virq() finds only fully bound channels.
    v->virq_port[virq].store(*port, std::memory_order_release);
    return *port;
}

Result<uint32_t> bind_ipi(EventDomain& caller, uint32_t vcpu) {
    if (caller.vcpu(vcpu) == nullptr)
        return Status::NotFound;
    LockGuard guard(caller.event_lock());
    Result<uint32_t> port = allocate_port(caller);
    if (!port.ok())
        return port.status();

    EventChannel& channel = caller.ports().at(*port);
    ChannelWriteLock write(channel);
    channel.notify_vcpu.store(static_cast<uint16_t>(vcpu), std::memory_order_relaxed);
    commit_binding(caller, channel, ChannelState::Ipi);
    return *port;
}

Result<uint32_t> bind_pirq(EventDomain& caller, uint32_t pirq, bool will_share) {
    PirqHook& pirqs = caller.system().pirqs();
    if (pirq >= pirqs.pirq_count(caller.id()))
        return Status::InvalidArgument;
    if (!pirqs.pirq_permitted(caller.id(), pirq))
        return Status::Permission;

    LockGuard guard(caller.event_lock());
    if (port_of_pirq(caller, pirq) != 0)
        return Status::Exists;
    Result<uint32_t> port = allocate_port(caller);
    if (!port.ok())
        return port.status();
    HV_TRY(pirqs.bind(caller.id(), pirq, *port, will_share));

    EventChannel& channel = caller.ports().at(*port);
    ChannelWriteLock write(channel);
    channel.bound_value = pirq;  // notify_vcpu is 0 for a Free channel: vCPU 0, as Xen
    commit_binding(caller, channel, ChannelState::Pirq);
    return *port;
}

Status bind_vcpu(EventDomain& caller, uint32_t port, uint32_t vcpu) {
    if (caller.vcpu(vcpu) == nullptr)
        return Status::NotFound;
    EventChannel* channel = caller.ports().find(port);
    if (channel == nullptr)
        return Status::InvalidArgument;

    // Only event_lock: notify_vcpu is atomic and the raise paths read it under the
    // shared channel lock, which must stay available to them (see channel_lock.hpp).
    LockGuard guard(caller.event_lock());
    const auto target = static_cast<uint16_t>(vcpu);
    switch (channel->state.load(std::memory_order_relaxed)) {
    case ChannelState::Virq:
        if (!virq_is_global(channel->virq()))
            return Status::InvalidArgument;
        channel->notify_vcpu.store(target, std::memory_order_relaxed);
        return Status::Ok;
    case ChannelState::Unbound:
    case ChannelState::Interdomain:
        channel->notify_vcpu.store(target, std::memory_order_relaxed);
        return Status::Ok;
    case ChannelState::Pirq:
        if (channel->notify_vcpu.load(std::memory_order_relaxed) != target) {
            channel->notify_vcpu.store(target, std::memory_order_relaxed);
            caller.system().pirqs().set_affinity(caller.id(), channel->pirq(), vcpu);
        }
        return Status::Ok;
    case ChannelState::Free:
    case ChannelState::Reserved:
    case ChannelState::Ipi:
        break;
    }
    return Status::InvalidArgument;
}

Result<ChannelStatus> status(EventDomain& caller, DomainId dom, uint32_t port) {
    DomainRef d = caller.system().find_any(caller, dom);
    if (!d)
        return Status::NoSuchDomain;
    EventChannel* channel = d->ports().find(port);
    if (channel == nullptr)
        return Status::InvalidArgument;

    LockGuard guard(d->event_lock());
    if (!caller.may_control(*d))
        return Status::Permission;
    ChannelStatus out;
    switch (channel->state.load(std::memory_order_relaxed)) {
    case ChannelState::Free:
    case ChannelState::Reserved:
        out.state = xen::EventChannelState::closed;
        break;
    case ChannelState::Unbound:
        out.state = xen::EventChannelState::unbound;
        out.remote_dom = channel->unbound_remote;
        break;
    case ChannelState::Interdomain:
        out.state = xen::EventChannelState::interdomain;
        out.remote_dom = channel->remote_domain->id();
        out.remote_port = channel->remote_port();
        break;
    case ChannelState::Pirq:
        out.state = xen::EventChannelState::pirq;
        out.pirq = channel->pirq();
        break;
    case ChannelState::Virq:
        out.state = xen::EventChannelState::virq;
        out.virq = channel->virq();
        break;
    case ChannelState::Ipi:
        out.state = xen::EventChannelState::ipi;
        break;
    }
    out.vcpu = channel->notify_vcpu.load(std::memory_order_relaxed);
    return out;
}

}  // namespace hv::evtchn
