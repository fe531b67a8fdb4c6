// Binding, closing, status, bind_vcpu and reset: success paths and every error Xen 4.17
// returns, in Xen's order of checks.
#include <gtest/gtest.h>

#include "evtchn_fakes.hpp"

namespace hv::evtchn {
namespace {

using testing::TestDomain;
using testing::World;

constexpr uint32_t kTimer = xen::raw(xen::Virq::timer);
constexpr uint32_t kDebug = xen::raw(xen::Virq::debug);
constexpr uint32_t kConsole = xen::raw(xen::Virq::console);
constexpr uint32_t kPcpuState = xen::raw(xen::Virq::pcpu_state);
constexpr uint32_t kMca = xen::raw(xen::Virq::mca);
constexpr uint32_t kXenpmu = xen::raw(xen::Virq::xenpmu);
constexpr uint32_t kXenoprof = xen::raw(xen::Virq::xenoprof);

ChannelStatus status_of(EventDomain& d, uint32_t port) {
    Result<ChannelStatus> s = status(d, xen::domid_self, port);
    EXPECT_TRUE(s.ok());
    return s.value();
}

class BindingTest : public ::testing::Test {
protected:
    World world;
    TestDomain& dom0 = world.add(0, 2, /*control=*/true);
    TestDomain& domu = world.add(1, 2);
};

TEST_F(BindingTest, PortZeroIsReservedAndFirstPortIsOne) {
    EXPECT_EQ(status_of(dom0.domain, 0).state, xen::EventChannelState::closed);
    EXPECT_EQ(close(dom0.domain, 0), Status::InvalidArgument);
    EXPECT_EQ(send(dom0.domain, 0), Status::InvalidArgument);
    Result<uint32_t> port = bind_ipi(dom0.domain, 0);
    ASSERT_TRUE(port.ok());
    EXPECT_EQ(*port, 1u);
}

TEST_F(BindingTest, AllocUnboundSelfSelfAsXenstoredDoes) {
    Result<uint32_t> port = alloc_unbound(dom0.domain, xen::domid_self, xen::domid_self);
    ASSERT_TRUE(port.ok());
    ChannelStatus s = status_of(dom0.domain, *port);
    EXPECT_EQ(s.state, xen::EventChannelState::unbound);
    EXPECT_EQ(s.remote_dom, 0);  // DOMID_SELF resolved to the caller
    EXPECT_EQ(s.vcpu, 0u);
}

TEST_F(BindingTest, AllocUnboundErrors) {
    EXPECT_EQ(alloc_unbound(domu.domain, 7, 0).status(), Status::NoSuchDomain);
    EXPECT_EQ(alloc_unbound(domu.domain, 0, 1).status(), Status::Permission);  // another domain
    EXPECT_EQ(alloc_unbound(domu.domain, 0x7ff2, 0).status(), Status::NoSuchDomain);  // DOMID_XEN
}

TEST_F(BindingTest, ControlDomainAllocatesForAnotherDomain) {
    // What the toolstack does for a domU's xenstore and console ports.
    Result<uint32_t> port = alloc_unbound(dom0.domain, 1, 0);
    ASSERT_TRUE(port.ok());
    Result<ChannelStatus> s = status(dom0.domain, 1, *port);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->state, xen::EventChannelState::unbound);
    EXPECT_EQ(s->remote_dom, 0);
    // The domU sees it as its own port.
    EXPECT_EQ(status_of(domu.domain, *port).state, xen::EventChannelState::unbound);
}

TEST_F(BindingTest, BindInterdomainConnectsBothEnds) {
    Result<uint32_t> remote = alloc_unbound(domu.domain, xen::domid_self, 0);
    ASSERT_TRUE(remote.ok());
    Result<uint32_t> local = bind_interdomain(dom0.domain, 1, *remote);
    ASSERT_TRUE(local.ok());

    ChannelStatus l = status_of(dom0.domain, *local);
    EXPECT_EQ(l.state, xen::EventChannelState::interdomain);
    EXPECT_EQ(l.remote_dom, 1);
    EXPECT_EQ(l.remote_port, *remote);
    ChannelStatus r = status_of(domu.domain, *remote);
    EXPECT_EQ(r.state, xen::EventChannelState::interdomain);
    EXPECT_EQ(r.remote_dom, 0);
    EXPECT_EQ(r.remote_port, *local);
    // Xen leaves the new local port pending (notifications lost while unbound).
    EXPECT_TRUE(dom0.pending(*local));
    EXPECT_FALSE(domu.pending(*remote));
}

TEST_F(BindingTest, BindInterdomainLoopback) {
    Result<uint32_t> a = alloc_unbound(dom0.domain, xen::domid_self, xen::domid_self);
    ASSERT_TRUE(a.ok());
    Result<uint32_t> b = bind_interdomain(dom0.domain, xen::domid_self, *a);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(status_of(dom0.domain, *a).remote_port, *b);
    dom0.clear_pending(*a);
    EXPECT_EQ(send(dom0.domain, *b), Status::Ok);
    EXPECT_TRUE(dom0.pending(*a));
}

TEST_F(BindingTest, BindInterdomainErrors) {
    EXPECT_EQ(bind_interdomain(dom0.domain, 9, 1).status(), Status::NoSuchDomain);
    // Invalid remote port.
    EXPECT_EQ(bind_interdomain(dom0.domain, 1, 5000).status(), Status::InvalidArgument);
    // Valid but Free.
    EXPECT_EQ(bind_interdomain(dom0.domain, 1, 3).status(), Status::InvalidArgument);
    // Reserved port 0.
    EXPECT_EQ(bind_interdomain(dom0.domain, 1, 0).status(), Status::InvalidArgument);
    // Unbound but waiting for somebody else.
    Result<uint32_t> for_dom2 = alloc_unbound(domu.domain, xen::domid_self, 2);
    ASSERT_TRUE(for_dom2.ok());
    EXPECT_EQ(bind_interdomain(dom0.domain, 1, *for_dom2).status(), Status::InvalidArgument);
    // Not unbound at all (an IPI).
    Result<uint32_t> ipi = bind_ipi(domu.domain, 0);
    ASSERT_TRUE(ipi.ok());
    EXPECT_EQ(bind_interdomain(dom0.domain, 1, *ipi).status(), Status::InvalidArgument);
    // Already connected: the remote port is no longer unbound.
    Result<uint32_t> remote = alloc_unbound(domu.domain, xen::domid_self, 0);
    ASSERT_TRUE(bind_interdomain(dom0.domain, 1, *remote).ok());
    EXPECT_EQ(bind_interdomain(dom0.domain, 1, *remote).status(), Status::InvalidArgument);
    // Failed attempts left no ports behind in dom0: only the one good binding.
    EXPECT_EQ(dom0.domain.active_channels(), 1u);
}

TEST_F(BindingTest, CloseInterdomainReturnsPeerToUnboundWaitingForUs) {
    Result<uint32_t> remote = alloc_unbound(domu.domain, xen::domid_self, 0);
    Result<uint32_t> local = bind_interdomain(dom0.domain, 1, *remote);
    ASSERT_TRUE(local.ok());
    world.notifier.clear();

    EXPECT_EQ(close(dom0.domain, *local), Status::Ok);
    EXPECT_EQ(status_of(dom0.domain, *local).state, xen::EventChannelState::closed);
    ChannelStatus peer = status_of(domu.domain, *remote);
    EXPECT_EQ(peer.state, xen::EventChannelState::unbound);
    EXPECT_EQ(peer.remote_dom, 0);
    // Xen raises nothing on the peer when closing.
    EXPECT_FALSE(domu.pending(*remote));
    EXPECT_TRUE(world.notifier.kicks.empty());
    // Our pending bit was cleared by the close (no stale event on re-bind).
    EXPECT_FALSE(dom0.pending(*local));
    // Sending on the now unbound peer is silently dropped.
    EXPECT_EQ(send(domu.domain, *remote), Status::Ok);
    // And dom0 can connect to it again.
    EXPECT_TRUE(bind_interdomain(dom0.domain, 1, *remote).ok());
}

TEST_F(BindingTest, CloseFromTheHigherDomainIdSide) {
    // domu (id 1) closes: its lock must be dropped and both retaken lower id first.
    Result<uint32_t> remote = alloc_unbound(dom0.domain, xen::domid_self, 1);
    Result<uint32_t> local = bind_interdomain(domu.domain, 0, *remote);
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(close(domu.domain, *local), Status::Ok);
    EXPECT_EQ(status_of(dom0.domain, *remote).state, xen::EventChannelState::unbound);
    EXPECT_EQ(status_of(dom0.domain, *remote).remote_dom, 1);
}

TEST_F(BindingTest, CloseErrors) {
    EXPECT_EQ(close(dom0.domain, 0), Status::InvalidArgument);      // reserved
    EXPECT_EQ(close(dom0.domain, 5), Status::InvalidArgument);      // valid bucket, free
    EXPECT_EQ(close(dom0.domain, 99999), Status::InvalidArgument);  // invalid
    Result<uint32_t> p = bind_ipi(dom0.domain, 1);
    EXPECT_EQ(close(dom0.domain, *p), Status::Ok);
    EXPECT_EQ(close(dom0.domain, *p), Status::InvalidArgument);  // twice
}

TEST_F(BindingTest, ClosedPortIsReusedAndNotifiesVcpuZeroAgain) {
    Result<uint32_t> p = bind_ipi(dom0.domain, 1);
    EXPECT_EQ(status_of(dom0.domain, *p).vcpu, 1u);
    ASSERT_EQ(close(dom0.domain, *p), Status::Ok);
    Result<uint32_t> q = alloc_unbound(dom0.domain, xen::domid_self, 1);
    EXPECT_EQ(*q, *p);
    EXPECT_EQ(status_of(dom0.domain, *q).vcpu, 0u);
}

TEST_F(BindingTest, BindVirqEveryVirqLinuxBinds) {
    // Per vCPU: timer and debug on each vCPU; xenpmu too.
    for (unsigned v = 0; v < 2; ++v) {
        EXPECT_TRUE(bind_virq(dom0.domain, kTimer, v).ok());
        EXPECT_TRUE(bind_virq(dom0.domain, kDebug, v).ok());
        EXPECT_TRUE(bind_virq(dom0.domain, kXenpmu, v).ok());
    }
    // Global, dom0's drivers: console, pcpu_state, mca, all on vCPU 0.
    for (uint32_t virq : {kConsole, kPcpuState, kMca}) {
        Result<uint32_t> port = bind_virq(dom0.domain, virq, 0);
        ASSERT_TRUE(port.ok()) << virq;
        ChannelStatus s = status_of(dom0.domain, *port);
        EXPECT_EQ(s.state, xen::EventChannelState::virq);
        EXPECT_EQ(s.virq, virq);
        EXPECT_EQ(s.vcpu, 0u);
        EXPECT_TRUE(virq_bound(dom0.domain, virq, 1));  // global: answered from vCPU 0
    }
    EXPECT_TRUE(virq_bound(dom0.domain, kTimer, 1));
    EXPECT_FALSE(virq_bound(dom0.domain, kXenoprof, 0));
}

TEST_F(BindingTest, BindVirqErrorsInXensOrder) {
    EXPECT_EQ(bind_virq(dom0.domain, xen::virq_count, 0).status(), Status::InvalidArgument);
    EXPECT_EQ(bind_virq(dom0.domain, 0xffffffff, 0).status(), Status::InvalidArgument);
    // A global VIRQ on a vCPU other than 0 is -EINVAL, checked before the vCPU exists.
    EXPECT_EQ(bind_virq(dom0.domain, kConsole, 1).status(), Status::InvalidArgument);
    EXPECT_EQ(bind_virq(dom0.domain, kConsole, 99).status(), Status::InvalidArgument);
    // A per-vCPU VIRQ on a missing vCPU is -ENOENT.
    EXPECT_EQ(bind_virq(dom0.domain, kTimer, 2).status(), Status::NotFound);
    EXPECT_EQ(bind_virq(dom0.domain, kTimer, 0xffffffff).status(), Status::NotFound);
    // Twice on the same vCPU is -EEXIST (Linux then finds it with status); another vCPU
    // is fine.
    Result<uint32_t> first = bind_virq(dom0.domain, kTimer, 0);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(bind_virq(dom0.domain, kTimer, 0).status(), Status::Exists);
    EXPECT_TRUE(bind_virq(dom0.domain, kTimer, 1).ok());
    ASSERT_TRUE(bind_virq(dom0.domain, kConsole, 0).ok());
    EXPECT_EQ(bind_virq(dom0.domain, kConsole, 0).status(), Status::Exists);
    // After close it can be bound again.
    EXPECT_EQ(close(dom0.domain, *first), Status::Ok);
    EXPECT_FALSE(virq_bound(dom0.domain, kTimer, 0));
    EXPECT_TRUE(bind_virq(dom0.domain, kTimer, 0).ok());
}

TEST_F(BindingTest, UndefinedVirqNumbersBelowTheCountAreGlobal) {
    // Xen does not validate VIRQ numbers beyond the range; 5 and 20 are global.
    EXPECT_TRUE(virq_is_global(5));
    EXPECT_TRUE(virq_is_global(20));
    EXPECT_TRUE(bind_virq(dom0.domain, 5, 0).ok());
    EXPECT_EQ(bind_virq(dom0.domain, 20, 1).status(), Status::InvalidArgument);
}

TEST_F(BindingTest, BindIpi) {
    Result<uint32_t> p = bind_ipi(dom0.domain, 1);
    ASSERT_TRUE(p.ok());
    ChannelStatus s = status_of(dom0.domain, *p);
    EXPECT_EQ(s.state, xen::EventChannelState::ipi);
    EXPECT_EQ(s.vcpu, 1u);
    EXPECT_EQ(bind_ipi(dom0.domain, 2).status(), Status::NotFound);
    EXPECT_EQ(bind_ipi(dom0.domain, 0x80000000u).status(), Status::NotFound);
}

TEST_F(BindingTest, BindPirqThroughTheHook) {
    world.pirqs.mapped = {1, 9};
    Result<uint32_t> p = bind_pirq(dom0.domain, 9, true);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(world.pirqs.last_will_share);
    EXPECT_EQ((world.pirqs.bound[{0, 9}]), *p);
    ChannelStatus s = status_of(dom0.domain, *p);
    EXPECT_EQ(s.state, xen::EventChannelState::pirq);
    EXPECT_EQ(s.pirq, 9u);
    EXPECT_EQ(s.vcpu, 0u);

    EXPECT_EQ(bind_pirq(dom0.domain, 9, false).status(), Status::Exists);
    EXPECT_EQ(bind_pirq(dom0.domain, 64, false).status(), Status::InvalidArgument);  // >= pirq_count
    EXPECT_EQ(bind_pirq(dom0.domain, 5, false).status(), Status::Permission);        // not mapped
    world.pirqs.bind_result = Status::Busy;
    EXPECT_EQ(bind_pirq(dom0.domain, 1, false).status(), Status::Busy);
    EXPECT_EQ(dom0.domain.active_channels(), 1u);

    // Sending on a PIRQ port is -EINVAL; the IRQ layer raises it by port.
    EXPECT_EQ(send(dom0.domain, *p), Status::InvalidArgument);
    raise_pirq(dom0.domain, *p);
    EXPECT_TRUE(dom0.pending(*p));

    EXPECT_EQ(close(dom0.domain, *p), Status::Ok);
    ASSERT_EQ(world.pirqs.unbinds.size(), 1u);
    EXPECT_EQ(world.pirqs.unbinds[0].second, 9u);
    world.pirqs.bind_result = Status::Ok;
    EXPECT_TRUE(bind_pirq(dom0.domain, 9, false).ok());
}

TEST_F(BindingTest, DefaultPirqHookAnswersLikeXenForUnmappedPirqs) {
    testing::FakeNotifier notifier;
    testing::FakePageAllocator allocator;
    UnmappedPirqHook unmapped(32);
    EventSystem system(notifier, allocator, unmapped);
    TestDomain d(system, EventDomainConfig{}, 1);
    ASSERT_EQ(d.domain.init(), Status::Ok);
    EXPECT_EQ(bind_pirq(d.domain, 4, false).status(), Status::Permission);
    EXPECT_EQ(bind_pirq(d.domain, 32, false).status(), Status::InvalidArgument);
}

TEST_F(BindingTest, BindVcpuMovesOnlyWhatXenAllows) {
    Result<uint32_t> unbound = alloc_unbound(dom0.domain, xen::domid_self, 1);
    Result<uint32_t> console = bind_virq(dom0.domain, kConsole, 0);
    Result<uint32_t> timer = bind_virq(dom0.domain, kTimer, 0);
    Result<uint32_t> ipi = bind_ipi(dom0.domain, 0);
    world.pirqs.mapped = {4};
    Result<uint32_t> pirq = bind_pirq(dom0.domain, 4, false);

    EXPECT_EQ(bind_vcpu(dom0.domain, *unbound, 1), Status::Ok);
    EXPECT_EQ(status_of(dom0.domain, *unbound).vcpu, 1u);
    EXPECT_EQ(bind_vcpu(dom0.domain, *console, 1), Status::Ok);  // global VIRQ moves
    EXPECT_EQ(status_of(dom0.domain, *console).vcpu, 1u);
    EXPECT_EQ(bind_vcpu(dom0.domain, *timer, 1), Status::InvalidArgument);  // per-vCPU VIRQ
    EXPECT_EQ(bind_vcpu(dom0.domain, *ipi, 1), Status::InvalidArgument);
    EXPECT_EQ(bind_vcpu(dom0.domain, *pirq, 1), Status::Ok);
    ASSERT_EQ(world.pirqs.affinity.size(), 1u);
    EXPECT_EQ(world.pirqs.affinity[0], (std::pair<uint32_t, unsigned>{4, 1}));
    EXPECT_EQ(bind_vcpu(dom0.domain, *pirq, 1), Status::Ok);  // same vCPU: no new affinity
    EXPECT_EQ(world.pirqs.affinity.size(), 1u);

    EXPECT_EQ(bind_vcpu(dom0.domain, *unbound, 2), Status::NotFound);  // vCPU checked first
    EXPECT_EQ(bind_vcpu(dom0.domain, 99999, 2), Status::NotFound);
    EXPECT_EQ(bind_vcpu(dom0.domain, 99999, 0), Status::InvalidArgument);
    EXPECT_EQ(bind_vcpu(dom0.domain, 0, 0), Status::InvalidArgument);   // reserved
    EXPECT_EQ(bind_vcpu(dom0.domain, 100, 0), Status::InvalidArgument);  // free

    // A moved global VIRQ is delivered to its new vCPU; closing it clears vCPU 0's table.
    raise_global_virq(dom0.domain, kConsole);
    EXPECT_EQ(dom0.vcpu_info(1).evtchn_upcall_pending, 1);
    EXPECT_EQ(dom0.vcpu_info(0).evtchn_upcall_pending, 0);
    EXPECT_EQ(close(dom0.domain, *console), Status::Ok);
    EXPECT_FALSE(virq_bound(dom0.domain, kConsole, 0));
}

TEST_F(BindingTest, StatusOfAnotherDomain) {
    Result<uint32_t> p = bind_ipi(domu.domain, 1);
    Result<ChannelStatus> s = status(dom0.domain, 1, *p);  // dom0 controls domU
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->state, xen::EventChannelState::ipi);
    EXPECT_EQ(s->vcpu, 1u);
    // An unprivileged domain gets -EPERM, but only after the port checks.
    EXPECT_EQ(status(domu.domain, 0, 1).status(), Status::Permission);
    EXPECT_EQ(status(domu.domain, 0, 99999).status(), Status::InvalidArgument);
    EXPECT_EQ(status(domu.domain, 5, 1).status(), Status::NoSuchDomain);
    // A valid-but-free port is "closed".
    EXPECT_EQ(status_of(domu.domain, 77).state, xen::EventChannelState::closed);
}

