// The bridge between domains and the event-channel core (evtchn/): each domain gets an
// EventDomain whose seams reach its shared_info/vcpu_info, its own frames (FIFO pages)
// and the scheduler (kicks and poll wake-ups).
#pragma once

#include <cstdint>
#include <span>

#include "lib/status.hpp"

namespace hv {

class Vcpu;
class Domain;

void events_init();                                  // once, before any domain
[[nodiscard]] Status events_attach(Domain& d);       // at domain creation
// Destruction: closes every port (peers notified, as Xen does), frees the event state.
void events_detach(Domain& d);
// A global VIRQ (e.g. VIRQ_DOM_EXC) to whichever domain handles it (dom0 by default).
void send_global_virq(uint32_t virq);
void raise_virq(Vcpu& v, uint32_t virq);
// A physical IRQ bound to `port` fired (domain/irq_glue, at a safe point).
void events_raise_pirq(Domain& d, uint32_t port);
[[nodiscard]] Result<bool> events_any_pending(Domain& d, std::span<const uint32_t> ports);
// SCHEDOP_poll: the vCPU is already marked blocked; true if it must wake at once.
[[nodiscard]] Result<bool> events_poll(Vcpu& v, std::span<const uint32_t> ports);
void events_poll_cancel(Vcpu& v);
// event_channel_op: copy in, run, copy out.
int64_t events_hypercall(Domain& d, uint32_t cmd, uint64_t arg);

}  // namespace hv
