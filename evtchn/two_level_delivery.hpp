// The 2-level event ABI: port p is bit p%64 of word p/64 of shared_info's
// evtchn_pending and evtchn_mask; bit p/64 of a vCPU's evtchn_pending_sel says "word
// p/64 has something for you". Facts: shared/spec/xen-pv-abi.md §7.4.
//
// Invariant kept for the guest: the hypervisor sets a selector bit (and then the upcall
// flag) only for a port that it saw pending and unmasked, in that order; the guest
// clears them in the reverse order, so no event is lost between the two.
// Ports at or beyond kTwoLevelPorts have no bits: raising them does nothing and they
// read as masked and not pending.
#pragma once

#include "evtchn/event_domain.hpp"

namespace hv::evtchn::two_level {

void raise(EventDomain& d, unsigned vcpu, const EventChannel& channel);
void clear_pending(EventDomain& d, const EventChannel& channel);
void unmask(EventDomain& d, const EventChannel& channel);
bool is_pending(EventDomain& d, const EventChannel& channel);
bool is_masked(EventDomain& d, const EventChannel& channel);

}  // namespace hv::evtchn::two_level
