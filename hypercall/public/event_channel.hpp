// event_channel_op arguments, one struct per sub-op, plus the FIFO ABI's shared layouts
// (control block and event words). Facts: shared/spec/xen-pv-abi.md §4.20, §7.4-§7.7.
//
// Invariants: port 0 is never a valid channel; "out" fields are written by the
// hypervisor only on success; the FIFO control block is 72 bytes inside a guest page and
// an event-array page holds 1024 event words.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

using EventChannelPort = uint32_t;

// Xen: evtchn_alloc_unbound.
struct EventChannelAllocUnbound {
    uint16_t dom;
    uint16_t remote_dom;
    EventChannelPort port;  // out
};
static_assert(sizeof(EventChannelAllocUnbound) == 8);
static_assert(offsetof(EventChannelAllocUnbound, dom) == 0);
static_assert(offsetof(EventChannelAllocUnbound, remote_dom) == 2);
static_assert(offsetof(EventChannelAllocUnbound, port) == 4);

// Xen: evtchn_bind_interdomain.
struct EventChannelBindInterdomain {
    uint16_t remote_dom;
    uint16_t pad;
    EventChannelPort remote_port;
    EventChannelPort local_port;  // out
};
static_assert(sizeof(EventChannelBindInterdomain) == 12);
static_assert(offsetof(EventChannelBindInterdomain, remote_dom) == 0);
static_assert(offsetof(EventChannelBindInterdomain, remote_port) == 4);
static_assert(offsetof(EventChannelBindInterdomain, local_port) == 8);

// Xen: evtchn_bind_virq.
struct EventChannelBindVirq {
    uint32_t virq;  // Virq
    uint32_t vcpu;
    EventChannelPort port;  // out
};
static_assert(sizeof(EventChannelBindVirq) == 12);
static_assert(offsetof(EventChannelBindVirq, virq) == 0);
static_assert(offsetof(EventChannelBindVirq, vcpu) == 4);
static_assert(offsetof(EventChannelBindVirq, port) == 8);

inline constexpr uint32_t bind_pirq_will_share = 1;

// Xen: evtchn_bind_pirq.
struct EventChannelBindPirq {
    uint32_t pirq;
    uint32_t flags;  // bind_pirq_will_share
    EventChannelPort port;  // out
};
static_assert(sizeof(EventChannelBindPirq) == 12);
static_assert(offsetof(EventChannelBindPirq, pirq) == 0);
static_assert(offsetof(EventChannelBindPirq, flags) == 4);
static_assert(offsetof(EventChannelBindPirq, port) == 8);

// Xen: evtchn_bind_ipi.
struct EventChannelBindIpi {
    uint32_t vcpu;
    EventChannelPort port;  // out
};
static_assert(sizeof(EventChannelBindIpi) == 8);
static_assert(offsetof(EventChannelBindIpi, vcpu) == 0);
static_assert(offsetof(EventChannelBindIpi, port) == 4);

// Xen: evtchn_close, evtchn_send, evtchn_unmask (all just a port).
struct EventChannelPortArg {
    EventChannelPort port;
};
static_assert(sizeof(EventChannelPortArg) == 4);
static_assert(offsetof(EventChannelPortArg, port) == 0);
using EventChannelClose = EventChannelPortArg;
using EventChannelSend = EventChannelPortArg;
using EventChannelUnmask = EventChannelPortArg;

enum class EventChannelState : uint32_t {
    closed = 0,
    unbound = 1,
    interdomain = 2,
    pirq = 3,
    virq = 4,
    ipi = 5,
};

// Xen: evtchn_status.
struct EventChannelStatus {
    uint16_t dom;
    uint16_t pad;
    EventChannelPort port;
    uint32_t status;  // out: EventChannelState
    uint32_t vcpu;    // out
    union {
        struct {
            uint16_t dom;
        } unbound;
        struct {
            uint16_t dom;
            uint16_t pad;
            EventChannelPort port;
        } interdomain;
        uint32_t pirq;
        uint32_t virq;
    } u;
};
static_assert(sizeof(EventChannelStatus) == 24);
static_assert(offsetof(EventChannelStatus, dom) == 0);
static_assert(offsetof(EventChannelStatus, port) == 4);
static_assert(offsetof(EventChannelStatus, status) == 8);
static_assert(offsetof(EventChannelStatus, vcpu) == 12);
static_assert(offsetof(EventChannelStatus, u) == 16);
static_assert(offsetof(EventChannelStatus, u.unbound.dom) == 16);
static_assert(offsetof(EventChannelStatus, u.interdomain.dom) == 16);
static_assert(offsetof(EventChannelStatus, u.interdomain.port) == 20);
static_assert(offsetof(EventChannelStatus, u.pirq) == 16);
static_assert(offsetof(EventChannelStatus, u.virq) == 16);

