// Timers raising VIRQ_TIMER, delivered through the event callback while the vCPU is
// blocked (spec §4.10, §4.15, §7.3-§7.6, §8.4). The callback counts the upcall and
// records the unmasked pending ports, then returns with HYPERVISOR_iret.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

constexpr uint64_t one_ms = 1000000;

int64_t bind_timer_virq(uint32_t* port) {
    xen::EventChannelBindVirq bind{xen::raw(xen::Virq::timer), 0, 0};
    const int64_t rc = event_channel_op(xen::EventChannelOp::bind_virq, &bind);
    *port = bind.port;
    return rc;
}

int64_t close_port(uint32_t port) {
    xen::EventChannelClose close{port};
    return event_channel_op(xen::EventChannelOp::close, &close);
}

// Blocks until the upcall saw `port` (or `tries` wake-ups passed). SCHEDOP_block
// unmasks events; the mask is set again before returning.
int block_until_seen(uint32_t port, int tries) {
    int blocks = 0;
    while (!event_seen(port) && blocks < tries) {
        EXPECT_EQ(sched_op(xen::SchedOp::block, nullptr), 0);
        ++blocks;
    }
    vcpu_info()->evtchn_upcall_mask = 1;
    return blocks;
}

// Clears what an earlier case may have left pending, with events masked.
void quiesce() {
    vcpu_info()->evtchn_upcall_mask = 1;
    vcpu_info()->evtchn_upcall_pending = 0;
    vcpu_info()->evtchn_pending_sel = 0;
    event_stats() = {};
}

}  // namespace

GUEST_TEST(event_channel_timer_virq_wakes_block) {
    ASSERT_NE(shared_info(), nullptr);
    ASSERT_EQ(register_event_callback(), 0);
    EXPECT_EQ(vcpu_op(xen::VcpuOp::stop_periodic_timer, 0, nullptr), 0);
    uint32_t port = 0;
    ASSERT_EQ(bind_timer_virq(&port), 0);
    EXPECT_GT(port, 0u);
    quiesce();
    clear_port_pending(port);
    set_port_mask(port, false);
    xen::EventChannelUnmask unmask{port};
    EXPECT_EQ(event_channel_op(xen::EventChannelOp::unmask, &unmask), 0);

    const uint64_t now = system_time_ns();
    ASSERT_GT(now, 0u);
    xen::VcpuSetSingleshotTimer timer{now + one_ms, 0, 0};
    ASSERT_EQ(vcpu_op(xen::VcpuOp::set_singleshot_timer, 0, &timer), 0);
    const int blocks = block_until_seen(port, 50);
    EXPECT_TRUE(event_seen(port));
    EXPECT_GE(event_stats().upcalls, 1u);
    EXPECT_TRUE(port_pending(port));
    EXPECT_GE(system_time_ns(), now + one_ms);
    GUEST_NOTE("port=%u blocks=%d upcalls=%llu", port, blocks,
               static_cast<unsigned long long>(event_stats().upcalls));

    clear_port_pending(port);
    set_port_mask(port, true);
    EXPECT_EQ(close_port(port), 0);
}

GUEST_TEST(set_timer_op_raises_timer_virq) {
    ASSERT_NE(shared_info(), nullptr);
    uint32_t port = 0;
    ASSERT_EQ(bind_timer_virq(&port), 0);
    quiesce();
    clear_port_pending(port);
    set_port_mask(port, false);
    const uint64_t now = system_time_ns();
    ASSERT_EQ(hypercall1(Hypercall::set_timer_op, now + one_ms), 0);
    block_until_seen(port, 50);
    EXPECT_TRUE(event_seen(port));
    EXPECT_TRUE(port_pending(port));
    EXPECT_GE(system_time_ns(), now + one_ms);
    // 0 cancels.
    EXPECT_EQ(hypercall1(Hypercall::set_timer_op, 0), 0);
    clear_port_pending(port);
    set_port_mask(port, true);
    EXPECT_EQ(close_port(port), 0);
}

GUEST_TEST(event_channel_bind_virq_twice) {
    uint32_t port = 0, again = 0;
    ASSERT_EQ(bind_timer_virq(&port), 0);
    EXPECT_ERRNO(bind_timer_virq(&again), eexist);
    EXPECT_EQ(close_port(port), 0);
    EXPECT_ERRNO(close_port(port), einval);
}

GUEST_TEST(event_channel_bind_virq_invalid) {
    xen::EventChannelBindVirq bind{xen::virq_count, 0, 0};
    EXPECT_ERRNO(event_channel_op(xen::EventChannelOp::bind_virq, &bind), einval);
    bind = {xen::raw(xen::Virq::timer), 1, 0};  // no vCPU 1
    EXPECT_ERRNO(event_channel_op(xen::EventChannelOp::bind_virq, &bind), enoent);
}

GUEST_TEST(event_channel_send_to_self_ipi) {
    // An IPI port bound to ourselves: send marks it pending and, once unmasked, an
    // upcall is delivered on the way back from the next hypercall.
    ASSERT_NE(shared_info(), nullptr);
    xen::EventChannelBindIpi bind{0, 0};
    ASSERT_EQ(event_channel_op(xen::EventChannelOp::bind_ipi, &bind), 0);
    const uint32_t port = bind.port;
    quiesce();
    clear_port_pending(port);
    set_port_mask(port, false);
    xen::EventChannelSend send{port};
    EXPECT_EQ(event_channel_op(xen::EventChannelOp::send, &send), 0);
    EXPECT_TRUE(port_pending(port));
    EXPECT_EQ(vcpu_info()->evtchn_upcall_pending, 1u);
    EXPECT_EQ(event_stats().upcalls, 0u);  // masked: no upcall yet
    // Unmasking in the guest and forcing delivery with a null hypercall, as Linux's
    // xen_irq_enable does.
    vcpu_info()->evtchn_upcall_mask = 0;
    (void)xen_version(xen::VersionOp::version, nullptr);
    vcpu_info()->evtchn_upcall_mask = 1;
    EXPECT_EQ(event_stats().upcalls, 1u);
    EXPECT_TRUE(event_seen(port));
    clear_port_pending(port);
    set_port_mask(port, true);
    EXPECT_EQ(close_port(port), 0);
}
