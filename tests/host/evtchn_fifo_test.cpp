// FIFO ABI: init_control/expand_array errors exactly where Xen has them, queue linking
// with priorities, the PENDING/MASKED/LINKED/BUSY bits, busy ports, the switch from
// 2-level, and reset back to 2-level.
#include <gtest/gtest.h>

#include "evtchn_fakes.hpp"

namespace hv::evtchn {
namespace {

using testing::control_block;
using testing::event_word;
using testing::fifo_consume;
using testing::fifo_queue;
using testing::kArrayGfnBase;
using testing::kControlGfnBase;
using testing::setup_fifo;
using testing::TestDomain;
using testing::World;
namespace bits = xen::fifo_event;

constexpr uint32_t kTimer = xen::raw(xen::Virq::timer);

class FifoTest : public ::testing::Test {
protected:
    World world;
    TestDomain& a = world.add(0, 2, true);
    TestDomain& b = world.add(1, 2);
};

TEST_F(FifoTest, InitControlErrorsAsXen) {
    a.memory.add_frame(kControlGfnBase);
    // No such vCPU: -ENOENT (checked first).
    EXPECT_EQ(init_control(a.domain, 2, kControlGfnBase, 4096).status(), Status::NotFound);
    // The 72-byte block must not cross the page.
    EXPECT_EQ(init_control(a.domain, 0, kControlGfnBase, 4096 - 72 + 8).status(), Status::InvalidArgument);
    EXPECT_EQ(init_control(a.domain, 0, kControlGfnBase, 0xffffffff).status(), Status::InvalidArgument);
    // 8-byte alignment.
    EXPECT_EQ(init_control(a.domain, 0, kControlGfnBase, 4).status(), Status::InvalidArgument);
    // A frame the domain cannot use.
    EXPECT_EQ(init_control(a.domain, 0, 0xdead, 0).status(), Status::InvalidArgument);
    a.memory.fail_next_map_with = Status::OutOfMemory;
    EXPECT_EQ(init_control(a.domain, 0, kControlGfnBase, 0).status(), Status::OutOfMemory);
    // None of the failures switched the ABI (Linux then falls back to 2-level).
    EXPECT_EQ(a.domain.abi(), EventAbi::TwoLevel);
    EXPECT_EQ(a.memory.mappings_held(), 0u);

    // The last offset that fits.
    Result<uint8_t> ok = init_control(a.domain, 0, kControlGfnBase, 4096 - 72);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(*ok, 17);
    EXPECT_EQ(a.domain.abi(), EventAbi::Fifo);
    // Already initialised vCPU: -EINVAL.
    EXPECT_EQ(init_control(a.domain, 0, kControlGfnBase, 0).status(), Status::InvalidArgument);
    // The other vCPU may still register.
    a.memory.add_frame(kControlGfnBase + 1);
    EXPECT_TRUE(init_control(a.domain, 1, kControlGfnBase + 1, 8).ok());
    EXPECT_EQ(a.memory.mappings_held(), 2u);
}

TEST_F(FifoTest, ExpandArrayErrors) {
    a.memory.add_frame(kArrayGfnBase);
    EXPECT_EQ(expand_array(a.domain, kArrayGfnBase), Status::OperationNotSupported);
    ASSERT_EQ(setup_fifo(a, 0), Status::Ok);
    EXPECT_EQ(expand_array(a.domain, 0xdead), Status::InvalidArgument);
    for (uint32_t page = 0; page < 128; ++page) {
        a.memory.add_frame(kArrayGfnBase + page);
        ASSERT_EQ(expand_array(a.domain, kArrayGfnBase + page), Status::Ok) << page;
    }
    a.memory.add_frame(kArrayGfnBase + 128);
    EXPECT_EQ(expand_array(a.domain, kArrayGfnBase + 128), Status::NoSpace);
    EXPECT_EQ(a.domain.max_ports(), 131072u);
}

TEST_F(FifoTest, RaiseLinksOnTheDefaultQueueAndSetsReady) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    Result<uint32_t> p = bind_ipi(a.domain, 0);
    ASSERT_EQ(send(a.domain, *p), Status::Ok);
    const uint32_t word = event_word(a, *p);
    EXPECT_TRUE(word & bits::pending);
    EXPECT_TRUE(word & bits::linked);
    EXPECT_EQ(word & xen::fifo_link_mask, 0u);
    EXPECT_EQ(control_block(a, 0).head[7], *p);
    EXPECT_EQ(control_block(a, 0).ready, 1u << 7);
    EXPECT_EQ(a.vcpu_info(0).evtchn_upcall_pending, 1);
    EXPECT_EQ(a.vcpu_info(0).evtchn_pending_sel, 0u);  // no selector in FIFO mode
    EXPECT_EQ(world.notifier.kicks.size(), 1u);
    // 2-level bitmap untouched.
    EXPECT_FALSE(a.pending(*p));
}

TEST_F(FifoTest, QueueKeepsRaiseOrderAndPrioritiesSeparate) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    uint32_t p1 = *bind_ipi(a.domain, 0);
    uint32_t p2 = *bind_ipi(a.domain, 0);
    uint32_t p3 = *bind_ipi(a.domain, 0);
    uint32_t urgent = *bind_virq(a.domain, kTimer, 0);
    ASSERT_EQ(set_priority(a.domain, urgent, 0), Status::Ok);  // what Linux does for the timer

