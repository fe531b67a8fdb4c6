// Delivery of events into guest memory, dispatched on the domain's ABI (Xen:
// evtchn_port_ops). The 2-level and FIFO implementations live in two_level_delivery and
// fifo_delivery; this layer adds what both share: the upcall flag and kick, and waking
// vCPUs blocked in SCHEDOP_poll.
//
// Callers hold something that keeps the channel's state stable: the owning domain's
// event_lock, the channel's lock, or (for the receiving end of an interdomain send) the
// sending end's channel lock. Operations on a channel that is not usable (Free or
// Reserved) do nothing, as on Xen.
#pragma once

#include <cstdint>

#include "evtchn/event_domain.hpp"

namespace hv::evtchn::delivery {

// vcpu_info.evtchn_upcall_pending := 1; kicks the vCPU if it was 0 (Xen:
// vcpu_mark_events_pending).
void mark_events_pending(EventDomain& d, unsigned vcpu);

// Wakes vCPUs polling for `port` or for any port (Xen: evtchn_check_pollers).
void check_pollers(EventDomain& d, uint32_t port);

// At bind time (FIFO: default priority).
void port_init(EventDomain& d, EventChannel& channel);
// Marks the channel pending and notifies `vcpu` (Xen: evtchn_port_set_pending).
void raise(EventDomain& d, unsigned vcpu, EventChannel& channel);
void clear_pending(EventDomain& d, EventChannel& channel);
void unmask(EventDomain& d, EventChannel& channel);
bool is_pending(EventDomain& d, const EventChannel& channel);
bool is_masked(EventDomain& d, const EventChannel& channel);
// A Free port that cannot be reused yet: FIFO word still LINKED on a guest queue.
bool is_busy(EventDomain& d, const EventChannel& channel);

}  // namespace hv::evtchn::delivery
