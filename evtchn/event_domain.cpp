#include "evtchn/event_domain.hpp"

#include "evtchn/event_system.hpp"
#include "evtchn/fifo_delivery.hpp"
#include "seam/panic.hpp"

namespace hv::evtchn {

EventDomain::EventDomain(EventSystem& system, const EventDomainConfig& config, std::span<EventVcpu> vcpus,
                         GuestEventMemory& memory)
    : system_(system),
      memory_(memory),
      vcpus_(vcpus),
      id_(config.id),
      max_evtchn_port_(config.max_evtchn_port < kUnlimitedPorts ? config.max_evtchn_port : kUnlimitedPorts),
      control_domain_(config.control_domain),
      xenstore_domain_(config.xenstore_domain) {
    // vCPU ids travel in 16 bits (EventChannel::notify_vcpu); vCPU 0 always exists.
    HV_ASSERT(!vcpus_.empty() && vcpus_.size() <= 0x10000);
    for (EventVcpu& v : vcpus_) {
        for (uint32_t q = 0; q < xen::fifo_max_queues; ++q)
            v.fifo_queues[q].priority = static_cast<uint8_t>(q);
    }
}

EventDomain::~EventDomain() {
    HV_ASSERT(!registry_hook.is_linked());
    fifo::teardown(*this);
    ports_.release_all(system_.allocator());
}

Status EventDomain::init() {
    LockGuard guard(event_lock_);
    if (ports_.valid(0))
        return Status::Exists;
    HV_TRY(ports_.grow_to(0, system_.allocator()));
    ports_.at(0).state.store(ChannelState::Reserved, std::memory_order_release);
    return Status::Ok;
}

uint32_t EventDomain::max_ports() const {
    const uint32_t abi_limit = abi() == EventAbi::Fifo ? kFifoPorts : kTwoLevelPorts;
    return max_evtchn_port_ < abi_limit ? max_evtchn_port_ + 1 : abi_limit;
}

}  // namespace hv::evtchn
