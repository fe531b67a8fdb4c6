// The event-channel side of one domain: its port table, per-vCPU event state (VIRQ
// bindings, SCHEDOP_poll registration, FIFO queues), the ABI in use and its limits.
//
// Invariants:
//  - Port 0 is Reserved from init() until destruction.
//  - Ports are allocated below max_ports() = min(ABI limit, max_evtchn_port + 1), where
//    the ABI limit is 4096 for 2-level (64 x 64 bits, 64-bit guest) and 2^17 for FIFO.
//  - active_channels() counts channels that are neither Free nor Reserved.
//  - EventVcpu::virq_port[v] is non-zero iff that port is a Virq channel for v bound on
//    this vCPU (global VIRQs: always on vCPU 0's table).
//  - abi() is TwoLevel until the first successful EVTCHNOP_init_control, then Fifo until
//    EVTCHNOP_reset or destruction; FIFO structures are only used while it is Fifo.
//  - A domain is found by id (EventSystem) only between EventSystem::add() and
//    destroy_domain(); `dying` refuses new ports from the moment teardown starts.
// Locking: see evtchn/event_channel.hpp. event_lock protects allocation, every state
// change, the VIRQ tables' writers, the FIFO setup and the reset/dying flags.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

#include <boost/intrusive/set.hpp>

#include "evtchn/event_channel.hpp"
#include "evtchn/event_seams.hpp"
#include "evtchn/port_table.hpp"
#include "hypercall/public/event_channel.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "lib/spinlock.hpp"
#include "lib/status.hpp"

namespace hv::evtchn {

class EventSystem;

inline constexpr uint32_t kTwoLevelPorts = xen::evtchn_2l_nr_channels;  // 4096
inline constexpr uint32_t kFifoPorts = xen::fifo_nr_channels;          // 131072
inline constexpr uint32_t kUnlimitedPorts = 0x7fffffff;                 // Xen: INT_MAX

// One FIFO priority queue of one vCPU (Xen: evtchn_fifo_queue).
struct FifoQueue {
    uint32_t* head = nullptr;  // this queue's head[] slot in the guest's control block
    uint32_t tail = 0;         // last port linked by the hypervisor; 0 = queue looks empty
    uint8_t priority = 0;
    TicketLock lock;
};

// SCHEDOP_poll registration of a vCPU (EventVcpu::poll_state).
inline constexpr uint32_t kNotPolling = 0;
inline constexpr uint32_t kPollingAnyPort = 0xffffffffu;

class EventVcpu {
public:
    EventVcpu() = default;
    EventVcpu(const EventVcpu&) = delete;
    EventVcpu& operator=(const EventVcpu&) = delete;

    std::atomic<uint32_t> virq_port[xen::virq_count] = {};
    // kNotPolling, kPollingAnyPort, or the single port polled for.
    std::atomic<uint32_t> poll_state{kNotPolling};

    // FIFO: the control block inside the mapped guest page, or null before init_control.
    std::atomic<xen::EventChannelFifoControlBlock*> fifo_control{nullptr};
    void* fifo_control_page = nullptr;
    FifoQueue fifo_queues[xen::fifo_max_queues];
};

enum class EventAbi : uint8_t { TwoLevel, Fifo };

struct EventDomainConfig {
    DomainId id = 0;
    // Highest port the domain may allocate (Xen: max_evtchn_port; xl's event_channels
    // minus one for a domU; unlimited for dom0).
    uint32_t max_evtchn_port = kUnlimitedPorts;
    bool control_domain = false;   // may operate on other domains' channels (dom0)
    bool xenstore_domain = false;  // likewise, as Xen's default XSM policy allows
};

// FIFO event array: pages of 1024 event words, registered by EVTCHNOP_expand_array.
struct FifoEventArray {
    static constexpr uint32_t kMaxPages = xen::fifo_nr_channels / xen::fifo_event_words_per_page;
    std::atomic<uint32_t*> pages[kMaxPages] = {};
    std::atomic<uint32_t> word_count{0};  // raised (release) after a page is stored
};

// `vcpus` (one EventVcpu per vCPU, the domain's max_vcpus) and `memory` belong to the
// caller and must outlive the EventDomain; a vCPU exists for the event-channel core iff
// its id is below vcpus.size() (Xen: all vCPUs of a PV domain exist from creation).
class EventDomain {
public:
    EventDomain(EventSystem& system, const EventDomainConfig& config, std::span<EventVcpu> vcpus,
                GuestEventMemory& memory);
    ~EventDomain();
    EventDomain(const EventDomain&) = delete;
    EventDomain& operator=(const EventDomain&) = delete;

