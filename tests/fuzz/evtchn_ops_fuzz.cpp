// Fuzzer for the event-channel core: a byte-driven sequence of EVTCHNOP_* calls (through
// the raw decoding layer), hypervisor raises, SCHEDOP_poll registrations and guest-side
// actions (acks, masks, FIFO queue consumption) on two fake domains, with the core's
// invariants checked every few steps and at the end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "evtchn/evtchn_op.hpp"
#include "tests/fuzz/fuzz_stream.hpp"
#include "tests/host/evtchn_fakes.hpp"

namespace hv::evtchn {
namespace {

using testing::TestDomain;
using testing::World;


class Input : public fuzz::ByteStream {
public:
    using ByteStream::ByteStream;
    // Mostly small ports (that exist), sometimes anything.
    uint32_t port() {
        uint8_t b = byte();
        return b < 240 ? b % 48 : u32();
    }
    uint16_t dom() {
        switch (byte() % 5) {
        case 0: return 0;
        case 1: return 1;
        case 2: return xen::domid_self;
        case 3: return 2;  // does not exist
        default: return static_cast<uint16_t>(u32());
        }
    }
    uint32_t vcpu() {
        uint8_t b = byte();
        return b < 250 ? b % 4 : u32();  // 0..1 exist, 2..3 do not
    }
    uint32_t virq() { return byte() % (xen::virq_count + 2); }
    // Control-block frames for init_control, array frames for expand_array (the fourth
    // is not the domain's), sometimes anything.
    uint64_t gfn(uint64_t base) {
        uint8_t b = byte();
        return b < 230 ? base + b % 4 : u32();
    }

};

constexpr uint32_t kPerVcpuVirqs[] = {0, 1, 7, 13};
constexpr uint32_t kGlobalVirqs[] = {2, 3, 9, 16};
constexpr unsigned kVcpus = 2;

template <typename Struct>
std::vector<uint8_t> bytes_of(const Struct& s) {
    std::vector<uint8_t> v(sizeof(Struct));
    std::memcpy(v.data(), &s, sizeof(Struct));
    return v;
}

// An EVTCHNOP_* call with fields drawn to hit both the success and error paths.
void hypercall(World& world, TestDomain& caller, Input& in) {
    using Op = xen::EventChannelOp;
    const uint32_t cmd = in.byte() % 16;
    std::vector<uint8_t> arg;
    switch (static_cast<Op>(cmd)) {
    case Op::bind_interdomain: arg = bytes_of(xen::EventChannelBindInterdomain{in.dom(), 0, in.port(), 0}); break;
    case Op::bind_virq: arg = bytes_of(xen::EventChannelBindVirq{in.virq(), in.vcpu(), 0}); break;
    case Op::bind_pirq: arg = bytes_of(xen::EventChannelBindPirq{in.byte() % 70u, in.byte() & 1u, 0}); break;
    case Op::close:
    case Op::send:
    case Op::unmask: arg = bytes_of(xen::EventChannelPortArg{in.port()}); break;
    case Op::status: {
        xen::EventChannelStatus s{};
        s.dom = in.dom();
        s.port = in.port();
        arg = bytes_of(s);
        break;
    }
    case Op::alloc_unbound: arg = bytes_of(xen::EventChannelAllocUnbound{in.dom(), in.dom(), 0}); break;
    case Op::bind_ipi: arg = bytes_of(xen::EventChannelBindIpi{in.vcpu(), 0}); break;
    case Op::bind_vcpu: arg = bytes_of(xen::EventChannelBindVcpu{in.port(), in.vcpu()}); break;
    case Op::reset: arg = bytes_of(xen::EventChannelReset{in.dom()}); break;
    case Op::init_control: {
        xen::EventChannelInitControl c{};
        c.control_gfn = in.gfn(testing::kControlGfnBase);
        uint8_t b = in.byte();
        c.offset = b < 200 ? (b % 8) * 8 : in.u32();
        c.vcpu = in.vcpu();
        arg = bytes_of(c);
        break;
    }
    case Op::expand_array: arg = bytes_of(xen::EventChannelExpandArray{in.gfn(testing::kArrayGfnBase)}); break;
    case Op::set_priority: arg = bytes_of(xen::EventChannelSetPriority{in.port(), in.byte() % 18u}); break;
    default: {
        // Unknown commands and reset_cont with raw bytes.
        arg.resize(24);
        for (auto& b : arg)
            b = in.byte();
        break;
    }
    }
    const std::vector<uint8_t> before = arg;
    Status s = decode_and_run(world.system, caller.domain, cmd, arg);
    if (evtchn_op_arg_size(cmd) == 0)
        FUZZ_CHECK(s == Status::NotSupported);
    if (s != Status::Ok || !evtchn_op_writes_back(cmd))
        FUZZ_CHECK(arg == before);  // nothing written back
}

void guest_action(TestDomain& d, Input& in) {
    const uint32_t port = in.port() % xen::evtchn_2l_nr_channels;
    const unsigned vcpu = in.byte() % kVcpus;
    switch (in.byte() % 6) {
    case 0:  // upcall handler entry
        __atomic_store_n(&d.vcpu_info(vcpu).evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
        __atomic_exchange_n(&d.vcpu_info(vcpu).evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        break;
    case 1: d.clear_pending(port); break;
    case 2: d.set_mask(port); break;
    case 3:
        __atomic_fetch_and(&d.shared().evtchn_mask[port / 64], ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
        break;
    case 4:  // FIFO consumer
        if (d.domain.abi() == EventAbi::Fifo && d.domain.vcpu(vcpu)->fifo_control.load() != nullptr &&
            d.domain.fifo_array().word_count.load() > 0)
            (void)testing::fifo_consume(d, vcpu, in.byte() % xen::fifo_max_queues);
        break;
    case 5:  // FIFO mask toggle (the guest may always set/clear MASKED)
        if (d.domain.abi() == EventAbi::Fifo)
            if (uint32_t* word = fifo::event_word(d.domain, port))
                __atomic_fetch_xor(word, xen::fifo_event::masked, __ATOMIC_SEQ_CST);
        break;
    }
}

// Not coverage-instrumented: the loops over every port would otherwise dominate the run
// time and feed the fuzzer features that say nothing about the code under test.
__attribute__((no_sanitize("coverage"))) void check_invariants(World& world) {
    long pages = 0;
    for (auto& [id, td] : world.domains) {
        EventDomain& d = td->domain;
        PortTable& ports = d.ports();
        const uint32_t valid = ports.valid_count();
        pages += valid / PortTable::kChannelsPerBucket;
        if (!d.registry_hook.is_linked()) {  // destroyed: nothing bound, nothing mapped
            FUZZ_CHECK(d.active_channels() == 0 && td->memory.mappings_held() == 0);
            continue;
        }
        FUZZ_CHECK(valid % PortTable::kChannelsPerBucket == 0 && valid > 0);
        FUZZ_CHECK(ports.at(0).state.load() == ChannelState::Reserved);
        uint32_t active = 0;
        for (uint32_t p = 1; p < valid; ++p) {
            EventChannel& c = ports.at(p);
            FUZZ_CHECK(c.port == p);
            FUZZ_CHECK(!c.lock.is_write_locked());
            FUZZ_CHECK(c.notify_vcpu.load() < d.vcpu_count());
            FUZZ_CHECK(c.priority.load() <= xen::fifo_priority_min);
            const ChannelState s = c.state.load();
            FUZZ_CHECK(s != ChannelState::Reserved);
            if (s == ChannelState::Free) {
                FUZZ_CHECK(c.notify_vcpu.load() == 0);
                continue;
            }
            ++active;
            FUZZ_CHECK(p < kFifoPorts);
            if (s == ChannelState::Interdomain) {
                EventDomain* peer = c.remote_domain;
                FUZZ_CHECK(peer != nullptr && peer->registry_hook.is_linked());
                EventChannel* back = peer->ports().find(c.remote_port());
                FUZZ_CHECK(back != nullptr && back->state.load() == ChannelState::Interdomain);
                FUZZ_CHECK(back->remote_domain == &d && back->remote_port() == p);
            } else if (s == ChannelState::Virq) {
                FUZZ_CHECK(c.virq() < xen::virq_count);
                const unsigned owner = virq_is_global(c.virq()) ? 0 : c.notify_vcpu.load();
                FUZZ_CHECK(d.vcpu(owner)->virq_port[c.virq()].load() == p);
            }
        }
        FUZZ_CHECK(active == d.active_channels());
        uint32_t pollers = 0;
        for (unsigned v = 0; v < d.vcpu_count(); ++v) {
            EventVcpu& ev = *d.vcpu(v);
            pollers += ev.poll_state.load() != kNotPolling;
            for (uint32_t virq = 0; virq < xen::virq_count; ++virq) {
                const uint32_t p = ev.virq_port[virq].load();
                if (p == 0)
                    continue;
                FUZZ_CHECK(v == 0 || !virq_is_global(virq));
                EventChannel* c = ports.find(p);
                FUZZ_CHECK(c != nullptr && c->state.load() == ChannelState::Virq && c->virq() == virq);
            }
            for (const FifoQueue& q : ev.fifo_queues)
                FUZZ_CHECK(!q.lock.is_locked());
        }
        FUZZ_CHECK(pollers == d.poller_count().load());
        // FIFO queues are chains without cycles.
        size_t mappings = 0;
        if (d.abi() == EventAbi::Fifo) {
            const uint32_t words = d.fifo_array().word_count.load();
            mappings += words / xen::fifo_event_words_per_page;
            for (unsigned v = 0; v < d.vcpu_count(); ++v) {
                if (d.vcpu(v)->fifo_control.load() == nullptr)
                    continue;
                ++mappings;
                if (words == 0)
                    continue;
                for (unsigned q = 0; q < xen::fifo_max_queues; ++q) {
                    uint32_t port = testing::control_block(*td, v).head[q];
                    for (uint32_t steps = 0; port != 0 && port < words; ++steps) {
                        FUZZ_CHECK(steps <= words);
                        const uint32_t w = *fifo::event_word(d, port);
                        if (!(w & xen::fifo_event::linked))
                            break;
                        port = w & xen::fifo_link_mask;
                    }
                }
            }
        } else {
            FUZZ_CHECK(d.fifo_array().word_count.load() == 0);
        }
        FUZZ_CHECK(td->memory.mappings_held() == mappings);
    }
    FUZZ_CHECK(world.allocator.outstanding == pages);
}

void run(const uint8_t* data, size_t size) {
    Input in(data, size);
    World world;
    world.pirqs.count = 64;
    const uint8_t fifo_domains = in.byte();  // bit d: domain d starts in FIFO mode
    world.add(0, kVcpus, /*control=*/true);
    world.add(1, kVcpus, false, /*max_evtchn_port=*/40 + in.byte());
    for (auto& [id, td] : world.domains) {
        for (uint64_t g = 0; g < 3; ++g)  // likewise the fourth control gfn
            td->memory.add_frame(testing::kControlGfnBase + g);
        for (uint64_t g = 0; g < 3; ++g)  // the fourth array gfn is not the domain's
            td->memory.add_frame(testing::kArrayGfnBase + g);
        // What Linux does first in xen_init_IRQ when FIFO is offered.
        if (fifo_domains & (1u << id)) {
            for (unsigned v = 0; v < kVcpus; ++v)
                FUZZ_CHECK(init_control(td->domain, v, testing::kControlGfnBase + v, 0).ok());
            FUZZ_CHECK(expand_array(td->domain, testing::kArrayGfnBase) == Status::Ok);
        }
    }

    unsigned step = 0;
    for (; !in.empty() && step < 1000; ++step) {
        const uint8_t op = in.byte();
        const DomainId who = op & 1;
        TestDomain* d = world.domains[who].get();
        if (!d->domain.registry_hook.is_linked())
            continue;
        switch ((op >> 1) % 12) {
        case 0:
        case 1:
        case 2: hypercall(world, *d, in); break;
        case 3: raise_virq(d->domain, kPerVcpuVirqs[in.byte() % 4], in.byte() % 3); break;
        case 4: raise_global_virq(d->domain, kGlobalVirqs[in.byte() % 4]); break;
        case 5: send_global_virq(world.system, kGlobalVirqs[in.byte() % 4]); break;
        case 6: raise_pirq(d->domain, in.port()); break;
        case 7: {
            std::vector<uint32_t> ports(in.byte() % 4);
            for (auto& p : ports)
                p = in.port();
            Result<PollOutcome> r = poll_prepare(d->domain, in.byte() % kVcpus, ports);
            (void)r;
            break;
        }
        case 8: poll_cancel(d->domain, in.byte() % kVcpus); break;
        case 9:
        case 10: guest_action(*d, in); break;
        case 11: {
            const uint8_t b = in.byte();
            if (b < 100) {
                world.pirqs.mapped.insert(b % 70);
            } else if (b < 180) {
                if (world.notifier.paused.count(1))
                    world.notifier.paused.erase(1);
                else
                    world.notifier.paused.insert(1);
            } else if (b < 200 && who == 1) {
                destroy_domain(d->domain);
            } else {
                world.pirqs.bind_result = b & 1 ? Status::Ok : Status::Busy;
            }
            break;
        }
        }
        // Every few steps (the full scan is the bulk of the run time) and at the end.
        if (step % 4 == 3)
            check_invariants(world);
    }
    check_invariants(world);
}

}  // namespace
}  // namespace hv::evtchn

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    hv::evtchn::run(data, size);
    return 0;
}
