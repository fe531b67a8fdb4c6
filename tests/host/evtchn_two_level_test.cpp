// 2-level delivery: pending/mask bitmaps, pending_sel, upcall flag, kicks on 0->1 only,
// unmask re-raise, send semantics, VIRQ raising, ping-pong and SCHEDOP_poll support.
#include <gtest/gtest.h>

#include "evtchn_fakes.hpp"

namespace hv::evtchn {
namespace {

using testing::TestDomain;
using testing::World;

constexpr uint32_t kTimer = xen::raw(xen::Virq::timer);
constexpr uint32_t kConsole = xen::raw(xen::Virq::console);

class TwoLevelTest : public ::testing::Test {
protected:
    World world;
    TestDomain& a = world.add(0, 2, true);
    TestDomain& b = world.add(1, 2);

    // Connect a:port_a <-> b:port_b and forget the bind-time pending event.
    std::pair<uint32_t, uint32_t> connect() {
        uint32_t port_b = *alloc_unbound(b.domain, xen::domid_self, 0);
        uint32_t port_a = *bind_interdomain(a.domain, 1, port_b);
        a.clear_pending(port_a);
        a.ack_upcall(0);
        world.notifier.clear();
        return {port_a, port_b};
    }
};

TEST_F(TwoLevelTest, SendSetsPendingSelectorUpcallAndKicksOnce) {
    auto [port_a, port_b] = connect();
    EXPECT_EQ(send(a.domain, port_a), Status::Ok);
    EXPECT_TRUE(b.pending(port_b));
    EXPECT_EQ(b.vcpu_info(0).evtchn_pending_sel, 1ull << (port_b / 64));
    EXPECT_EQ(b.vcpu_info(0).evtchn_upcall_pending, 1);
    ASSERT_EQ(world.notifier.kicks.size(), 1u);
    EXPECT_EQ(world.notifier.kicks[0], (std::pair<DomainId, unsigned>{1, 0}));

    // Already pending: nothing changes, no second kick.
    EXPECT_EQ(send(a.domain, port_a), Status::Ok);
    EXPECT_EQ(world.notifier.kicks.size(), 1u);

    // Guest acked the port but not the upcall: selector set again, upcall already 1, so
    // still no kick (only 0->1 transitions kick).
    b.clear_pending(port_b);
    b.vcpu_info(0).evtchn_pending_sel = 0;
    EXPECT_EQ(send(a.domain, port_a), Status::Ok);
    EXPECT_EQ(b.vcpu_info(0).evtchn_pending_sel, 1ull << (port_b / 64));
    EXPECT_EQ(world.notifier.kicks.size(), 1u);

    // After a full ack, the next event kicks again.
    b.clear_pending(port_b);
    b.ack_upcall(0);
    EXPECT_EQ(send(a.domain, port_a), Status::Ok);
    EXPECT_EQ(world.notifier.kicks.size(), 2u);
}

TEST_F(TwoLevelTest, SelectorAlreadySetMeansNoUpcallChange) {
    auto [port_a, port_b] = connect();
    b.vcpu_info(0).evtchn_pending_sel = 1ull << (port_b / 64);  // guest has not scanned yet
    EXPECT_EQ(send(a.domain, port_a), Status::Ok);
    EXPECT_TRUE(b.pending(port_b));
    EXPECT_EQ(b.vcpu_info(0).evtchn_upcall_pending, 0);
    EXPECT_TRUE(world.notifier.kicks.empty());
}

TEST_F(TwoLevelTest, MaskedPortOnlySetsPendingAndUnmaskReRaises) {
    auto [port_a, port_b] = connect();
    b.set_mask(port_b);
    EXPECT_EQ(send(a.domain, port_a), Status::Ok);
    EXPECT_TRUE(b.pending(port_b));
    EXPECT_EQ(b.vcpu_info(0).evtchn_pending_sel, 0u);
    EXPECT_EQ(b.vcpu_info(0).evtchn_upcall_pending, 0);
    EXPECT_TRUE(world.notifier.kicks.empty());

    EXPECT_EQ(unmask(b.domain, port_b), Status::Ok);
    EXPECT_FALSE(b.masked(port_b));
    EXPECT_EQ(b.vcpu_info(0).evtchn_pending_sel, 1ull << (port_b / 64));
    EXPECT_EQ(b.vcpu_info(0).evtchn_upcall_pending, 1);
    EXPECT_EQ(world.notifier.kicks.size(), 1u);

    // Unmasking an unmasked port does not re-raise (no 1->0 mask transition).
    b.ack_upcall(0);
    EXPECT_EQ(unmask(b.domain, port_b), Status::Ok);
    EXPECT_EQ(b.vcpu_info(0).evtchn_upcall_pending, 0);
}

TEST_F(TwoLevelTest, UnmaskOfMaskedButNotPendingDoesNothingElse) {
    auto [port_a, port_b] = connect();
    (void)port_a;
    b.set_mask(port_b);
    EXPECT_EQ(unmask(b.domain, port_b), Status::Ok);
    EXPECT_FALSE(b.masked(port_b));
    EXPECT_EQ(b.vcpu_info(0).evtchn_upcall_pending, 0);
}

TEST_F(TwoLevelTest, UnmaskGoesToTheNotifyVcpu) {
    auto [port_a, port_b] = connect();
    ASSERT_EQ(bind_vcpu(b.domain, port_b, 1), Status::Ok);
    b.set_mask(port_b);
    EXPECT_EQ(send(a.domain, port_a), Status::Ok);
    EXPECT_EQ(unmask(b.domain, port_b), Status::Ok);
    EXPECT_EQ(b.vcpu_info(1).evtchn_upcall_pending, 1);
    EXPECT_EQ(b.vcpu_info(0).evtchn_upcall_pending, 0);
    EXPECT_EQ(world.notifier.kicks.back(), (std::pair<DomainId, unsigned>{1, 1}));
}

TEST_F(TwoLevelTest, UnmaskErrors) {
    EXPECT_EQ(unmask(a.domain, 99999), Status::InvalidArgument);
    // A valid but free port: Xen answers 0 and does nothing.
    a.set_mask(50);
    EXPECT_EQ(unmask(a.domain, 50), Status::Ok);
    EXPECT_TRUE(a.masked(50));
    EXPECT_EQ(unmask(a.domain, 0), Status::Ok);
}

TEST_F(TwoLevelTest, SendSemanticsPerState) {
    Result<uint32_t> unbound = alloc_unbound(a.domain, xen::domid_self, 1);
    EXPECT_EQ(send(a.domain, *unbound), Status::Ok);  // dropped
    EXPECT_FALSE(a.pending(*unbound));
    Result<uint32_t> virq = bind_virq(a.domain, kTimer, 0);
    EXPECT_EQ(send(a.domain, *virq), Status::InvalidArgument);
    EXPECT_EQ(send(a.domain, 77), Status::InvalidArgument);     // free
    EXPECT_EQ(send(a.domain, 99999), Status::InvalidArgument);  // invalid

    Result<uint32_t> ipi = bind_ipi(a.domain, 1);
    EXPECT_EQ(send(a.domain, *ipi), Status::Ok);
    EXPECT_TRUE(a.pending(*ipi));
    EXPECT_EQ(a.vcpu_info(1).evtchn_upcall_pending, 1);
    EXPECT_EQ(a.vcpu_info(0).evtchn_upcall_pending, 0);
}

TEST_F(TwoLevelTest, RaiseVirqPerVcpuAndGlobal) {
    Result<uint32_t> timer1 = bind_virq(a.domain, kTimer, 1);
    raise_virq(a.domain, kTimer, 0);  // not bound on vCPU 0: nothing
    EXPECT_FALSE(a.pending(*timer1));
    raise_virq(a.domain, kTimer, 1);
    EXPECT_TRUE(a.pending(*timer1));
    EXPECT_EQ(a.vcpu_info(1).evtchn_upcall_pending, 1);

    raise_global_virq(a.domain, kConsole);  // unbound: nothing
    Result<uint32_t> console = bind_virq(a.domain, kConsole, 0);
    raise_global_virq(a.domain, kConsole);
    EXPECT_TRUE(a.pending(*console));

    // After close the stale table entry is gone and nothing is raised.
    a.clear_pending(*timer1);
    ASSERT_EQ(close(a.domain, *timer1), Status::Ok);
    raise_virq(a.domain, kTimer, 1);
    EXPECT_FALSE(a.pending(*timer1));
}

TEST_F(TwoLevelTest, PingPongBetweenTwoDomains) {
    auto [port_a, port_b] = connect();
    for (int round = 0; round < 100; ++round) {
        ASSERT_EQ(send(a.domain, port_a), Status::Ok);
        ASSERT_TRUE(b.pending(port_b));
        b.clear_pending(port_b);
        b.ack_upcall(0);
        ASSERT_EQ(send(b.domain, port_b), Status::Ok);
        ASSERT_TRUE(a.pending(port_a));
        a.clear_pending(port_a);
        a.ack_upcall(0);
    }
    EXPECT_EQ(world.notifier.kicks.size(), 200u);
}

TEST_F(TwoLevelTest, MovedVcpuInfoIsUsed) {
    alignas(64) xen::VcpuInfo relocated{};
    b.memory.moved_vcpu_info[0] = &relocated;
    auto [port_a, port_b] = connect();
    ASSERT_EQ(send(a.domain, port_a), Status::Ok);
    EXPECT_EQ(relocated.evtchn_upcall_pending, 1);
    EXPECT_EQ(b.shared().vcpu_info[0].evtchn_upcall_pending, 0);
    (void)port_b;
}

TEST_F(TwoLevelTest, ClosePortClearsItsPendingBitOnly) {
    Result<uint32_t> p = bind_ipi(a.domain, 0);
    Result<uint32_t> q = bind_ipi(a.domain, 0);
    ASSERT_EQ(send(a.domain, *p), Status::Ok);
    ASSERT_EQ(send(a.domain, *q), Status::Ok);
    ASSERT_EQ(close(a.domain, *p), Status::Ok);
    EXPECT_FALSE(a.pending(*p));
    EXPECT_TRUE(a.pending(*q));
}

TEST_F(TwoLevelTest, SetPriorityIsNotSupported) {
    Result<uint32_t> p = bind_ipi(a.domain, 0);
    EXPECT_EQ(set_priority(a.domain, *p, 0), Status::NotSupported);
    EXPECT_EQ(set_priority(a.domain, 77, 0), Status::NotSupported);  // before the state check
    EXPECT_EQ(set_priority(a.domain, 99999, 0), Status::InvalidArgument);
    EXPECT_EQ(expand_array(a.domain, 1), Status::OperationNotSupported);
}

// ---- SCHEDOP_poll ----------------------------------------------------------------------

TEST_F(TwoLevelTest, PollReadyWhenAPortIsPending) {
    Result<uint32_t> p = bind_ipi(a.domain, 0);
    Result<uint32_t> q = bind_ipi(a.domain, 0);
    a.set_mask(*p);
    a.set_mask(*q);
    ASSERT_EQ(send(a.domain, *q), Status::Ok);
    uint32_t ports[] = {*p, *q};
    Result<PollOutcome> r = poll_prepare(a.domain, 0, ports);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, PollOutcome::Ready);
    EXPECT_EQ(a.domain.poller_count().load(), 0u);
    EXPECT_TRUE(*any_pending(a.domain, ports));
}

TEST_F(TwoLevelTest, PollErrors) {
    Result<uint32_t> p = bind_ipi(a.domain, 0);
    uint32_t bad_first[] = {99999, *p};
    EXPECT_EQ(poll_prepare(a.domain, 0, bad_first).status(), Status::InvalidArgument);
    uint32_t free_port[] = {*p, 60};  // valid but Free: not usable
    EXPECT_EQ(poll_prepare(a.domain, 0, free_port).status(), Status::InvalidArgument);
    uint32_t reserved[] = {0};
    EXPECT_EQ(poll_prepare(a.domain, 0, reserved).status(), Status::InvalidArgument);
    std::vector<uint32_t> too_many(kPollMaxPorts + 1, *p);
    EXPECT_EQ(poll_prepare(a.domain, 0, too_many).status(), Status::InvalidArgument);
    // A pending port before the bad one wins, as in Xen's loop.
    a.set_mask(*p);
    ASSERT_EQ(send(a.domain, *p), Status::Ok);
    uint32_t pending_then_bad[] = {*p, 99999};
    EXPECT_EQ(*poll_prepare(a.domain, 0, pending_then_bad), PollOutcome::Ready);
    EXPECT_EQ(a.domain.poller_count().load(), 0u);
}

TEST_F(TwoLevelTest, PollReadyWhenUpcallAlreadyPending) {
    Result<uint32_t> p = bind_ipi(a.domain, 0);
    a.vcpu_info(0).evtchn_upcall_pending = 1;
    uint32_t ports[] = {*p};
    EXPECT_EQ(*poll_prepare(a.domain, 0, ports), PollOutcome::Ready);
    a.vcpu_info(0).evtchn_upcall_mask = 1;  // masked upcall does not count
    EXPECT_EQ(*poll_prepare(a.domain, 0, ports), PollOutcome::Blocked);
    poll_cancel(a.domain, 0);
}

TEST_F(TwoLevelTest, PollSinglePortWakesOnlyForThatPort) {
    Result<uint32_t> p = bind_ipi(a.domain, 1);
    Result<uint32_t> q = bind_ipi(a.domain, 1);
    a.set_mask(*p);  // PV spinlock kickers are masked and polled
    a.set_mask(*q);
    uint32_t ports[] = {*p};
    ASSERT_EQ(*poll_prepare(a.domain, 1, ports), PollOutcome::Blocked);
    EXPECT_EQ(a.domain.vcpu(1)->poll_state.load(), *p);
    ASSERT_EQ(send(a.domain, *q), Status::Ok);
    EXPECT_TRUE(world.notifier.wakeups.empty());
    ASSERT_EQ(send(a.domain, *p), Status::Ok);
    ASSERT_EQ(world.notifier.wakeups.size(), 1u);
    EXPECT_EQ(world.notifier.wakeups[0], (std::pair<DomainId, unsigned>{0, 1}));
    EXPECT_EQ(a.domain.vcpu(1)->poll_state.load(), kNotPolling);
    EXPECT_EQ(a.domain.poller_count().load(), 0u);
    poll_cancel(a.domain, 1);  // harmless after the wakeup
    EXPECT_EQ(a.domain.poller_count().load(), 0u);
}

TEST_F(TwoLevelTest, PollSeveralPortsWakesOnAnyEvent) {
    Result<uint32_t> p = bind_ipi(a.domain, 0);
    Result<uint32_t> q = bind_ipi(a.domain, 0);
    Result<uint32_t> other = bind_ipi(a.domain, 0);
    a.set_mask(*p);
    a.set_mask(*q);
    a.set_mask(*other);
    uint32_t ports[] = {*p, *q};
    ASSERT_EQ(*poll_prepare(a.domain, 0, ports), PollOutcome::Blocked);
    ASSERT_EQ(send(a.domain, *other), Status::Ok);  // Xen wakes multi-port pollers on any port
    EXPECT_EQ(world.notifier.wakeups.size(), 1u);
}

TEST_F(TwoLevelTest, PollCancelOnTimeout) {
    Result<uint32_t> p = bind_ipi(a.domain, 0);
    a.set_mask(*p);
    uint32_t ports[] = {*p};
    ASSERT_EQ(*poll_prepare(a.domain, 0, ports), PollOutcome::Blocked);
    poll_cancel(a.domain, 0);
    EXPECT_EQ(a.domain.poller_count().load(), 0u);
    ASSERT_EQ(send(a.domain, *p), Status::Ok);
    EXPECT_TRUE(world.notifier.wakeups.empty());
}

TEST_F(TwoLevelTest, PollWithNoPortsBlocksUntilAnyEvent) {
    ASSERT_EQ(*poll_prepare(a.domain, 0, {}), PollOutcome::Blocked);
    Result<uint32_t> p = bind_ipi(a.domain, 1);
    ASSERT_EQ(send(a.domain, *p), Status::Ok);
    EXPECT_EQ(world.notifier.wakeups.size(), 1u);
}

}  // namespace
}  // namespace hv::evtchn
