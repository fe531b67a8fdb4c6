// A domain: an isolated guest with its own memory, vCPUs and event channels.
//
// Lifecycle: created (paused) -> unpaused (runnable) -> shutdown(reason) requested by the
// guest -> destroyed (resources returned). Pause is counted: a domain runs only when
// pause_count is 0 and it has not shut down.
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
    bool runnable() const { return pause_count.load() == 0 && !shut_down.load(); }

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
Domain* domain_by_id(DomainId id);
// Records a shutdown requested by the guest (SCHEDOP_shutdown) and stops its vCPUs.
void domain_shutdown(Domain& d, ShutdownReason reason);
void domain_unpause(Domain& d);

}  // namespace hv
