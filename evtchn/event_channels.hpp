// Event channels with Xen 4.17 semantics: the EVTCHNOP_* operations as typed functions,
// and what the rest of the hypervisor uses to raise events and support SCHEDOP_poll.
// Facts: shared/spec/xen-pv-abi.md §4.18, §4.20, §7; semantics and error codes follow
// Xen's xen/common/event_channel.c, event_2l.c and event_fifo.c.
//
//   EventSystem  ──find(id)──> EventDomain ──ports()──> EventChannel (per port)
//        │                          │
//   notifier/allocator/pirqs   GuestEventMemory (shared_info, vcpu_info, FIFO pages)
//
// `caller` is the domain issuing the hypercall (Xen: current->domain). Every operation
// validates everything before it changes anything (STYLE.md rule 6): a failed call
// leaves no state behind, except port-table buckets allocated on the way, as on Xen.
// Status -> guest errno happens in hypercall/errno.cpp; the mapping used here:
//   InvalidArgument -EINVAL, NotFound -ENOENT, NoSuchDomain -ESRCH, Exists -EEXIST,
//   NoSpace -ENOSPC, OutOfMemory -ENOMEM, Permission -EPERM, AccessDenied -EACCES,
//   Busy -EBUSY, Again -EAGAIN, NotSupported -ENOSYS, OperationNotSupported -EOPNOTSUPP.
// Locking: see evtchn/event_channel.hpp.
#pragma once

#include <cstdint>
#include <span>

#include "evtchn/event_domain.hpp"
#include "evtchn/event_system.hpp"
#include "hypercall/public/event_channel.hpp"
#include "lib/status.hpp"