TEST_F(BindingTest, PortLimitsGiveNoSpace) {
    TestDomain& small = world.add(5, 1, false, /*max_evtchn_port=*/3);
    EXPECT_EQ(small.domain.max_ports(), 4u);
    for (uint32_t expected = 1; expected <= 3; ++expected) {
        Result<uint32_t> p = bind_ipi(small.domain, 0);
        ASSERT_TRUE(p.ok());
        EXPECT_EQ(*p, expected);
    }
    EXPECT_EQ(bind_ipi(small.domain, 0).status(), Status::NoSpace);
    EXPECT_EQ(alloc_unbound(small.domain, xen::domid_self, 0).status(), Status::NoSpace);
    EXPECT_EQ(bind_virq(small.domain, kTimer, 0).status(), Status::NoSpace);
    ASSERT_EQ(close(small.domain, 2), Status::Ok);
    EXPECT_EQ(*bind_ipi(small.domain, 0), 2u);
}

TEST_F(BindingTest, TwoLevelLimitIs4096Ports) {
    EXPECT_EQ(dom0.domain.max_ports(), 4096u);
    for (uint32_t i = 1; i < 4096; ++i)
        ASSERT_TRUE(bind_ipi(dom0.domain, 0).ok()) << i;
    EXPECT_EQ(bind_ipi(dom0.domain, 0).status(), Status::NoSpace);
    EXPECT_EQ(dom0.domain.ports().valid_count(), 4096u);
}

