// Seams of the event-channel core (STYLE.md rule 2): everything it needs from the rest
// of the hypervisor, as small interfaces the kernel implements and host tests fake.
//
//   GuestEventMemory      per domain: the guest-shared pages events are delivered into
//   EventNotifier         system-wide: wake a vCPU whose upcall became pending, wake a
//                         vCPU blocked in SCHEDOP_poll, ask whether a domain is paused
//   PirqHook              system-wide: physical IRQs for dom0 (EVTCHNOP_bind_pirq)
//   ChannelPageAllocator  system-wide: page-sized buckets for port tables
//
// Implementations must not call back into the event-channel core: they run with event
// locks held (see the lock order in evtchn/event_channel.hpp).
//
// The interfaces have protected, non-virtual destructors: the core never owns or
// deletes an implementation (and the freestanding image has no operator delete).
#pragma once

#include <cstdint>

#include "hypercall/public/shared_info.hpp"
#include "lib/status.hpp"

namespace hv::evtchn {

using DomainId = uint16_t;

class GuestEventMemory {
public:
    // The domain's shared_info page (2-level bitmaps). Never null for a PV domain.
    virtual xen::SharedInfo* shared_info() = 0;
    // Where vcpu_info of `vcpu` lives now (in shared_info, or wherever the guest moved
    // it with VCPUOP_register_vcpu_info). `vcpu` is below the domain's vCPU count.
    virtual xen::VcpuInfo* vcpu_info(unsigned vcpu) = 0;
    // Maps one guest frame (an MFN for PV) for FIFO control blocks and event arrays:
    // the frame must belong to the domain and take a writable-page type reference,
    // which stays held until release_guest_frame. InvalidArgument for a frame the
    // domain may not use this way (Xen: -EINVAL), OutOfMemory if it cannot be mapped.
    [[nodiscard]] virtual Result<void*> map_guest_frame(uint64_t gfn) = 0;
    // Undoes map_guest_frame; `mapping` is the page-aligned address it returned.
    virtual void release_guest_frame(void* mapping) = 0;

protected:
    ~GuestEventMemory() = default;
};

class EventNotifier {
public:
    // vcpu_info.evtchn_upcall_pending of (domain, vcpu) went from 0 to 1: make the vCPU
    // notice (wake it if blocked, IPI its CPU if it is running elsewhere).
    virtual void kick_vcpu(DomainId domain, unsigned vcpu) = 0;
    // A vCPU that registered with poll_prepare() must stop polling and run again.
    virtual void poll_wakeup(DomainId domain, unsigned vcpu) = 0;
    // Whether a controller (the toolstack) holds `domain` paused: EVTCHNOP_reset of
    // another domain requires it (Xen: controller_pause_count).
    virtual bool paused_by_controller(DomainId domain) = 0;

protected:
    ~EventNotifier() = default;
};

// Physical IRQs as dom0 sees them (Xen: struct pirq, pirq_guest_bind). The hypervisor's
// IRQ layer owns the pirq->IRQ mapping (PHYSDEVOP_map_pirq); the event-channel core only
// owns the pirq->port binding and asks this hook the rest.
class PirqHook {
public:
    // Pirq numbers of `domain` are below this (Xen: d->nr_pirqs); others are -EINVAL.
    virtual uint32_t pirq_count(DomainId domain) = 0;
    // `pirq` is mapped to an IRQ the domain may use (Xen: pirq_access_permitted);
    // otherwise bind_pirq is -EPERM.
    virtual bool pirq_permitted(DomainId domain, uint32_t pirq) = 0;
    // Start delivering the IRQ to `port` (Xen: pirq_guest_bind). Errors are returned to
    // the guest unchanged (e.g. Busy when the IRQ is taken and not shareable).
    [[nodiscard]] virtual Status bind(DomainId domain, uint32_t pirq, uint32_t port, bool will_share) = 0;
    virtual void unbind(DomainId domain, uint32_t pirq) = 0;
    // The channel moved to `vcpu` (EVTCHNOP_bind_vcpu): route the IRQ near it.
    virtual void set_affinity(DomainId domain, uint32_t pirq, unsigned vcpu) = 0;

protected:
    ~PirqHook() = default;
};

// The default until the IRQ layer exists: `count` pirq numbers, none of them mapped, so
// bind_pirq is -EINVAL beyond the count and -EPERM below it, exactly as Xen answers for
// an unmapped pirq.
class UnmappedPirqHook final : public PirqHook {
public:
    explicit constexpr UnmappedPirqHook(uint32_t count = 0) : count_(count) {}
    uint32_t pirq_count(DomainId) override { return count_; }
    bool pirq_permitted(DomainId, uint32_t) override { return false; }
    Status bind(DomainId, uint32_t, uint32_t, bool) override { return Status::InvalidArgument; }
    void unbind(DomainId, uint32_t) override {}
    void set_affinity(DomainId, uint32_t, unsigned) override {}

private:
    uint32_t count_;
};

class ChannelPageAllocator {
public:
    // A zeroed, 4 KiB-aligned page; nullptr when memory is exhausted (Xen: -ENOMEM).
    virtual void* allocate_page() = 0;
    virtual void free_page(void* page) = 0;

protected:
    ~ChannelPageAllocator() = default;
};

}  // namespace hv::evtchn