    ASSERT_EQ(send(a.domain, p2), Status::Ok);
    ASSERT_EQ(send(a.domain, p1), Status::Ok);
    raise_virq(a.domain, kTimer, 0);
    ASSERT_EQ(send(a.domain, p3), Status::Ok);

    EXPECT_EQ(fifo_queue(a, 0, 7), (std::vector<uint32_t>{p2, p1, p3}));
    EXPECT_EQ(fifo_queue(a, 0, 0), (std::vector<uint32_t>{urgent}));
    EXPECT_EQ(control_block(a, 0).ready, (1u << 0) | (1u << 7));
    // Appending to a non-empty queue does not touch ready or the upcall: one kick.
    EXPECT_EQ(world.notifier.kicks.size(), 1u);

    // Already linked: raising again changes nothing.
    ASSERT_EQ(send(a.domain, p1), Status::Ok);
    EXPECT_EQ(fifo_queue(a, 0, 7), (std::vector<uint32_t>{p2, p1, p3}));

    EXPECT_EQ(fifo_consume(a, 0, 0), urgent);
    EXPECT_EQ(control_block(a, 0).ready, 1u << 7);
    EXPECT_EQ(fifo_consume(a, 0, 7), p2);
    EXPECT_EQ(fifo_consume(a, 0, 7), p1);
    EXPECT_EQ(fifo_consume(a, 0, 7), p3);
    EXPECT_EQ(control_block(a, 0).ready, 0u);
    EXPECT_EQ(event_word(a, p3) & (bits::linked | bits::pending), 0u);
}

TEST_F(FifoTest, DrainedQueueStartsAgainAtTheHead) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    uint32_t p1 = *bind_ipi(a.domain, 0);
    uint32_t p2 = *bind_ipi(a.domain, 0);
    ASSERT_EQ(send(a.domain, p1), Status::Ok);
    EXPECT_EQ(fifo_consume(a, 0, 7), p1);
    a.vcpu_info(0).evtchn_upcall_pending = 0;
    // The hypervisor's tail (p1) is no longer LINKED: p2 must become the head.
    ASSERT_EQ(send(a.domain, p2), Status::Ok);
    EXPECT_EQ(control_block(a, 0).head[7], p2);
    EXPECT_EQ(event_word(a, p1) & xen::fifo_link_mask, 0u);
    EXPECT_EQ(control_block(a, 0).ready, 1u << 7);
    EXPECT_EQ(a.vcpu_info(0).evtchn_upcall_pending, 1);
}

TEST_F(FifoTest, MaskedEventIsPendingButNotLinkedUntilUnmask) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    uint32_t p = *bind_ipi(a.domain, 1);
    event_word(a, p) |= bits::masked;
    ASSERT_EQ(send(a.domain, p), Status::Ok);
    EXPECT_EQ(event_word(a, p), bits::pending | bits::masked);
    EXPECT_EQ(control_block(a, 1).ready, 0u);
    EXPECT_TRUE(world.notifier.kicks.empty());

    ASSERT_EQ(unmask(a.domain, p), Status::Ok);
    EXPECT_EQ(event_word(a, p), bits::pending | bits::linked);
    EXPECT_EQ(control_block(a, 1).head[7], p);
    EXPECT_EQ(a.vcpu_info(1).evtchn_upcall_pending, 1);
    EXPECT_EQ(world.notifier.kicks.size(), 1u);
}

