// Host fakes for the event-channel seams (evtchn/event_seams.hpp) and a small "world" of
// fake domains, shared by the tests/host/evtchn_*_test.cpp suites and the evtchn fuzzer.
//
// Guest memory is plain host memory: shared_info and FIFO pages are page-aligned
// allocations the test reads and writes directly, as the guest would.
#pragma once

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "evtchn/event_channels.hpp"
#include "evtchn/fifo_delivery.hpp"

namespace hv::evtchn::testing {

struct PageDeleter {
    void operator()(void* p) const { std::free(p); }
};
using PagePtr = std::unique_ptr<void, PageDeleter>;

inline PagePtr make_page() {
    void* p = std::aligned_alloc(4096, 4096);
    std::memset(p, 0, 4096);
    return PagePtr(p);
}

class FakeGuestMemory final : public GuestEventMemory {
public:
    FakeGuestMemory() : shared_page_(make_page()) {}

    xen::SharedInfo* shared_info() override { return static_cast<xen::SharedInfo*>(shared_page_.get()); }
    xen::VcpuInfo* vcpu_info(unsigned vcpu) override {
        auto it = moved_vcpu_info.find(vcpu);
        if (it != moved_vcpu_info.end())
            return it->second;
        return vcpu < xen::legacy_max_vcpus ? &shared_info()->vcpu_info[vcpu] : nullptr;
    }
    Result<void*> map_guest_frame(uint64_t gfn) override {
        std::lock_guard<std::mutex> guard(mutex_);
        if (fail_next_map_with != Status::Ok) {
            Status s = fail_next_map_with;
            fail_next_map_with = Status::Ok;
            return s;
        }
        auto it = frames_.find(gfn);
        if (it == frames_.end())
            return Status::InvalidArgument;
        ++mapped_[it->second.get()];
        return it->second.get();
    }
    void release_guest_frame(void* mapping) override {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = mapped_.find(mapping);
        if (it == mapped_.end() || it->second == 0)
            std::abort();  // releasing something never mapped
        if (--it->second == 0)
            mapped_.erase(it);
    }

    // A guest frame the domain owns (map_guest_frame succeeds for it).
    void* add_frame(uint64_t gfn) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto& page = frames_[gfn];
        if (!page)
            page = make_page();
        return page.get();
    }
    void* frame(uint64_t gfn) {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = frames_.find(gfn);
        return it == frames_.end() ? nullptr : it->second.get();
    }
    size_t mappings_held() {
        std::lock_guard<std::mutex> guard(mutex_);
        size_t n = 0;
        for (auto& [page, count] : mapped_)
            n += count;
        return n;
    }

    Status fail_next_map_with = Status::Ok;
    std::map<unsigned, xen::VcpuInfo*> moved_vcpu_info;

private:
    PagePtr shared_page_;
    std::mutex mutex_;
    std::map<uint64_t, PagePtr> frames_;
    std::map<void*, unsigned> mapped_;
};

class FakeNotifier final : public EventNotifier {
public:
    void kick_vcpu(DomainId domain, unsigned vcpu) override {
        std::lock_guard<std::mutex> guard(mutex_);
        kicks.emplace_back(domain, vcpu);
    }
    void poll_wakeup(DomainId domain, unsigned vcpu) override {
        std::lock_guard<std::mutex> guard(mutex_);
        wakeups.emplace_back(domain, vcpu);
    }
    bool paused_by_controller(DomainId domain) override {
        std::lock_guard<std::mutex> guard(mutex_);
        return paused.count(domain) != 0;
    }
    size_t kick_count() {
        std::lock_guard<std::mutex> guard(mutex_);
        return kicks.size();
    }
    void clear() {
        std::lock_guard<std::mutex> guard(mutex_);
        kicks.clear();
        wakeups.clear();
    }

    std::vector<std::pair<DomainId, unsigned>> kicks;
    std::vector<std::pair<DomainId, unsigned>> wakeups;
    std::set<DomainId> paused;

private:
    std::mutex mutex_;
};

