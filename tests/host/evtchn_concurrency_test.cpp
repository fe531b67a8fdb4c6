// Two-thread stress: sends racing closes and re-binds of the same interdomain channel,
// threaded ping-pong, and concurrent raises onto one FIFO queue. Run under ASan/UBSan;
// the checks are the invariants that must hold once the threads stop.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "evtchn_fakes.hpp"

namespace hv::evtchn {
namespace {

using testing::fifo_consume;
using testing::setup_fifo;
using testing::TestDomain;
using testing::World;

TEST(EvtchnConcurrency, SendRacesCloseAndRebind) {
    World world;
    TestDomain& a = world.add(0, 2, true);
    TestDomain& b = world.add(1, 2);
    uint32_t port_b = *alloc_unbound(b.domain, xen::domid_self, 0);
    std::atomic<uint32_t> port_a{*bind_interdomain(a.domain, 1, port_b)};
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> sends_ok{0};

    // Domain B keeps sending on its end: Ok whether it is Interdomain or Unbound.
    std::thread sender([&] {
        while (!stop.load()) {
            Status s = send(b.domain, port_b);
            ASSERT_EQ(s, Status::Ok);
            sends_ok.fetch_add(1);
            b.clear_pending(port_b);
        }
    });
    // Domain A closes and re-binds its end; also sends on it.
    // The race needs both threads running: start once the sender has sent, and go on until
    // it has sent many times (a loaded machine may run the threads one after the other).
    std::thread closer([&] {
        // Bounded: a failed assertion ends the sender early.
        for (int spin = 0; sends_ok.load() == 0 && spin < 10'000'000; ++spin)
            std::this_thread::yield();
        for (int i = 0; i < 2000 || (sends_ok.load() < 1000 && i < 1'000'000); ++i) {
            Status s = send(a.domain, port_a.load());
            ASSERT_EQ(s, Status::Ok);
            ASSERT_EQ(close(a.domain, port_a.load()), Status::Ok);
            Result<uint32_t> again = bind_interdomain(a.domain, 1, port_b);
            ASSERT_TRUE(again.ok());
            port_a.store(*again);
            a.clear_pending(*again);
        }
        stop.store(true);
    });
    closer.join();
    sender.join();

    EXPECT_GT(sends_ok.load(), 0u);
    Result<ChannelStatus> sa = status(a.domain, xen::domid_self, port_a.load());
    Result<ChannelStatus> sb = status(b.domain, xen::domid_self, port_b);
    EXPECT_EQ(sa->state, xen::EventChannelState::interdomain);
    EXPECT_EQ(sa->remote_port, port_b);
    EXPECT_EQ(sb->state, xen::EventChannelState::interdomain);
    EXPECT_EQ(sb->remote_port, port_a.load());
    EXPECT_EQ(a.domain.active_channels(), 1u);
}

TEST(EvtchnConcurrency, BothSidesCloseAtOnce) {
    for (int round = 0; round < 300; ++round) {
        World world;
        TestDomain& a = world.add(0, 1, true);
        TestDomain& b = world.add(1, 1);
        uint32_t port_b = *alloc_unbound(b.domain, xen::domid_self, 0);
        uint32_t port_a = *bind_interdomain(a.domain, 1, port_b);
        Status ra = Status::Ok, rb = Status::Ok;
        std::thread ta([&] { ra = close(a.domain, port_a); });
        std::thread tb([&] { rb = close(b.domain, port_b); });
        ta.join();
        tb.join();
        EXPECT_EQ(ra, Status::Ok);
        EXPECT_EQ(rb, Status::Ok);
        EXPECT_EQ(a.domain.active_channels(), 0u);
        EXPECT_EQ(b.domain.active_channels(), 0u);
    }
}

TEST(EvtchnConcurrency, ThreadedPingPong) {
    World world;
    TestDomain& a = world.add(0, 1, true);
    TestDomain& b = world.add(1, 1);
    uint32_t port_b = *alloc_unbound(b.domain, xen::domid_self, 0);
    uint32_t port_a = *bind_interdomain(a.domain, 1, port_b);
    a.clear_pending(port_a);
    a.ack_upcall(0);
    world.notifier.clear();
    constexpr int kRounds = 5000;

    // A guest's upcall handler: it runs once upcall_pending is set (the last thing the
    // hypervisor writes), clears it, takes the selector, then acks the port.
    auto wait_and_ack = [](TestDomain& d, uint32_t port) {
        while (__atomic_load_n(&d.vcpu_info(0).evtchn_upcall_pending, __ATOMIC_SEQ_CST) == 0)
            std::this_thread::yield();
        __atomic_store_n(&d.vcpu_info(0).evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
        const uint64_t selector = __atomic_exchange_n(&d.vcpu_info(0).evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        ASSERT_EQ(selector, 1ull << (port / 64));
        const uint64_t bit = 1ull << (port % 64);
        ASSERT_TRUE(__atomic_fetch_and(&d.shared().evtchn_pending[port / 64], ~bit, __ATOMIC_SEQ_CST) & bit);
    };
    std::thread pinger([&] {
        for (int i = 0; i < kRounds; ++i) {
            ASSERT_EQ(send(a.domain, port_a), Status::Ok);
            wait_and_ack(a, port_a);
        }
    });
    std::thread ponger([&] {
        for (int i = 0; i < kRounds; ++i) {
            wait_and_ack(b, port_b);
            ASSERT_EQ(send(b.domain, port_b), Status::Ok);
        }
    });
    pinger.join();
    ponger.join();
    // Every event was a 0->1 upcall transition: one kick each.
    EXPECT_EQ(world.notifier.kick_count(), 2u * kRounds);
}

TEST(EvtchnConcurrency, ConcurrentRaisesOntoOneFifoQueueLoseNothing) {
    World world;
    TestDomain& a = world.add(0, 2, true);
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    constexpr int kPortsPerThread = 200;
    std::vector<uint32_t> ports[2];
    for (int t = 0; t < 2; ++t)
        for (int i = 0; i < kPortsPerThread; ++i)
            ports[t].push_back(*bind_ipi(a.domain, 0));

    std::thread threads[2];
    for (int t = 0; t < 2; ++t) {
        threads[t] = std::thread([&, t] {
            for (uint32_t p : ports[t])
                ASSERT_EQ(send(a.domain, p), Status::Ok);
        });
    }
    for (auto& t : threads)
        t.join();

    std::set<uint32_t> seen;
    while (testing::control_block(a, 0).head[7] != 0) {
        if (uint32_t p = fifo_consume(a, 0, 7))
            seen.insert(p);
    }
    EXPECT_EQ(seen.size(), 2u * kPortsPerThread);
}

TEST(EvtchnConcurrency, FifoLinkingWhileTheGuestTogglesMasksOnLinkedWords) {
    // The guest may set or clear MASKED on a LINKED word at any time, but honours BUSY by
    // not unmasking; the hypervisor's tail compare-exchange must still link every event.
    World world;
    TestDomain& a = world.add(0, 1, true);
    ASSERT_EQ(setup_fifo(a, 3), Status::Ok);
    constexpr int kPorts = 3000;
    std::vector<uint32_t> ports;
    for (int i = 0; i < kPorts; ++i)
        ports.push_back(*bind_ipi(a.domain, 0));
    std::atomic<int> linked_upto{0};
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> busy_seen{0};

    std::thread guest([&] {
        while (!stop.load()) {
            const int upto = linked_upto.load();
            if (upto == 0)
                continue;
            // The newest linked word is the hypervisor's tail: the next link goes there.
            uint32_t& word = testing::event_word(a, ports[upto - 1]);
            uint32_t seen = __atomic_load_n(&word, __ATOMIC_SEQ_CST);
            uint32_t desired = seen ^ xen::fifo_event::masked;
            if ((seen & xen::fifo_event::masked) && (seen & xen::fifo_event::busy)) {
                busy_seen.fetch_add(1);
                continue;  // may not unmask a BUSY word
            }
            __atomic_compare_exchange_n(&word, &seen, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        }
    });
    for (int i = 0; i < kPorts; ++i) {
        ASSERT_EQ(send(a.domain, ports[i]), Status::Ok);
        linked_upto.store(i + 1);
    }
    stop.store(true);
    guest.join();

    EXPECT_EQ(testing::fifo_queue(a, 0, 7), ports);
    for (uint32_t p : ports)
        EXPECT_EQ(testing::event_word(a, p) & xen::fifo_event::busy, 0u) << p;
}

TEST(EvtchnConcurrency, VirqRaiseRacesCloseAndRebind) {
    World world;
    TestDomain& a = world.add(0, 2, true);
    constexpr uint32_t kTimer = xen::raw(xen::Virq::timer);
    std::atomic<bool> stop{false};
    std::thread timer([&] {
        while (!stop.load())
            raise_virq(a.domain, kTimer, 1);
    });
    for (int i = 0; i < 3000; ++i) {
        Result<uint32_t> p = bind_virq(a.domain, kTimer, 1);
        ASSERT_TRUE(p.ok());
        Result<uint32_t> other = bind_ipi(a.domain, 0);  // may reuse a port the timer just had
        ASSERT_TRUE(other.ok());
        ASSERT_EQ(close(a.domain, *p), Status::Ok);
        ASSERT_EQ(close(a.domain, *other), Status::Ok);
    }
    stop.store(true);
    timer.join();
    EXPECT_EQ(a.domain.active_channels(), 0u);
}

}  // namespace
}  // namespace hv::evtchn