TEST_F(FifoTest, UnmaskWithoutPendingOnlyClearsMask) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    uint32_t p = *bind_ipi(a.domain, 0);
    event_word(a, p) |= bits::masked;
    ASSERT_EQ(unmask(a.domain, p), Status::Ok);
    EXPECT_EQ(event_word(a, p), 0u);
    EXPECT_EQ(control_block(a, 0).ready, 0u);
}

TEST_F(FifoTest, BusyBitIsClearedAfterLinking) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    uint32_t p1 = *bind_ipi(a.domain, 0);
    uint32_t p2 = *bind_ipi(a.domain, 0);
    ASSERT_EQ(send(a.domain, p1), Status::Ok);
    ASSERT_EQ(send(a.domain, p2), Status::Ok);
    EXPECT_EQ(event_word(a, p1), bits::pending | bits::linked | p2);
    EXPECT_EQ(event_word(a, p1) & bits::busy, 0u);
}

TEST_F(FifoTest, SetPriorityChecks) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    uint32_t p = *bind_ipi(a.domain, 0);
    EXPECT_EQ(set_priority(a.domain, p, 15), Status::Ok);
    EXPECT_EQ(set_priority(a.domain, p, 16), Status::InvalidArgument);
    EXPECT_EQ(set_priority(a.domain, 77, 3), Status::AccessDenied);  // free port
    EXPECT_EQ(set_priority(a.domain, 0, 3), Status::AccessDenied);   // reserved
    EXPECT_EQ(set_priority(a.domain, 99999, 3), Status::InvalidArgument);
    ASSERT_EQ(send(a.domain, p), Status::Ok);
    EXPECT_EQ(control_block(a, 0).head[15], p);
}

TEST_F(FifoTest, PriorityChangeMovesTheNextEventToTheNewQueue) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    uint32_t p = *bind_ipi(a.domain, 0);
    ASSERT_EQ(send(a.domain, p), Status::Ok);
    EXPECT_EQ(fifo_queue(a, 0, 7), (std::vector<uint32_t>{p}));
    ASSERT_EQ(set_priority(a.domain, p, 2), Status::Ok);
    // Still linked on the old queue: stays there.
    ASSERT_EQ(send(a.domain, p), Status::Ok);
    EXPECT_EQ(fifo_queue(a, 0, 2), (std::vector<uint32_t>{}));
    EXPECT_EQ(fifo_consume(a, 0, 7), p);
    // Next raise goes to queue 2; the old queue's stale tail is forgotten.
    ASSERT_EQ(send(a.domain, p), Status::Ok);
    EXPECT_EQ(fifo_queue(a, 0, 2), (std::vector<uint32_t>{p}));
    uint32_t q = *bind_ipi(a.domain, 0);
    ASSERT_EQ(send(a.domain, q), Status::Ok);
    EXPECT_EQ(fifo_queue(a, 0, 7), (std::vector<uint32_t>{q}));
}

TEST_F(FifoTest, BindVcpuMovesToTheOtherVcpusQueues) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    uint32_t remote = *alloc_unbound(b.domain, xen::domid_self, 0);
    uint32_t local = *bind_interdomain(a.domain, 1, remote);
    EXPECT_EQ(fifo_queue(a, 0, 7), (std::vector<uint32_t>{local}));  // bind leaves it pending
    EXPECT_EQ(fifo_consume(a, 0, 7), local);
    ASSERT_EQ(bind_vcpu(a.domain, local, 1), Status::Ok);
    ASSERT_EQ(send(b.domain, remote), Status::Ok);
    EXPECT_EQ(fifo_queue(a, 1, 7), (std::vector<uint32_t>{local}));
    EXPECT_EQ(a.vcpu_info(1).evtchn_upcall_pending, 1);
}

TEST_F(FifoTest, EventWithoutArrayPageIsRaisedWhenThePageArrives) {
    ASSERT_EQ(setup_fifo(a, 1), Status::Ok);
    TestDomain& big = a;
    // Fill ports up to the second page.
    uint32_t last = 0;
    for (uint32_t i = 0; i < 1024; ++i)
        last = *bind_ipi(big.domain, 0);
    ASSERT_EQ(last, 1024u);
    ASSERT_EQ(send(big.domain, last), Status::Ok);
    EXPECT_TRUE(big.domain.ports().at(last).fifo_pending.load());
    EXPECT_EQ(control_block(big, 0).ready, 0u);
    big.memory.add_frame(kArrayGfnBase + 1);
    ASSERT_EQ(expand_array(big.domain, kArrayGfnBase + 1), Status::Ok);
    EXPECT_EQ(fifo_queue(big, 0, 7), (std::vector<uint32_t>{last}));
    EXPECT_FALSE(big.domain.ports().at(last).fifo_pending.load());
}

