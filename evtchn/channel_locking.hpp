// Internal helpers of the operations: the two-domain and two-channel lock orders of
// evtchn/event_channel.hpp as RAII guards, port allocation and freeing.
#pragma once

#include <cstdint>

#include "evtchn/event_domain.hpp"
#include "lib/spinlock.hpp"
#include "lib/status.hpp"

namespace hv::evtchn {

// Both domains' event_locks, lower domain id first; one lock if it is the same domain.
class [[nodiscard]] DomainPairLock {
public:
    DomainPairLock(EventDomain& a, EventDomain& b);
    ~DomainPairLock();
    DomainPairLock(const DomainPairLock&) = delete;
    DomainPairLock& operator=(const DomainPairLock&) = delete;

private:
    EventDomain& first_;
    EventDomain& second_;
};

// Write locks of two different channels, ordered by (domain id, port).
class [[nodiscard]] ChannelPairWriteLock {
public:
    ChannelPairWriteLock(const EventDomain& domain_a, EventChannel& a, const EventDomain& domain_b, EventChannel& b);
    ~ChannelPairWriteLock();
    ChannelPairWriteLock(const ChannelPairWriteLock&) = delete;
    ChannelPairWriteLock& operator=(const ChannelPairWriteLock&) = delete;

private:
    EventChannel& first_;
    EventChannel& second_;
};

class [[nodiscard]] ChannelWriteLock {
public:
    explicit ChannelWriteLock(EventChannel& channel) : channel_(channel) { channel_.lock.lock(); }
    ~ChannelWriteLock() { channel_.lock.unlock(); }
    ChannelWriteLock(const ChannelWriteLock&) = delete;
    ChannelWriteLock& operator=(const ChannelWriteLock&) = delete;

private:
    EventChannel& channel_;
};

// The lowest Free, non-busy port below d.max_ports(), growing the table if needed
// (Xen: get_free_port). Caller holds d.event_lock(). InvalidArgument if the domain is
// dying, NoSpace, OutOfMemory.
[[nodiscard]] Result<uint32_t> allocate_port(EventDomain& d);

// Makes a Free channel bound (state last, after its fields) and counts it. Caller holds
// d.event_lock() and the channel's write lock.
void commit_binding(EventDomain& d, EventChannel& channel, ChannelState state);

// Clears the channel's pending event and makes it Free on vCPU 0 (Xen: evtchn_free).
// Caller holds d.event_lock() and the channel's write lock.
void free_channel(EventDomain& d, EventChannel& channel);

// Frees one port, whatever it is bound to (Xen: evtchn_close). Takes the locks itself.
[[nodiscard]] Status close_port(EventDomain& d, uint32_t port);

}  // namespace hv::evtchn