TEST_F(BindingTest, PortTableMemoryExhaustionIsNoMemory) {
    world.allocator.pages_left = 0;
    // The first bucket (ports 0..127) exists already.
    for (uint32_t i = 1; i < PortTable::kChannelsPerBucket; ++i)
        ASSERT_TRUE(bind_ipi(dom0.domain, 0).ok());
    EXPECT_EQ(bind_ipi(dom0.domain, 0).status(), Status::OutOfMemory);
    world.allocator.pages_left = -1;
    EXPECT_EQ(*bind_ipi(dom0.domain, 0), PortTable::kChannelsPerBucket);
}

TEST_F(BindingTest, ResetClosesEverythingAndPeersBecomeUnbound) {
    Result<uint32_t> remote = alloc_unbound(dom0.domain, xen::domid_self, 1);
    Result<uint32_t> local = bind_interdomain(domu.domain, 0, *remote);
    ASSERT_TRUE(local.ok());
    ASSERT_TRUE(bind_virq(domu.domain, kTimer, 1).ok());
    ASSERT_TRUE(bind_ipi(domu.domain, 0).ok());

    EXPECT_EQ(reset(domu.domain, xen::domid_self), Status::Ok);
    EXPECT_EQ(domu.domain.active_channels(), 0u);
    EXPECT_FALSE(virq_bound(domu.domain, kTimer, 1));
    EXPECT_EQ(status_of(dom0.domain, *remote).state, xen::EventChannelState::unbound);
    EXPECT_TRUE(bind_virq(domu.domain, kTimer, 1).ok());
}

