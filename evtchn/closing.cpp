// EVTCHNOP_close and reset, and the teardown of a dying domain.
#include "evtchn/channel_locking.hpp"
#include "evtchn/delivery.hpp"
#include "evtchn/event_channels.hpp"
#include "evtchn/fifo_delivery.hpp"
#include "seam/panic.hpp"

namespace hv::evtchn {
namespace {

void free_locked(EventDomain& d, EventChannel& channel) {
    ChannelWriteLock write(channel);
    free_channel(d, channel);
}

// Both ends of an interdomain channel: ours becomes Free, the peer's Unbound waiting for
// us again. Caller holds both domains' event_locks.
void disconnect(EventDomain& d, EventChannel& channel, EventDomain& peer) {
    EventChannel* peer_channel = peer.ports().find(channel.remote_port());
    HV_ASSERT(peer_channel != nullptr);
    HV_ASSERT(peer_channel->state.load(std::memory_order_relaxed) == ChannelState::Interdomain);
    HV_ASSERT(peer_channel->remote_domain == &d && peer_channel->remote_port() == channel.port);

    ChannelPairWriteLock write(d, channel, peer, *peer_channel);
    free_channel(d, channel);
    peer_channel->remote_domain = nullptr;
    peer_channel->bound_value = 0;
    peer_channel->unbound_remote = d.id();
    peer_channel->state.store(ChannelState::Unbound, std::memory_order_release);
}

Status reset_domain(EventDomain& caller, EventDomain& d, bool resuming) {
    if (&d != &caller && !caller.system().notifier().paused_by_controller(d.id()))
        return Status::InvalidArgument;
    {
        LockGuard guard(d.event_lock());
        // Nothing is ever left half-reset here, so there is nothing to resume.
        if (resuming || d.reset_in_progress())
            return Status::Busy;
        d.set_reset_in_progress(true);
    }
    for (uint32_t port = 1; d.ports().valid(port) && d.active_channels() > 0; ++port)
        (void)close_port(d, port);  // Free ports answer InvalidArgument: skip them

    LockGuard guard(d.event_lock());
    d.set_reset_in_progress(false);
    if (d.active_channels() > 0)
        return Status::Again;  // another vCPU bound a port meanwhile
    if (d.abi() == EventAbi::Fifo)
        fifo::teardown(d);
    return Status::Ok;
}

}  // namespace

Status close_port(EventDomain& d, uint32_t port) {
    EventChannel* channel = d.ports().find(port);
    if (channel == nullptr)
        return Status::InvalidArgument;

    EventDomain* peer = nullptr;
    DomainRef peer_ref;  // keeps the peer registered while our lock is dropped
    Status result = Status::Ok;
    d.event_lock().lock();
    for (bool settled = false; !settled;) {
        settled = true;
        switch (channel->state.load(std::memory_order_relaxed)) {
        case ChannelState::Free:
        case ChannelState::Reserved:
            result = Status::InvalidArgument;
            break;
        case ChannelState::Unbound:
        case ChannelState::Ipi:
            free_locked(d, *channel);
            break;
        case ChannelState::Pirq:
            d.system().pirqs().unbind(d.id(), channel->pirq());
            free_locked(d, *channel);
            break;
        case ChannelState::Virq: {
            const uint32_t virq = channel->virq();
            const unsigned owner = virq_is_global(virq) ? 0 : channel->notify_vcpu.load(std::memory_order_relaxed);
            d.vcpu(owner)->virq_port[virq].store(0, std::memory_order_release);
            free_locked(d, *channel);
            break;
        }
        case ChannelState::Interdomain:
            if (peer == nullptr) {
                peer = channel->remote_domain;
                peer_ref = DomainRef::acquire(*peer);
                if (d.id() < peer->id()) {
                    peer->event_lock().lock();
                } else if (peer != &d) {
                    // Wrong order: retake both, lower id first, and look again.
                    d.event_lock().unlock();
                    peer->event_lock().lock();
                    d.event_lock().lock();
                    settled = false;
                    break;
                }
            } else if (peer != channel->remote_domain) {
                // Closed and rebound to someone else while we were unlocked; it went
                // through Free, so that is the answer.
                result = Status::InvalidArgument;
                break;
            }
            disconnect(d, *channel, *peer);
            break;
        }
    }
    if (peer != nullptr && peer != &d)
        peer->event_lock().unlock();
    d.event_lock().unlock();
    return result;
}

Status close(EventDomain& caller, uint32_t port) {
    return close_port(caller, port);
}

Status reset(EventDomain& caller, DomainId dom) {
    DomainRef d = caller.system().find_any(caller, dom);
    if (!d)
        return Status::NoSuchDomain;
    if (!caller.may_control(*d))
        return Status::Permission;
    return reset_domain(caller, *d, false);
}

Status reset_continue(EventDomain& caller, DomainId dom) {
    DomainRef d = caller.system().find_any(caller, dom);
    if (!d)
        return Status::NoSuchDomain;
    if (!caller.may_control(*d))
        return Status::Permission;
    return reset_domain(caller, *d, true);
}

void destroy_domain(EventDomain& d) {
    {
        LockGuard guard(d.event_lock());
        d.set_dying();
    }
    for (uint32_t port = d.ports().valid_count(); port-- > 1;)
        (void)close_port(d, port);
    {
        LockGuard guard(d.event_lock());
        fifo::teardown(d);
    }
    d.system().clear_global_virq_handlers(d.id());
    d.system().remove(d);
}

}  // namespace hv::evtchn
