// One event channel (port) of a domain, and the locking of channels, including the
// interdomain channel that two domains share.
//
// States and what each one keeps (Xen: ECS_*):
//   Free         port available; notify_vcpu 0
//   Reserved     port 0, forever (port 0 is never a valid channel)
//   Unbound      waiting for `unbound_remote` to bind_interdomain to it
//   Interdomain  connected to (remote_domain, remote_port); that channel points back
//   Pirq         physical IRQ `pirq` (dom0), routed by the PirqHook
//   Virq         virtual IRQ `virq`; EventVcpu::virq_port of the binding vCPU names it
//   Ipi          intra-domain notification to notify_vcpu
//
// Invariants:
//  - state and the binding fields (unbound_remote, remote_*, pirq, virq) change only with
//    BOTH the owning domain's event_lock and this channel's write lock held; a reader
//    holds either one.
//  - An Interdomain pair is symmetric: a.remote_domain/remote_port name b and b's name a.
//    Both ends change together, under both domains' event_locks and both channels'
//    write locks. So a holder of one end's channel lock (even shared) sees a stable
//    peer: the peer cannot be closed or rebound without that lock.
//  - notify_vcpu < the domain's vCPU count; priority <= fifo_priority_min.
//
// Locking (outermost first), written once for the whole event-channel core:
//   1. EventSystem registry lock (only while looking a domain up; never held below).
//   2. EventDomain::event_lock of one domain, or of two domains with the LOWER domain id
//      first (bind_interdomain, close of an interdomain channel, reset). close may have
//      to drop its own lock and retake both in order (then it re-checks the channel).
//   3. ChannelLock of one channel, or write locks of two channels ordered by (domain id,
//      port) (the two ends of an interdomain channel being bound or closed).
//   4. FIFO queue locks of the target vCPU (two queues in address order when an event
//      moves between queues).
//   Calls into GuestEventMemory, EventNotifier and PirqHook may happen at levels 2-4;
//   those must not call back into the event-channel core.
// Raising an event on the peer of an interdomain channel needs only the sender's
// channel lock (shared): it pins the pairing, and the delivery itself works with
// atomic guest-memory operations plus the FIFO queue locks.
//
// Context: every entry point may be called from hypercall or softirq context. None may
// be called from a hard interrupt handler that can interrupt an event-channel operation
// on the same CPU (queue locks are plain spinlocks); timers raise VIRQs from softirq
// context, as on Xen.
#pragma once

#include <atomic>
#include <cstdint>

#include "evtchn/channel_lock.hpp"
#include "hypercall/public/event_channel.hpp"

namespace hv::evtchn {

using DomainId = uint16_t;

class EventDomain;

enum class ChannelState : uint8_t { Free, Reserved, Unbound, Interdomain, Pirq, Virq, Ipi };

struct EventChannel {
    ChannelLock lock;
    std::atomic<ChannelState> state{ChannelState::Free};
    std::atomic<uint8_t> priority{xen::fifo_priority_default};  // FIFO queue
    // FIFO: raised while the event word's array page did not exist yet (Xen: pending).
    std::atomic<bool> fifo_pending{false};
    std::atomic<uint16_t> notify_vcpu{0};
    DomainId unbound_remote = 0;      // Unbound: who may bind to us
    uint32_t bound_value = 0;         // Interdomain: remote port; Pirq: pirq; Virq: virq
    // FIFO: queue the event was last linked on, (vcpu << 8) | priority (Xen: fifo_lastq).
    std::atomic<uint32_t> fifo_last_queue{0};
    uint32_t port = 0;
    EventDomain* remote_domain = nullptr;  // Interdomain

    // A channel a guest may use (Xen: evtchn_usable): anything past Reserved.
    bool usable() const {
        ChannelState s = state.load(std::memory_order_acquire);
        return s != ChannelState::Free && s != ChannelState::Reserved;
    }
    uint32_t remote_port() const { return bound_value; }
    uint32_t pirq() const { return bound_value; }
    uint32_t virq() const { return bound_value; }
};
static_assert(sizeof(EventChannel) <= 32, "a bucket of channels is meant to fit a page");

constexpr uint32_t fifo_queue_id(unsigned vcpu, unsigned priority) {
    return (static_cast<uint32_t>(vcpu) << 8) | priority;
}
constexpr unsigned fifo_queue_vcpu(uint32_t queue_id) {
    return queue_id >> 8;
}
constexpr unsigned fifo_queue_priority(uint32_t queue_id) {
    return queue_id & 0xff;
}

}  // namespace hv::evtchn
