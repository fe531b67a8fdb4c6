// The FIFO event ABI (Xen 4.17's event_fifo). Facts: shared/spec/xen-pv-abi.md §7.5.
//
// Guest-shared state:
//   event array   pages of 1024 32-bit event words, registered by expand_array:
//                 bit 31 PENDING, 30 MASKED, 29 LINKED, 28 BUSY, bits 0-16 LINK (next port)
//   control block per vCPU (init_control): `ready` bit q = queue q non-empty; head[q]
//
//   head[q] -> [word p1 | LINKED, LINK=p2] -> [word p2 | LINKED, LINK=p3] -> [p3 | LINKED, LINK=0]
//                                                                  FifoQueue::tail = p3
//
// Invariants:
//  - The hypervisor links an event only when it sets LINKED itself (0->1); the guest
//    unlinks from the head, clearing LINKED. The hypervisor appends to `tail` only while
//    the tail's word still has LINKED set (atomic compare-exchange); otherwise the queue
//    has drained and the event becomes the new head.
//  - While the hypervisor rewrites a tail's LINK it may set BUSY, which a guest honours
//    by not unmasking that word, bounding the compare-exchange retries.
//  - EventChannel::fifo_last_queue names the queue a channel was last linked on; an
//    event moving to another vCPU or priority holds both queues' locks while it moves.
//  - An event raised while its word has no page yet is remembered in fifo_pending and
//    raised again when expand_array adds the page.
//  - A Free port whose word is still LINKED is busy: not reallocated until the guest
//    has unlinked it.
#pragma once

#include <cstdint>

#include "evtchn/event_domain.hpp"
#include "lib/status.hpp"

namespace hv::evtchn::fifo {

// The event word of `port`, or nullptr if its page has not been added.
uint32_t* event_word(EventDomain& d, uint32_t port);

void port_init(EventDomain& d, EventChannel& channel);
void raise(EventDomain& d, unsigned vcpu, EventChannel& channel);
void clear_pending(EventDomain& d, EventChannel& channel);
void unmask(EventDomain& d, EventChannel& channel);
bool is_pending(EventDomain& d, const EventChannel& channel);
bool is_masked(EventDomain& d, const EventChannel& channel);
bool is_busy(EventDomain& d, const EventChannel& channel);

// EVTCHNOP_init_control for one vCPU; the first call switches the domain to FIFO.
// Caller holds d.event_lock(). Errors as on Xen: NotFound (no such vCPU), InvalidArgument
// (offset lets the 72-byte block cross the page or is not 8-byte aligned; the vCPU
// already has a control block; the frame is not usable), OutOfMemory (cannot map).
[[nodiscard]] Status init_control(EventDomain& d, uint32_t vcpu, uint64_t control_gfn, uint32_t offset);

// EVTCHNOP_expand_array. Caller holds d.event_lock(). OperationNotSupported while
// 2-level, NoSpace once all 128 pages exist, mapping errors as init_control.
[[nodiscard]] Status expand_array(EventDomain& d, uint64_t array_gfn);

// Releases every FIFO mapping and returns the domain to 2-level. Caller holds
// d.event_lock() and no channel is usable any more (reset, destruction).
void teardown(EventDomain& d);

}  // namespace hv::evtchn::fifo
