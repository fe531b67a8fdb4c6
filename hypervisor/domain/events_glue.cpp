#include "domain/events_glue.hpp"

#include <new>

#include "arch/x86_64/layout.hpp"
#include "domain/domain.hpp"
#include "domain/irq_glue.hpp"
#include "domain/page_types_glue.hpp"
#include "domain/scheduler.hpp"
#include "evtchn/event_channels.hpp"
#include "evtchn/evtchn_op.hpp"
#include "hypercall/errno.hpp"
#include "kernel/memory.hpp"
#include "seam/guest_memory.hpp"
#include "seam/panic.hpp"

namespace hv {

// Per-domain event state: the core's EventDomain plus the storage its seams need.
struct DomainEvents final : public evtchn::GuestEventMemory {
    explicit DomainEvents(Domain& d, evtchn::EventSystem& system, const evtchn::EventDomainConfig& config)
        : domain(d), vcpus(new evtchn::EventVcpu[d.vcpu_count()]), events(system, config, {vcpus, d.vcpu_count()}, *this) {}

    ~DomainEvents() { delete[] vcpus; }
    DomainEvents(const DomainEvents&) = delete;
    DomainEvents& operator=(const DomainEvents&) = delete;

    xen::SharedInfo* shared_info() override { return domain.shared_info(); }
    xen::VcpuInfo* vcpu_info(unsigned vcpu) override { return domain.vcpu(vcpu)->vcpu_info(); }
    Result<void*> map_guest_frame(uint64_t gfn) override {
        // PV: the "gfn" is an MFN the domain owns; it stays writable-typed while mapped.
        if (page_types().get_page_and_type(gfn, pv::PageType::Writable, domain.id()) != Status::Ok)
            return Status::InvalidArgument;
        return layout::phys_to_virt(gfn << kPageShift);
    }
    void release_guest_frame(void* mapping) override {
        page_types().put_page_and_type(layout::virt_to_phys(mapping) >> kPageShift);
    }

    Domain& domain;
    evtchn::EventVcpu* vcpus;
    evtchn::EventDomain events;
};

namespace {

class Notifier final : public evtchn::EventNotifier {
public:
    void kick_vcpu(evtchn::DomainId domain, unsigned vcpu) override {
        if (Vcpu* v = find(domain, vcpu))
            sched_kick(*v);
    }
    void poll_wakeup(evtchn::DomainId domain, unsigned vcpu) override {
        if (Vcpu* v = find(domain, vcpu))
            sched_wake(*v);
    }
    bool paused_by_controller(evtchn::DomainId domain) override {
        Domain* d = domain_by_id(domain);
        return d != nullptr && d->controller_pauses.load() != 0;
    }

private:
    static Vcpu* find(evtchn::DomainId domain, unsigned vcpu) {
        Domain* d = domain_by_id(domain);
        return d != nullptr ? d->vcpu(vcpu) : nullptr;
    }
};

class PageAllocator final : public evtchn::ChannelPageAllocator {
public:
    void* allocate_page() override { return allocate_pages(0); }
    void free_page(void* page) override { free_pages(page, 0); }
};

Notifier notifier;
PageAllocator page_allocator;
alignas(evtchn::EventSystem) unsigned char system_storage[sizeof(evtchn::EventSystem)];
evtchn::EventSystem* event_system = nullptr;

evtchn::EventDomain& of(Domain& d) { return d.events->events; }

}  // namespace

void events_init() {
    event_system = new (system_storage) evtchn::EventSystem(notifier, page_allocator, irq_pirq_hook());
    event_system->set_hardware_domain(0);
}

Status events_attach(Domain& d) {
    evtchn::EventDomainConfig config;
    config.id = d.id();
    config.control_domain = d.privileged();
    d.events = new DomainEvents(d, *event_system, config);
    HV_TRY(d.events->events.init());
    return event_system->add(d.events->events);
}

void events_detach(Domain& d) {
    if (d.events == nullptr)
        return;
    evtchn::destroy_domain(d.events->events);
    delete d.events;
    d.events = nullptr;
}

void send_global_virq(uint32_t virq) { evtchn::send_global_virq(*event_system, virq); }

void raise_virq(Vcpu& v, uint32_t virq) {
    if (v.domain().events != nullptr)
        evtchn::raise_virq(of(v.domain()), virq, v.id());
}

void events_raise_pirq(Domain& d, uint32_t port) {
    if (d.events != nullptr)
        evtchn::raise_pirq(of(d), port);
}

Result<bool> events_any_pending(Domain& d, std::span<const uint32_t> ports) { return evtchn::any_pending(of(d), ports); }

Result<bool> events_poll(Vcpu& v, std::span<const uint32_t> ports) {
    auto outcome = evtchn::poll_prepare(of(v.domain()), v.id(), ports);
    if (!outcome.ok())
        return outcome.status();
    return *outcome == evtchn::PollOutcome::Ready;
}

void events_poll_cancel(Vcpu& v) { evtchn::poll_cancel(of(v.domain()), v.id()); }

int64_t events_hypercall(Domain& d, uint32_t cmd, uint64_t arg) {
    const size_t size = evtchn::evtchn_op_arg_size(cmd);
    if (size == 0)
        return to_guest_errno(Status::NotSupported);
    uint8_t buffer[64];
    if (size > sizeof(buffer))
        return to_guest_errno(Status::NotSupported);
    if (Status s = copy_from_guest(buffer, arg, size); s != Status::Ok)
        return to_guest_errno(s);
    Status s = evtchn::decode_and_run(*event_system, of(d), cmd, {buffer, size});
    if (s == Status::Ok && evtchn::evtchn_op_writes_back(cmd))
        s = copy_to_guest(arg, buffer, size);
    return to_guest_errno(s);
}

}  // namespace hv