TEST_F(BindingTest, ResetOfAnotherDomain) {
    EXPECT_EQ(reset(domu.domain, 0), Status::Permission);
    EXPECT_EQ(reset(dom0.domain, 9), Status::NoSuchDomain);
    // Xen: another domain must be paused by its controller first.
    EXPECT_EQ(reset(dom0.domain, 1), Status::InvalidArgument);
    world.notifier.paused.insert(1);
    ASSERT_TRUE(bind_ipi(domu.domain, 0).ok());
    EXPECT_EQ(reset(dom0.domain, 1), Status::Ok);
    EXPECT_EQ(domu.domain.active_channels(), 0u);
    // The continuation number is accepted but there is never a reset to resume.
    EXPECT_EQ(reset_continue(dom0.domain, 1), Status::Busy);
    EXPECT_EQ(reset_continue(domu.domain, 0), Status::Permission);
}

TEST_F(BindingTest, DestroyDomainDisconnectsPeersAndFreesEverything) {
    World w;
    TestDomain& a = w.add(3);
    TestDomain& b = w.add(4);
    Result<uint32_t> remote = alloc_unbound(a.domain, xen::domid_self, 4);
    ASSERT_TRUE(bind_interdomain(b.domain, 3, *remote).ok());
    ASSERT_EQ(w.system.set_global_virq_handler(kConsole, 4), Status::Ok);
    EXPECT_EQ(w.system.global_virq_handler(kConsole), 4);

    destroy_domain(b.domain);
    EXPECT_FALSE(w.system.find(4));
    EXPECT_EQ(w.system.global_virq_handler(kConsole), 0);  // back to the hardware domain
    EXPECT_EQ(status_of(a.domain, *remote).state, xen::EventChannelState::unbound);
    EXPECT_EQ(b.domain.active_channels(), 0u);
    // A dying domain gets no new ports.
    EXPECT_EQ(bind_ipi(b.domain, 0).status(), Status::InvalidArgument);
}