namespace hv::evtchn {

// ---- EVTCHNOP_* ----------------------------------------------------------------------

// New Unbound port in domain `dom` (DOMID_SELF = caller) that `remote_dom` (DOMID_SELF =
// caller) may bind to. NoSuchDomain, NoSpace/OutOfMemory, Permission (dom is another
// domain and the caller does not control it), InvalidArgument (dom is dying).
[[nodiscard]] Result<uint32_t> alloc_unbound(EventDomain& caller, DomainId dom, DomainId remote_dom);

// Connects a new local port to `remote_port` of `remote_dom` (DOMID_SELF = loopback),
// which must be Unbound waiting for the caller. The new local port is left pending.
// NoSuchDomain, NoSpace, InvalidArgument (remote port invalid or not waiting for us).
[[nodiscard]] Result<uint32_t> bind_interdomain(EventDomain& caller, DomainId remote_dom, uint32_t remote_port);

// InvalidArgument (virq >= virq_count, or a global VIRQ on a vCPU other than 0),
// NotFound (no such vCPU), Exists (already bound on that vCPU), NoSpace.
[[nodiscard]] Result<uint32_t> bind_virq(EventDomain& caller, uint32_t virq, uint32_t vcpu);

// NotFound (no such vCPU), NoSpace.
[[nodiscard]] Result<uint32_t> bind_ipi(EventDomain& caller, uint32_t vcpu);

// InvalidArgument (pirq beyond PirqHook::pirq_count), Permission (not mapped/permitted),
// Exists (already bound), NoSpace, or the PirqHook::bind error. Notifies vCPU 0.
[[nodiscard]] Result<uint32_t> bind_pirq(EventDomain& caller, uint32_t pirq, bool will_share);

// Frees the port. An Interdomain peer goes back to Unbound, waiting for the caller
// again (no event is raised on it, as on Xen). InvalidArgument for an invalid, Free or
// Reserved port.
[[nodiscard]] Status close(EventDomain& caller, uint32_t port);

// Interdomain: raise the peer's port; Ipi: raise our own; Unbound: dropped (Ok).
// InvalidArgument for an invalid port or a Free/Reserved/Virq/Pirq channel.
[[nodiscard]] Status send(EventDomain& caller, uint32_t port);

struct ChannelStatus {
    xen::EventChannelState state = xen::EventChannelState::closed;
    uint32_t vcpu = 0;
    DomainId remote_dom = 0;   // unbound: who may bind; interdomain: the peer
    uint32_t remote_port = 0;  // interdomain
    uint32_t pirq = 0;
    uint32_t virq = 0;
};
// NoSuchDomain, InvalidArgument (invalid port), Permission (another domain's channel
// without control over it). A Free or Reserved port reads as closed.
[[nodiscard]] Result<ChannelStatus> status(EventDomain& caller, DomainId dom, uint32_t port);

// Clears the mask and re-delivers a pending event. InvalidArgument only for an invalid
// port; a Free port is a successful no-op.
[[nodiscard]] Status unmask(EventDomain& caller, uint32_t port);

// NotFound (no such vCPU), InvalidArgument (invalid port, or a channel that cannot move:
// per-vCPU VIRQ, IPI, Free, Reserved). Unbound, Interdomain, Pirq and global VIRQs move.
[[nodiscard]] Status bind_vcpu(EventDomain& caller, uint32_t port, uint32_t vcpu);

// Closes every port of `dom` and returns it to the 2-level ABI. NoSuchDomain, Permission,
// InvalidArgument (another domain that its controller has not paused), Busy (a reset of
// it is already running), Again (a port was bound meanwhile).
[[nodiscard]] Status reset(EventDomain& caller, DomainId dom);
// EVTCHNOP_reset_cont (14), which Xen accepts from guests: it resumes a preempted reset.
// Ours are never preempted, so after the same checks as reset it is Busy.
[[nodiscard]] Status reset_continue(EventDomain& caller, DomainId dom);

// FIFO ABI. init_control returns the number of LINK bits (17). See fifo_delivery.hpp
// for the errors.
[[nodiscard]] Result<uint8_t> init_control(EventDomain& caller, uint32_t vcpu, uint64_t control_gfn,
                                           uint32_t offset);
[[nodiscard]] Status expand_array(EventDomain& caller, uint64_t array_gfn);
// InvalidArgument (invalid port, or priority > 15), NotSupported (2-level ABI, checked
// before the channel's state), AccessDenied (Free/Reserved channel).
[[nodiscard]] Status set_priority(EventDomain& caller, uint32_t port, uint32_t priority);

// ---- Raising events from the hypervisor -------------------------------------------

// Per-vCPU VIRQ (timer, debug, xenoprof, xenpmu) on `vcpu`; nothing if unbound.
void raise_virq(EventDomain& d, uint32_t virq, unsigned vcpu);
// Global VIRQ of `d` (bound on vCPU 0's table, delivered to its notify vCPU).
void raise_global_virq(EventDomain& d, uint32_t virq);
// Global VIRQ to its registered handler domain, else the hardware domain (Xen:
// send_global_virq).
void send_global_virq(EventSystem& system, uint32_t virq);
// Whether `virq` is bound for `vcpu` (global: on vCPU 0) (Xen: evtchn_virq_enabled).
bool virq_bound(EventDomain& d, uint32_t virq, unsigned vcpu);
// The PIRQ bound to `port` fired (the IRQ layer learnt the port from PirqHook::bind).
void raise_pirq(EventDomain& d, uint32_t port);

// ---- SCHEDOP_poll support ------------------------------------------------------------

inline constexpr uint32_t kPollMaxPorts = 128;  // Xen's limit on sched_poll.nr_ports

// Whether `port` is pending; InvalidArgument if it is invalid or not usable (Xen:
// evtchn_port_poll).
[[nodiscard]] Result<bool> port_pending(EventDomain& d, uint32_t port);
// The ports in order: the first invalid port's error, else whether any is pending.
[[nodiscard]] Result<bool> any_pending(EventDomain& d, std::span<const uint32_t> ports);
// vcpu_info of `vcpu` has an upcall pending and not masked.
bool events_need_delivery(EventDomain& d, unsigned vcpu);

enum class PollOutcome : uint8_t {
    Ready,    // return 0 to the guest now; nothing is registered
    Blocked,  // registered: block the vCPU; EventNotifier::poll_wakeup ends it
};
// The event-channel half of SCHEDOP_poll, with the ports already copied in. The caller
// marks the vCPU blocked BEFORE calling, so a wakeup racing with this call is not lost,
// and calls poll_cancel() on timeout. InvalidArgument for more than kPollMaxPorts ports,
// else the first port error.
[[nodiscard]] Result<PollOutcome> poll_prepare(EventDomain& d, unsigned vcpu, std::span<const uint32_t> ports);
// Withdraws a poll registration (timeout); harmless if already woken.
void poll_cancel(EventDomain& d, unsigned vcpu);

// ---- Lifetime ---------------------------------------------------------------------

// Teardown of a dying domain: refuses new ports, closes every port (peers go back to
// Unbound), drops the FIFO mappings and its global-VIRQ handler roles, unregisters it
// and waits for outstanding lookups. The EventDomain may be destroyed afterwards.
void destroy_domain(EventDomain& d);

}  // namespace hv::evtchn
