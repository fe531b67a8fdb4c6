#include "evtchn/channel_locking.hpp"

#include "evtchn/delivery.hpp"
#include "evtchn/event_system.hpp"

namespace hv::evtchn {

DomainPairLock::DomainPairLock(EventDomain& a, EventDomain& b)
    : first_(a.id() <= b.id() ? a : b), second_(a.id() <= b.id() ? b : a) {
    first_.event_lock().lock();
    if (&second_ != &first_)
        second_.event_lock().lock();
}

DomainPairLock::~DomainPairLock() {
    if (&second_ != &first_)
        second_.event_lock().unlock();
    first_.event_lock().unlock();
}

namespace {

bool channel_before(const EventDomain& da, const EventChannel& a, const EventDomain& db, const EventChannel& b) {
    return da.id() != db.id() ? da.id() < db.id() : a.port < b.port;
}

}  // namespace

ChannelPairWriteLock::ChannelPairWriteLock(const EventDomain& domain_a, EventChannel& a, const EventDomain& domain_b,
                                           EventChannel& b)
    : first_(channel_before(domain_a, a, domain_b, b) ? a : b),
      second_(channel_before(domain_a, a, domain_b, b) ? b : a) {
    first_.lock.lock();
    second_.lock.lock();
}

ChannelPairWriteLock::~ChannelPairWriteLock() {
    second_.lock.unlock();
    first_.lock.unlock();
}

Result<uint32_t> allocate_port(EventDomain& d) {
    if (d.dying())
        return Status::InvalidArgument;
    PortTable& ports = d.ports();
    const uint32_t limit = d.max_ports();
    for (uint32_t port = 0; port < limit; ++port) {
        if (!ports.valid(port)) {
            HV_TRY(ports.grow_to(port, d.system().allocator()));
            return port;
        }
        const EventChannel& channel = ports.at(port);
        if (channel.state.load(std::memory_order_relaxed) == ChannelState::Free && !delivery::is_busy(d, channel))
            return port;
    }
    return Status::NoSpace;
}

void commit_binding(EventDomain& d, EventChannel& channel, ChannelState state) {
    delivery::port_init(d, channel);
    channel.state.store(state, std::memory_order_release);
    d.count_bound();
}

void free_channel(EventDomain& d, EventChannel& channel) {
    delivery::clear_pending(d, channel);
    channel.state.store(ChannelState::Free, std::memory_order_release);
    channel.notify_vcpu.store(0, std::memory_order_relaxed);
    channel.unbound_remote = 0;
    channel.bound_value = 0;
    channel.remote_domain = nullptr;
    d.count_freed();
}

}  // namespace hv::evtchn