TEST_F(BindingTest, RegistryRejectsDuplicatesAndReservedIds) {
    TestDomain dup(world.system, EventDomainConfig{.id = 1}, 1);
    ASSERT_EQ(dup.domain.init(), Status::Ok);
    EXPECT_EQ(world.system.add(dup.domain), Status::Exists);
    TestDomain reserved(world.system, EventDomainConfig{.id = xen::domid_self}, 1);
    EXPECT_EQ(world.system.add(reserved.domain), Status::InvalidArgument);
    EXPECT_EQ(dup.domain.init(), Status::Exists);
}

TEST_F(BindingTest, GlobalVirqHandlers) {
    EXPECT_EQ(world.system.set_global_virq_handler(kTimer, 1), Status::InvalidArgument);
    EXPECT_EQ(world.system.set_global_virq_handler(xen::virq_count, 1), Status::InvalidArgument);
    Result<uint32_t> on_dom0 = bind_virq(dom0.domain, kConsole, 0);
    Result<uint32_t> on_domu = bind_virq(domu.domain, kConsole, 0);
    send_global_virq(world.system, kConsole);  // hardware domain by default
    EXPECT_TRUE(dom0.pending(*on_dom0));
    EXPECT_FALSE(domu.pending(*on_domu));
    ASSERT_EQ(world.system.set_global_virq_handler(kConsole, 1), Status::Ok);
    send_global_virq(world.system, kConsole);
    EXPECT_TRUE(domu.pending(*on_domu));
}

}  // namespace
}  // namespace hv::evtchn