TEST_F(FifoTest, SwitchCarriesTwoLevelPendingState) {
    uint32_t p = *bind_ipi(a.domain, 0);
    a.set_mask(p);
    ASSERT_EQ(send(a.domain, p), Status::Ok);  // pending in the 2-level bitmap
    ASSERT_EQ(setup_fifo(a, 0), Status::Ok);
    EXPECT_TRUE(a.domain.ports().at(p).fifo_pending.load());
    a.memory.add_frame(kArrayGfnBase);
    ASSERT_EQ(expand_array(a.domain, kArrayGfnBase), Status::Ok);
    EXPECT_EQ(fifo_queue(a, 0, 7), (std::vector<uint32_t>{p}));
}

TEST_F(FifoTest, ClosedButStillLinkedPortIsNotReused) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    uint32_t p = *bind_ipi(a.domain, 0);
    ASSERT_EQ(send(a.domain, p), Status::Ok);
    ASSERT_EQ(close(a.domain, p), Status::Ok);
    EXPECT_EQ(event_word(a, p), bits::linked);  // close clears PENDING only
    uint32_t q = *bind_ipi(a.domain, 0);
    EXPECT_NE(q, p);
    EXPECT_EQ(fifo_consume(a, 0, 7), 0u);  // guest unlinks it, ignoring it (not pending)
    ASSERT_EQ(close(a.domain, q), Status::Ok);
    EXPECT_EQ(*bind_ipi(a.domain, 0), p);
}

TEST_F(FifoTest, FifoRaisesMoreThan4096Ports) {
    ASSERT_EQ(setup_fifo(a, 5), Status::Ok);
    uint32_t last = 0;
    for (uint32_t i = 1; i <= 5000; ++i)
        last = *bind_ipi(a.domain, 0);
    EXPECT_EQ(last, 5000u);
    ASSERT_EQ(send(a.domain, last), Status::Ok);
    EXPECT_EQ(fifo_queue(a, 0, 7), (std::vector<uint32_t>{last}));
}

TEST_F(FifoTest, ControlBlockMissingDropsTheEvent) {
    a.memory.add_frame(kControlGfnBase);
    ASSERT_TRUE(init_control(a.domain, 0, kControlGfnBase, 0).ok());
    a.memory.add_frame(kArrayGfnBase);
    ASSERT_EQ(expand_array(a.domain, kArrayGfnBase), Status::Ok);
    uint32_t p = *bind_ipi(a.domain, 1);  // vCPU 1 has no control block
    ASSERT_EQ(send(a.domain, p), Status::Ok);
    EXPECT_EQ(event_word(a, p), 0u);
    EXPECT_TRUE(world.notifier.kicks.empty());
}

TEST_F(FifoTest, ResetReturnsToTwoLevelAndReleasesPages) {
    ASSERT_EQ(setup_fifo(a, 2), Status::Ok);
    ASSERT_TRUE(bind_ipi(a.domain, 0).ok());
    EXPECT_EQ(a.memory.mappings_held(), 4u);
    EXPECT_EQ(reset(a.domain, xen::domid_self), Status::Ok);
    EXPECT_EQ(a.domain.abi(), EventAbi::TwoLevel);
    EXPECT_EQ(a.memory.mappings_held(), 0u);
    // And FIFO can be set up again.
    EXPECT_EQ(setup_fifo(a, 1), Status::Ok);
}

TEST_F(FifoTest, DestroyReleasesEverything) {
    ASSERT_EQ(setup_fifo(b, 3), Status::Ok);
    ASSERT_TRUE(bind_ipi(b.domain, 0).ok());
    destroy_domain(b.domain);
    EXPECT_EQ(b.memory.mappings_held(), 0u);
}

TEST_F(FifoTest, PollSeesFifoPendingBits) {
    ASSERT_EQ(setup_fifo(a), Status::Ok);
    uint32_t p = *bind_ipi(a.domain, 0);
    event_word(a, p) |= bits::masked;
    uint32_t ports[] = {p};
    ASSERT_EQ(*poll_prepare(a.domain, 0, ports), PollOutcome::Blocked);
    ASSERT_EQ(send(a.domain, p), Status::Ok);
    EXPECT_EQ(world.notifier.wakeups.size(), 1u);
    EXPECT_EQ(*poll_prepare(a.domain, 0, ports), PollOutcome::Ready);
}

}  // namespace
}  // namespace hv::evtchn