// Xen: evtchn_bind_vcpu.
struct EventChannelBindVcpu {
    EventChannelPort port;
    uint32_t vcpu;
};
static_assert(sizeof(EventChannelBindVcpu) == 8);
static_assert(offsetof(EventChannelBindVcpu, port) == 0);
static_assert(offsetof(EventChannelBindVcpu, vcpu) == 4);

// Xen: evtchn_reset.
struct EventChannelReset {
    uint16_t dom;
};
static_assert(sizeof(EventChannelReset) == 2);
static_assert(offsetof(EventChannelReset, dom) == 0);

// Xen: evtchn_init_control. Switches the domain to the FIFO ABI.
struct EventChannelInitControl {
    uint64_t control_gfn;  // frame holding this vCPU's control block
    uint32_t offset;       // of the control block within that frame
    uint32_t vcpu;
    uint8_t link_bits;  // out
    uint8_t pad[7];
};
static_assert(sizeof(EventChannelInitControl) == 24);
static_assert(offsetof(EventChannelInitControl, control_gfn) == 0);
static_assert(offsetof(EventChannelInitControl, offset) == 8);
static_assert(offsetof(EventChannelInitControl, vcpu) == 12);
static_assert(offsetof(EventChannelInitControl, link_bits) == 16);

// Xen: evtchn_expand_array.
struct EventChannelExpandArray {
    uint64_t array_gfn;
};
static_assert(sizeof(EventChannelExpandArray) == 8);
static_assert(offsetof(EventChannelExpandArray, array_gfn) == 0);

// Xen: evtchn_set_priority.
struct EventChannelSetPriority {
    EventChannelPort port;
    uint32_t priority;  // 0 (highest) .. 15
};
static_assert(sizeof(EventChannelSetPriority) == 8);
static_assert(offsetof(EventChannelSetPriority, port) == 0);
static_assert(offsetof(EventChannelSetPriority, priority) == 4);

// FIFO ABI.
inline constexpr uint32_t fifo_priority_max = 0;
inline constexpr uint32_t fifo_priority_default = 7;
inline constexpr uint32_t fifo_priority_min = 15;
inline constexpr uint32_t fifo_max_queues = fifo_priority_min + 1;
inline constexpr uint32_t fifo_link_bits = 17;
inline constexpr uint32_t fifo_link_mask = (1u << fifo_link_bits) - 1;
inline constexpr uint32_t fifo_nr_channels = 1u << fifo_link_bits;
inline constexpr uint32_t fifo_event_words_per_page = 4096 / sizeof(uint32_t);

// Bits of an event word (uint32_t); the low fifo_link_bits hold the next port.
namespace fifo_event {
inline constexpr uint32_t pending_bit = 31;
inline constexpr uint32_t masked_bit = 30;
inline constexpr uint32_t linked_bit = 29;
inline constexpr uint32_t busy_bit = 28;
inline constexpr uint32_t pending = 1u << pending_bit;
inline constexpr uint32_t masked = 1u << masked_bit;
inline constexpr uint32_t linked = 1u << linked_bit;
inline constexpr uint32_t busy = 1u << busy_bit;
}  // namespace fifo_event

// Xen: evtchn_fifo_control_block. ready bit q = queue q is non-empty.
struct EventChannelFifoControlBlock {
    uint32_t ready;
    uint32_t rsvd;
    uint32_t head[fifo_max_queues];
};
static_assert(sizeof(EventChannelFifoControlBlock) == 72);
static_assert(offsetof(EventChannelFifoControlBlock, ready) == 0);
static_assert(offsetof(EventChannelFifoControlBlock, rsvd) == 4);
static_assert(offsetof(EventChannelFifoControlBlock, head) == 8);

}  // namespace xen