    // Allocates the first bucket and reserves port 0 (Xen: evtchn_init).
    [[nodiscard]] Status init();

    DomainId id() const { return id_; }
    unsigned vcpu_count() const { return static_cast<unsigned>(vcpus_.size()); }
    // nullptr for a vCPU the domain does not have (Xen: domain_vcpu).
    EventVcpu* vcpu(uint32_t vcpu_id) { return vcpu_id < vcpus_.size() ? &vcpus_[vcpu_id] : nullptr; }
    EventSystem& system() const { return system_; }
    GuestEventMemory& memory() const { return memory_; }
    TicketLock& event_lock() { return event_lock_; }
    PortTable& ports() { return ports_; }
    const PortTable& ports() const { return ports_; }
    FifoEventArray& fifo_array() { return fifo_array_; }

    EventAbi abi() const { return abi_.load(std::memory_order_acquire); }
    void set_abi(EventAbi abi) { abi_.store(abi, std::memory_order_release); }
    uint32_t max_evtchn_port() const { return max_evtchn_port_; }
    // Ports [0, max_ports()) may be allocated under the current ABI.
    uint32_t max_ports() const;

    // Xen's default XSM policy for XSM_TARGET hooks: the domain itself, a control domain
    // or the xenstore domain.
    bool may_control(const EventDomain& target) const {
        return &target == this || control_domain_ || xenstore_domain_;
    }

    uint32_t active_channels() const { return active_.load(std::memory_order_relaxed); }
    void count_bound() { active_.fetch_add(1, std::memory_order_relaxed); }
    void count_freed() { active_.fetch_sub(1, std::memory_order_relaxed); }

    // With event_lock held.
    bool dying() const { return dying_; }
    void set_dying() { dying_ = true; }
    bool reset_in_progress() const { return reset_in_progress_; }
    void set_reset_in_progress(bool value) { reset_in_progress_ = value; }

    // Pollers registered with poll_prepare (fast path of check_pollers).
    std::atomic<uint32_t>& poller_count() { return pollers_; }

    // Registry (EventSystem) bookkeeping.
    boost::intrusive::set_member_hook<> registry_hook;
    std::atomic<uint32_t> registry_refs{0};

private:
    EventSystem& system_;
    GuestEventMemory& memory_;
    std::span<EventVcpu> vcpus_;
    DomainId id_;
    uint32_t max_evtchn_port_;
    bool control_domain_;
    bool xenstore_domain_;
    bool dying_ = false;
    bool reset_in_progress_ = false;
    std::atomic<EventAbi> abi_{EventAbi::TwoLevel};
    std::atomic<uint32_t> active_{0};
    std::atomic<uint32_t> pollers_{0};
    TicketLock event_lock_;
    PortTable ports_;
    FifoEventArray fifo_array_;
};

// Xen's virq_is_global: per-vCPU VIRQs are timer, debug, xenoprof and xenpmu; every other
// number below virq_count (including the x86 arch range) is global, bound on vCPU 0.
constexpr bool virq_is_global(uint32_t virq) {
    return virq != xen::raw(xen::Virq::timer) && virq != xen::raw(xen::Virq::debug) &&
           virq != xen::raw(xen::Virq::xenoprof) && virq != xen::raw(xen::Virq::xenpmu);
}

}  // namespace hv::evtchn
