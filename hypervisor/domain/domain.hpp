// A domain: an isolated guest with its own memory, vCPUs and event channels.
//
// Lifecycle: created (paused) -> unpaused (runnable) -> shutdown(reason) requested by the
// guest -> destroyed (domain_destroy, domain/destroy.cpp: resources returned). Pause is
// counted: a domain runs only when pause_count is 0 and it has not shut down.
//
// Lifetime (RCU by quiescent points, as Xen's rcu_lock_domain): domain_by_id() hands out
// plain pointers that are valid until the calling CPU passes its next quiescent point.
// domain_destroy() unlinks the domain (no new lookups), waits until every other CPU has
// passed a quiescent point (so no hypercall, timer or softirq still uses it), and only
// then tears it down and frees it.
//
// Locking (outermost first): domain registry lock < Domain::lock < frame allocator.
// Domain::lock protects the page list, page counts and every page-type change of frames
// this domain owns (PV page-table updates of one domain are serialised by it; general
// reference counts of frames are atomic and need no lock).
#pragma once

#include <atomic>
#include <cstdint>

#include "domain/vcpu.hpp"
#include "hypercall/public/shared_info.hpp"
#include "lib/spinlock.hpp"
#include "memory/frame.hpp"
#include "pv/cpuid_policy.hpp"
#include "pv/msr_policy.hpp"
#include "sched/sched_domain.hpp"

namespace hv {

struct DomainEvents;
namespace grant {
class GrantTable;
}

using DomainId = uint16_t;
inline constexpr DomainId kDomidSelf = 0x7ff0;
inline constexpr DomainId kDomidIo = 0x7ff1;
inline constexpr DomainId kDomidXen = 0x7ff2;
inline constexpr DomainId kFirstReservedDomid = 0x7ff0;

enum class ShutdownReason : uint8_t { Poweroff = 0, Reboot = 1, Suspend = 2, Crash = 3, Watchdog = 4, SoftReset = 5 };
const char* shutdown_reason_name(ShutdownReason r);

struct DomainConfig {
    DomainId id = 0;
    bool privileged = false;       // dom0: I/O, platform and control hypercalls
    unsigned vcpus = 1;
    uint64_t max_pages = ~0ull;
};

class Domain {
public:
    static constexpr unsigned kMaxVcpus = 64;
    explicit Domain(const DomainConfig& config);
    ~Domain();  // frees the vCPUs; only domain_destroy deletes a Domain
    Domain(const Domain&) = delete;
    Domain& operator=(const Domain&) = delete;

    DomainId id() const { return id_; }
    bool privileged() const { return privileged_; }
    unsigned vcpu_count() const { return vcpu_count_; }
    Vcpu* vcpu(unsigned i) const { return i < vcpu_count_ ? vcpus_[i] : nullptr; }

    xen::SharedInfo* shared_info() const { return shared_info_; }
    Pfn shared_info_mfn() const { return shared_info_mfn_; }
    void set_shared_info(xen::SharedInfo* va, Pfn mfn) {
        shared_info_ = va;
        shared_info_mfn_ = mfn;
    }

    // Memory: ownership of each frame is in the frame table (pv/page_types); these count
    // it (caller holds `lock`).
    uint64_t tot_pages = 0;
    uint64_t max_pages;
    TicketLock lock;

    uint64_t vm_assist = 0;        // enabled VMASST_TYPE_* bits
    bool vm_assist_enabled(unsigned type) const { return (__atomic_load_n(&vm_assist, __ATOMIC_RELAXED) >> type) & 1; }

    sched::SchedDomain sched_domain{this};
    // Grant table (grant/, wired in domain/grant_glue): created with its first frame on
    // first use, published once (release), never replaced.
    std::atomic<grant::GrantTable*> grant_table{nullptr};

    // Event channels (domain/events_glue).
    struct DomainEvents* events = nullptr;

    // What the guest sees of the CPU (fixed at creation).
    pv::CpuidPolicy cpuid;
    pv::MsrPolicy msr_policy;

    // Lifecycle.
    std::atomic<unsigned> pause_count{1};  // created paused
    std::atomic<bool> shut_down{false};
    ShutdownReason shutdown_reason = ShutdownReason::Poweroff;
    std::atomic<unsigned> controller_pauses{0};  // control-op pauses (Xen: controller_pause_count)
    std::atomic<bool> dying{false};  // domain_destroy started: no new lookups, no new work
    bool runnable() const { return pause_count.load() == 0 && !shut_down.load() && !dying.load(); }

    // Dom0's console input buffer etc. come later; domUs get console_io too (a debugging
    // aid Xen release builds refuse, see docs/abi-compatibility.md).

private:
    DomainId id_;
    bool privileged_;
    unsigned vcpu_count_ = 0;
    Vcpu* vcpus_[kMaxVcpus] = {};
    xen::SharedInfo* shared_info_ = nullptr;
    Pfn shared_info_mfn_ = 0;
};

// Registry of live domains.
[[nodiscard]] Result<Domain*> domain_create(const DomainConfig& config);
// The domain with this id, unless it does not exist or is being destroyed. The pointer
// stays valid until the calling CPU's next quiescent point (kernel/quiesce.hpp): use it
// within one hypercall or interrupt, never store it. Inline for the common case, the
// domain in its home slot (id mod kMaxDomains, where domain_create puts it when free).
inline Domain* domain_by_id(DomainId id);
// Calls fn(Domain&) for every registered domain (in slot order), under the registry lock
// (fn must not take the registry lock or block).
template <typename Fn>
void domain_for_each(Fn&& fn);
// Removes a dying domain from the registry (domain/destroy.cpp).
void domain_unlink(Domain& d);
// Records a shutdown requested by the guest (SCHEDOP_shutdown) and stops its vCPUs.
void domain_shutdown(Domain& d, ShutdownReason reason);
void domain_unpause(Domain& d);
void domain_pause(Domain& d);
// The toolstack's pause/unpause (counted separately from the domain's own pause count, as
// Xen's controller_pause_count): unpause without a pause is InvalidArgument.
[[nodiscard]] Status domain_controller_pause(Domain& d);
[[nodiscard]] Status domain_controller_unpause(Domain& d);

// Tears down a domain other than the caller's: stops its vCPUs, closes its event
// channels, drops every page-table, pin and mapping reference it holds and returns all
// its frames (frames another domain still maps are freed when that mapping goes, as on
// Xen). InvalidArgument for the hardware domain; NoSuchDomain if already dying.
[[nodiscard]] Status domain_destroy(Domain& d);

namespace detail {
// Destruction without the caller checks (also undoes a failed domain_create).
void domain_teardown(Domain& d);
inline constexpr unsigned kMaxDomains = 64;
extern Domain* domains[kMaxDomains];
extern TicketLock registry_lock;
// domain_by_id past the home slot.
Domain* domain_probe(DomainId id);
inline bool domain_is(const Domain* d, DomainId id) {
    return d != nullptr && d->id() == id && !d->dying.load(std::memory_order_relaxed);
}
}  // namespace detail

inline Domain* domain_by_id(DomainId id) {
    Domain* d = __atomic_load_n(&detail::domains[id % detail::kMaxDomains], __ATOMIC_ACQUIRE);
    return detail::domain_is(d, id) ? d : detail::domain_probe(id);
}

template <typename Fn>
void domain_for_each(Fn&& fn) {
    LockGuard guard(detail::registry_lock);
    for (Domain* d : detail::domains)
        if (d != nullptr)
            fn(*d);
}

}  // namespace hv