class FakePageAllocator final : public ChannelPageAllocator {
public:
    void* allocate_page() override {
        std::lock_guard<std::mutex> guard(mutex_);
        if (pages_left == 0)
            return nullptr;
        if (pages_left > 0)
            --pages_left;
        ++outstanding;
        return make_page().release();
    }
    void free_page(void* page) override {
        std::lock_guard<std::mutex> guard(mutex_);
        --outstanding;
        std::free(page);
    }

    long pages_left = -1;  // -1: unlimited
    long outstanding = 0;

private:
    std::mutex mutex_;
};

class FakePirqHook final : public PirqHook {
public:
    uint32_t pirq_count(DomainId) override { return count; }
    bool pirq_permitted(DomainId, uint32_t pirq) override { return mapped.count(pirq) != 0; }
    Status bind(DomainId domain, uint32_t pirq, uint32_t port, bool will_share) override {
        if (bind_result != Status::Ok)
            return bind_result;
        bound[{domain, pirq}] = port;
        last_will_share = will_share;
        return Status::Ok;
    }
    void unbind(DomainId domain, uint32_t pirq) override {
        bound.erase({domain, pirq});
        unbinds.emplace_back(domain, pirq);
    }
    void set_affinity(DomainId domain, uint32_t pirq, unsigned vcpu) override {
        affinity.emplace_back(pirq, vcpu);
    }

    uint32_t count = 64;
    std::set<uint32_t> mapped;
    Status bind_result = Status::Ok;
    bool last_will_share = false;
    std::map<std::pair<DomainId, uint32_t>, uint32_t> bound;
    std::vector<std::pair<DomainId, uint32_t>> unbinds;
    std::vector<std::pair<uint32_t, unsigned>> affinity;
};

// One fake domain: guest memory, vCPU storage and the EventDomain over them.
struct TestDomain {
    TestDomain(EventSystem& system, const EventDomainConfig& config, unsigned vcpus)
        : vcpu_storage(new EventVcpu[vcpus]), domain(system, config, std::span(vcpu_storage.get(), vcpus), memory) {}

    xen::SharedInfo& shared() { return *memory.shared_info(); }
    xen::VcpuInfo& vcpu_info(unsigned v) { return *memory.vcpu_info(v); }
    bool pending(uint32_t port) { return (shared().evtchn_pending[port / 64] >> (port % 64)) & 1; }
    bool masked(uint32_t port) { return (shared().evtchn_mask[port / 64] >> (port % 64)) & 1; }
    // Guest-side bit operations, locked like Linux's sync_set_bit/sync_clear_bit.
    void set_mask(uint32_t port) {
        __atomic_fetch_or(&shared().evtchn_mask[port / 64], 1ull << (port % 64), __ATOMIC_SEQ_CST);
    }
    void clear_pending(uint32_t port) {
        __atomic_fetch_and(&shared().evtchn_pending[port / 64], ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
    }
    // What a 2-level guest's upcall handler does first.
    void ack_upcall(unsigned v) {
        vcpu_info(v).evtchn_upcall_pending = 0;
        vcpu_info(v).evtchn_pending_sel = 0;
    }

    FakeGuestMemory memory;
    std::unique_ptr<EventVcpu[]> vcpu_storage;
    EventDomain domain;
};

// Fake hypervisor: the seams plus any number of registered domains.
struct World {
    World() : system(notifier, allocator, pirqs) {}
    ~World() {
        for (auto& [id, d] : domains)
            if (d->domain.registry_hook.is_linked())
                destroy_domain(d->domain);
    }

    TestDomain& add(DomainId id, unsigned vcpus = 2, bool control = false, uint32_t max_evtchn_port = kUnlimitedPorts) {
        EventDomainConfig config;
        config.id = id;
        config.control_domain = control;
        config.max_evtchn_port = max_evtchn_port;
        auto d = std::make_unique<TestDomain>(system, config, vcpus);
        if (d->domain.init() != Status::Ok || system.add(d->domain) != Status::Ok)
            std::abort();
        TestDomain& ref = *d;
        domains[id] = std::move(d);
        return ref;
    }

