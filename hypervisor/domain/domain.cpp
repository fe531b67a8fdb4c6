#include "domain/domain.hpp"

#include <new>

#include "arch/x86_64/layout.hpp"
#include "domain/events_glue.hpp"
#include "domain/grant_glue.hpp"
#include "domain/page_types_glue.hpp"
#include "domain/scheduler.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/m2p.hpp"
#include "kernel/time.hpp"
#include "seam/panic.hpp"
#include "arch/x86_64/cpu.hpp"

namespace hv {

namespace detail {
Domain* domains[kMaxDomains];
TicketLock registry_lock;  // outermost: registry < Domain::lock; serialises slot writers only
}  // namespace detail

using detail::domains;
using detail::kMaxDomains;
using detail::registry_lock;

const char* shutdown_reason_name(ShutdownReason r) {
    switch (r) {
    case ShutdownReason::Poweroff: return "poweroff";
    case ShutdownReason::Reboot: return "reboot";
    case ShutdownReason::Suspend: return "suspend";
    case ShutdownReason::Crash: return "crash";
    case ShutdownReason::Watchdog: return "watchdog";
    case ShutdownReason::SoftReset: return "soft_reset";
    }
    return "unknown";
}

namespace {

class HostCpuid final : public pv::HostCpuid {
public:
    pv::CpuidLeaf query(uint32_t leaf, uint32_t subleaf) const override {
        const auto r = arch::cpuid(leaf, subleaf);
        return {r.eax, r.ebx, r.ecx, r.edx};
    }
};

// What the guest sees of the CPU: Xen's PV policy over this host, fixed at creation.
pv::CpuidPolicy build_cpuid(bool hardware_domain) {
    pv::CpuidDomainFacts facts;
    facts.hardware_domain = hardware_domain;
    facts.max_machine_frame = m2p_max_mfn();
    facts.tsc.tsc_khz = static_cast<uint32_t>(tsc_hz() / 1000);
    facts.tsc.cpu_khz = facts.tsc.tsc_khz;
    facts.tsc.tsc_to_ns_mul_frac = tsc_scale().mul_frac;
    facts.tsc.tsc_to_ns_shift = tsc_scale().shift;
    return pv::CpuidPolicy::build(HostCpuid{}, facts);
}

uint64_t host_arch_capabilities() {
    const bool has = (arch::cpuid(7).edx >> 29) & 1;
    return has ? arch::rdmsr(0x10a) : 0;
}

}  // namespace

Domain::Domain(const DomainConfig& config)
    : max_pages(config.max_pages),
      cpuid(build_cpuid(config.privileged)),
      msr_policy(pv::MsrPolicy::for_domain(cpuid, host_arch_capabilities())),
      id_(config.id),
      privileged_(config.privileged) {
    vcpu_count_ = config.vcpus < kMaxVcpus ? config.vcpus : kMaxVcpus;
    for (unsigned i = 0; i < vcpu_count_; ++i)
        vcpus_[i] = new Vcpu(*this, i);
}

Domain::~Domain() {
    for (unsigned i = 0; i < vcpu_count_; ++i)
        delete vcpus_[i];
}

Result<Domain*> domain_create(const DomainConfig& config) {
    if (config.id >= kFirstReservedDomid || config.vcpus == 0 || config.vcpus > Domain::kMaxVcpus)
        return Status::InvalidArgument;
    // shared_info: a hypervisor page the guest may map writable. Every legacy vcpu_info
    // starts with events masked (spec §2.5).
    auto* shared = static_cast<xen::SharedInfo*>(allocate_pages(0));
    if (shared == nullptr)
        return Status::OutOfMemory;
    auto* d = new Domain(config);
    d->set_shared_info(shared, layout::virt_to_phys(shared) >> kPageShift);
    for (unsigned i = 0; i < 32; ++i)
        shared->vcpu_info[i].evtchn_upcall_mask = 1;
    for (unsigned i = 0; i < d->vcpu_count(); ++i)
        d->vcpu(i)->set_vcpu_info(i < 32 ? &shared->vcpu_info[i] : nullptr, d->shared_info_mfn());
    {
        LockGuard guard(registry_lock);
        Domain** slot = nullptr;
        Status s = Status::Ok;
        // The first free slot from the id's home slot on: lookups probe in that order.
        for (unsigned i = 0; i < kMaxDomains; ++i) {
            Domain*& existing = domains[(config.id + i) % kMaxDomains];
            if (existing != nullptr && existing->id() == config.id)
                s = Status::Exists;
            else if (existing == nullptr && slot == nullptr)
                slot = &existing;
        }
        if (s == Status::Ok && slot == nullptr)
            s = Status::NoSpace;
        if (s == Status::Ok)
            s = sched_add_domain(*d);
        if (s != Status::Ok) {
            delete d;
            free_pages(shared, 0);
            return s;
        }
        __atomic_store_n(slot, d, __ATOMIC_RELEASE);  // domain_by_id reads without the lock
    }
    // From here on every failure is undone by the ordinary teardown (domain/destroy.cpp),
    // which also releases shared_info, now the domain's.
    for (unsigned i = 0; i < d->vcpu_count(); ++i)
        sched_add_vcpu(*d->vcpu(i), 0);
    if (page_types().assign_shared(d->shared_info_mfn(), d->id()) != Status::Ok)
        panic("domain: fresh shared_info page %#llx is not free", static_cast<unsigned long long>(d->shared_info_mfn()));
    if (Status s = events_attach(*d); s != Status::Ok) {
        detail::domain_teardown(*d);
        return s;
    }
    // Every domain has its grant table (first frame) from creation, as on Xen.
    if (Status s = grant_attach(*d); s != Status::Ok) {
        detail::domain_teardown(*d);
        return s;
    }
    return d;
}

// Lock-free: slots are published with release stores under the registry lock, and a
// Domain found here is not freed before this CPU's next quiescent point (destroy.cpp
// unlinks, then quiesces every CPU, before anything is torn down), so reading the slots
// without the lock gives the same guarantee as reading them with it.
//
// A domain sits in the first slot that was free from its id's home slot (id mod
// kMaxDomains) on, so the probe starts there: with ids below kMaxDomains, as the
// toolstack hands them out, the first slot read is the one. A free slot does not end
// the probe (a domain destroyed since may have left it free), so a miss reads them all.
Domain* detail::domain_probe(DomainId id) {
    for (unsigned i = 1; i < kMaxDomains; ++i) {
        Domain* d = __atomic_load_n(&domains[(id + i) % kMaxDomains], __ATOMIC_ACQUIRE);
        if (domain_is(d, id))
            return d;
    }
    return nullptr;
}

void domain_unlink(Domain& d) {
    LockGuard guard(registry_lock);
    for (Domain*& slot : domains)
        if (slot == &d)
            __atomic_store_n(&slot, nullptr, __ATOMIC_RELEASE);
}

void domain_shutdown(Domain& d, ShutdownReason reason) {
    if (d.shut_down.exchange(true))
        return;
    d.shutdown_reason = reason;
    LOG_INFO("domain %u shut down: %s", d.id(), shutdown_reason_name(reason));
    for (unsigned i = 0; i < d.vcpu_count(); ++i)
        sched_vcpu_stopped(*d.vcpu(i));
    domain_shutdown_hook(d, reason);
}

void domain_pause(Domain& d) {
    if (d.pause_count.fetch_add(1) == 0)
        for (unsigned i = 0; i < d.vcpu_count(); ++i)
            sched_vcpu_stopped(*d.vcpu(i));
}

Status domain_controller_pause(Domain& d) {
    unsigned n = d.controller_pauses.load();
    do {
        if (n == ~0u)
            return Status::Overflow;
    } while (!d.controller_pauses.compare_exchange_weak(n, n + 1));
    domain_pause(d);
    return Status::Ok;
}

Status domain_controller_unpause(Domain& d) {
    unsigned n = d.controller_pauses.load();
    do {
        if (n == 0)
            return Status::InvalidArgument;
    } while (!d.controller_pauses.compare_exchange_weak(n, n - 1));
    domain_unpause(d);
    return Status::Ok;
}

void domain_unpause(Domain& d) {
    if (d.pause_count.fetch_sub(1) == 1)
        for (unsigned i = 0; i < d.vcpu_count(); ++i)
            if (d.vcpu(i)->online.load())
                sched_wake(*d.vcpu(i));
}

}  // namespace hv
