// The operations on bound channels that run under the shared channel lock only (send,
// unmask, set_priority), the FIFO setup calls, the hypervisor's raise entry points and
// SCHEDOP_poll support.
#include "evtchn/delivery.hpp"
#include "evtchn/event_channels.hpp"
#include "evtchn/fifo_delivery.hpp"
#include "evtchn/guest_atomic.hpp"
#include "seam/panic.hpp"

namespace hv::evtchn {
namespace {

// raise_if_bound's target: the channel's notify vCPU rather than a fixed one.
constexpr unsigned kNotifyVcpu = ~0u;

// Raises `port` if it is still bound as `expected` (re-checked under the channel lock,
// so a port closed and reused since the caller looked it up is left alone). A writer
// holding the lock means the channel is being freed: the event is dropped, as on Xen.
template <typename Matches>
void raise_if_bound(EventDomain& d, uint32_t port, Matches matches, unsigned vcpu_or_notify) {
    EventChannel* channel = d.ports().find(port);
    if (channel == nullptr || !channel->lock.try_lock_shared())
        return;
    if (matches(*channel)) {
        const unsigned target = vcpu_or_notify == kNotifyVcpu ? channel->notify_vcpu.load(std::memory_order_relaxed)
                                                              : vcpu_or_notify;
        delivery::raise(d, target, *channel);
    }
    channel->lock.unlock_shared();
}

}  // namespace

Status send(EventDomain& caller, uint32_t port) {
    EventChannel* channel = caller.ports().find(port);
    if (channel == nullptr)
        return Status::InvalidArgument;
    SharedChannelGuard guard(channel->lock);
    switch (channel->state.load(std::memory_order_acquire)) {
    case ChannelState::Interdomain: {
        // Our shared lock pins the pairing (event_channel.hpp): the peer stays bound.
        EventDomain& peer = *channel->remote_domain;
        EventChannel& peer_channel = peer.ports().at(channel->remote_port());
        delivery::raise(peer, peer_channel.notify_vcpu.load(std::memory_order_relaxed), peer_channel);
        return Status::Ok;
    }
    case ChannelState::Ipi:
        delivery::raise(caller, channel->notify_vcpu.load(std::memory_order_relaxed), *channel);
        return Status::Ok;
    case ChannelState::Unbound:
        return Status::Ok;  // nobody listens yet: dropped
    case ChannelState::Free:
    case ChannelState::Reserved:
    case ChannelState::Pirq:
    case ChannelState::Virq:
        break;
    }
    return Status::InvalidArgument;
}

Status unmask(EventDomain& caller, uint32_t port) {
    EventChannel* channel = caller.ports().find(port);
    if (channel == nullptr)
        return Status::InvalidArgument;
    SharedChannelGuard guard(channel->lock);
    delivery::unmask(caller, *channel);
    return Status::Ok;
}

Status set_priority(EventDomain& caller, uint32_t port, uint32_t priority) {
    EventChannel* channel = caller.ports().find(port);
    if (channel == nullptr)
        return Status::InvalidArgument;
    SharedChannelGuard guard(channel->lock);
    if (caller.abi() != EventAbi::Fifo)
        return Status::NotSupported;
    if (!channel->usable())
        return Status::AccessDenied;
    if (priority > xen::fifo_priority_min)
        return Status::InvalidArgument;
    // Later raises use the new queue; an event already linked stays where it is.
    channel->priority.store(static_cast<uint8_t>(priority), std::memory_order_relaxed);
    return Status::Ok;
}

Result<uint8_t> init_control(EventDomain& caller, uint32_t vcpu, uint64_t control_gfn, uint32_t offset) {
    LockGuard guard(caller.event_lock());
    HV_TRY(fifo::init_control(caller, vcpu, control_gfn, offset));
    return static_cast<uint8_t>(xen::fifo_link_bits);
}

Status expand_array(EventDomain& caller, uint64_t array_gfn) {
    if (caller.abi() != EventAbi::Fifo)
        return Status::OperationNotSupported;
    LockGuard guard(caller.event_lock());
    return fifo::expand_array(caller, array_gfn);
}

// ---- Raising events from the hypervisor -------------------------------------------

void raise_virq(EventDomain& d, uint32_t virq, unsigned vcpu) {
    HV_ASSERT(virq < xen::virq_count && !virq_is_global(virq));
    EventVcpu* v = d.vcpu(vcpu);
    if (v == nullptr)
        return;
    const uint32_t port = v->virq_port[virq].load(std::memory_order_acquire);
    if (port == 0)
        return;
    raise_if_bound(
        d, port,
        [&](const EventChannel& c) {
            return c.state.load(std::memory_order_acquire) == ChannelState::Virq && c.virq() == virq &&
                   c.notify_vcpu.load(std::memory_order_relaxed) == vcpu;
        },
        vcpu);
}

void raise_global_virq(EventDomain& d, uint32_t virq) {
    HV_ASSERT(virq < xen::virq_count && virq_is_global(virq));
    EventVcpu* v = d.vcpu(0);
    if (v == nullptr)
        return;
    const uint32_t port = v->virq_port[virq].load(std::memory_order_acquire);
    if (port == 0)
        return;
    raise_if_bound(
        d, port,
        [&](const EventChannel& c) {
            return c.state.load(std::memory_order_acquire) == ChannelState::Virq && c.virq() == virq;
        },
        kNotifyVcpu);
}

void send_global_virq(EventSystem& system, uint32_t virq) {
    DomainRef target = system.find(system.global_virq_handler(virq));
    if (target)
        raise_global_virq(*target, virq);
}

bool virq_bound(EventDomain& d, uint32_t virq, unsigned vcpu) {
    if (virq >= xen::virq_count)
        return false;
    EventVcpu* v = d.vcpu(virq_is_global(virq) ? 0 : vcpu);
    return v != nullptr && v->virq_port[virq].load(std::memory_order_acquire) != 0;
}

void raise_pirq(EventDomain& d, uint32_t port) {
    raise_if_bound(
        d, port, [](const EventChannel& c) { return c.state.load(std::memory_order_acquire) == ChannelState::Pirq; },
        kNotifyVcpu);
}

// ---- SCHEDOP_poll support ------------------------------------------------------------

Result<bool> port_pending(EventDomain& d, uint32_t port) {
    EventChannel* channel = d.ports().find(port);
    if (channel == nullptr)
        return Status::InvalidArgument;
    SharedChannelGuard guard(channel->lock);
    if (!channel->usable())
        return Status::InvalidArgument;
    return delivery::is_pending(d, *channel);
}

Result<bool> any_pending(EventDomain& d, std::span<const uint32_t> ports) {
    for (uint32_t port : ports) {
        Result<bool> pending = port_pending(d, port);
        if (!pending.ok() || *pending)
            return pending;
    }
    return false;
}

bool events_need_delivery(EventDomain& d, unsigned vcpu) {
    xen::VcpuInfo* info = d.memory().vcpu_info(vcpu);
    return info != nullptr && guest::load(&info->evtchn_upcall_pending) != 0 &&
           guest::load(&info->evtchn_upcall_mask) == 0;
}

Result<PollOutcome> poll_prepare(EventDomain& d, unsigned vcpu, std::span<const uint32_t> ports) {
    if (ports.size() > kPollMaxPorts)
        return Status::InvalidArgument;
    EventVcpu* v = d.vcpu(vcpu);
    HV_ASSERT(v != nullptr);

    // Register before looking (pairs with delivery::check_pollers).
    poll_cancel(d, vcpu);
    v->poll_state.store(kPollingAnyPort, std::memory_order_seq_cst);
    d.poller_count().fetch_add(1, std::memory_order_seq_cst);

    Result<PollOutcome> outcome = PollOutcome::Blocked;
    if (events_need_delivery(d, vcpu)) {
        outcome = PollOutcome::Ready;
    } else {
        Result<bool> pending = any_pending(d, ports);
        if (!pending.ok())
            outcome = pending.status();
        else if (*pending)
            outcome = PollOutcome::Ready;
    }
    if (!outcome.ok() || *outcome == PollOutcome::Ready) {
        poll_cancel(d, vcpu);
        return outcome;
    }
    if (ports.size() == 1) {
        // Narrow the wakeup to the one port, unless a wakeup already came.
        uint32_t expected = kPollingAnyPort;
        v->poll_state.compare_exchange_strong(expected, ports[0], std::memory_order_seq_cst);
    }
    return PollOutcome::Blocked;
}

void poll_cancel(EventDomain& d, unsigned vcpu) {
    EventVcpu* v = d.vcpu(vcpu);
    if (v == nullptr)
        return;
    uint32_t seen = v->poll_state.load(std::memory_order_seq_cst);
    while (seen != kNotPolling) {
        if (v->poll_state.compare_exchange_weak(seen, kNotPolling, std::memory_order_seq_cst)) {
            d.poller_count().fetch_sub(1, std::memory_order_seq_cst);
            return;
        }
    }
}

}  // namespace hv::evtchn
