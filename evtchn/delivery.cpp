#include "evtchn/delivery.hpp"

#include "evtchn/event_system.hpp"
#include "evtchn/fifo_delivery.hpp"
#include "evtchn/guest_atomic.hpp"
#include "evtchn/two_level_delivery.hpp"

namespace hv::evtchn::delivery {

void mark_events_pending(EventDomain& d, unsigned vcpu) {
    xen::VcpuInfo* info = d.memory().vcpu_info(vcpu);
    if (info == nullptr)
        return;
    if (!guest::test_and_set_bit(&info->evtchn_upcall_pending, 0))
        d.system().notifier().kick_vcpu(d.id(), vcpu);
}

void check_pollers(EventDomain& d, uint32_t port) {
    // Pairs with poll_prepare(): it registers, then looks at the pending bits; we set the
    // pending bit, then look at the registrations. Sequential consistency on both sides
    // means at least one of the two notices the other.
    if (d.poller_count().load(std::memory_order_seq_cst) == 0)
        return;
    for (unsigned i = 0; i < d.vcpu_count(); ++i) {
        std::atomic<uint32_t>& state = d.vcpu(i)->poll_state;
        uint32_t seen = state.load(std::memory_order_seq_cst);
        if (seen == kNotPolling || (seen != kPollingAnyPort && seen != port))
            continue;
        if (state.compare_exchange_strong(seen, kNotPolling, std::memory_order_seq_cst)) {
            d.poller_count().fetch_sub(1, std::memory_order_seq_cst);
            d.system().notifier().poll_wakeup(d.id(), i);
        }
    }
}

void port_init(EventDomain& d, EventChannel& channel) {
    // Only FIFO looks at the priority; 2-level keeps the default so that a later switch
    // to FIFO starts from it too.
    channel.priority.store(xen::fifo_priority_default, std::memory_order_relaxed);
    if (d.abi() == EventAbi::Fifo)
        fifo::port_init(d, channel);
}

void raise(EventDomain& d, unsigned vcpu, EventChannel& channel) {
    if (!channel.usable())
        return;
    if (d.abi() == EventAbi::Fifo)
        fifo::raise(d, vcpu, channel);
    else
        two_level::raise(d, vcpu, channel);
}

void clear_pending(EventDomain& d, EventChannel& channel) {
    if (!channel.usable())
        return;
    if (d.abi() == EventAbi::Fifo)
        fifo::clear_pending(d, channel);
    else
        two_level::clear_pending(d, channel);
}

void unmask(EventDomain& d, EventChannel& channel) {
    if (!channel.usable())
        return;
    if (d.abi() == EventAbi::Fifo)
        fifo::unmask(d, channel);
    else
        two_level::unmask(d, channel);
}

bool is_pending(EventDomain& d, const EventChannel& channel) {
    if (!channel.usable())
        return false;
    return d.abi() == EventAbi::Fifo ? fifo::is_pending(d, channel) : two_level::is_pending(d, channel);
}

bool is_masked(EventDomain& d, const EventChannel& channel) {
    if (!channel.usable())
        return true;
    return d.abi() == EventAbi::Fifo ? fifo::is_masked(d, channel) : two_level::is_masked(d, channel);
}

bool is_busy(EventDomain& d, const EventChannel& channel) {
    return d.abi() == EventAbi::Fifo && fifo::is_busy(d, channel);
}

}  // namespace hv::evtchn::delivery