    FakeNotifier notifier;
    FakePageAllocator allocator;
    FakePirqHook pirqs;
    EventSystem system;
    std::map<DomainId, std::unique_ptr<TestDomain>> domains;
};

// ---- FIFO guest model -------------------------------------------------------------

inline constexpr uint64_t kControlGfnBase = 0x1000;  // + vcpu
inline constexpr uint64_t kArrayGfnBase = 0x2000;    // + page index

// Registers control blocks for every vCPU (offset 0) and `pages` event-array pages, as
// Linux's evtchn_fifo setup does. Returns the init_control status of vCPU 0.
inline Status setup_fifo(TestDomain& d, unsigned pages = 1) {
    for (unsigned v = 0; v < d.domain.vcpu_count(); ++v) {
        d.memory.add_frame(kControlGfnBase + v);
        Result<uint8_t> r = init_control(d.domain, v, kControlGfnBase + v, 0);
        if (!r.ok())
            return r.status();
    }
    for (unsigned p = 0; p < pages; ++p) {
        d.memory.add_frame(kArrayGfnBase + p);
        Status s = expand_array(d.domain, kArrayGfnBase + p);
        if (s != Status::Ok)
            return s;
    }
    return Status::Ok;
}

// The control block and event words as the hypervisor registered them (whatever frames
// and offsets the guest chose).
inline xen::EventChannelFifoControlBlock& control_block(TestDomain& d, unsigned vcpu) {
    return *d.domain.vcpu(vcpu)->fifo_control.load();
}

inline uint32_t& event_word(TestDomain& d, uint32_t port) {
    uint32_t* word = fifo::event_word(d.domain, port);
    if (word == nullptr)
        std::abort();  // the test looked at a port without an array page
    return *word;
}

// The ports on queue `priority` of `vcpu`, head first, as a guest would walk them.
inline std::vector<uint32_t> fifo_queue(TestDomain& d, unsigned vcpu, unsigned priority) {
    std::vector<uint32_t> ports;
    uint32_t port = control_block(d, vcpu).head[priority];
    while (port != 0 && fifo::event_word(d.domain, port) != nullptr && ports.size() <= xen::fifo_nr_channels) {
        ports.push_back(port);
        uint32_t word = event_word(d, port);
        if (!(word & xen::fifo_event::linked))
            break;
        port = word & xen::fifo_link_mask;
    }
    return ports;
}

// Guest consumption of the head of a queue (Linux's consume_one_event, simplified):
// unlink the head, advance head[] and clear `ready` when the queue empties; returns the
// port if it was pending and unmasked (and clears PENDING), else 0.
inline uint32_t fifo_consume(TestDomain& d, unsigned vcpu, unsigned priority) {
    auto& control = control_block(d, vcpu);
    uint32_t port = control.head[priority];
    if (port == 0 || fifo::event_word(d.domain, port) == nullptr)
        return 0;
    uint32_t& word = event_word(d, port);
    uint32_t value = __atomic_load_n(&word, __ATOMIC_SEQ_CST);
    uint32_t next;
    for (;;) {
        next = value & xen::fifo_link_mask;
        uint32_t desired = value & ~(xen::fifo_event::linked | xen::fifo_link_mask);
        if (__atomic_compare_exchange_n(&word, &value, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            break;
    }
    control.head[priority] = next;
    if (next == 0)
        __atomic_fetch_and(&control.ready, ~(1u << priority), __ATOMIC_SEQ_CST);
    const uint32_t now = __atomic_load_n(&word, __ATOMIC_SEQ_CST);
    if ((now & xen::fifo_event::pending) && !(now & xen::fifo_event::masked)) {
        __atomic_fetch_and(&word, ~xen::fifo_event::pending, __ATOMIC_SEQ_CST);
        return port;
    }
    return 0;
}

}  // namespace hv::evtchn::testing
