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
    // The upcall frame: guest kernel CS (RPL 0), the saved mask 0 above it, IF set; the
    // callback was registered with CALLBACKF_mask_events, so it ran masked.
    EXPECT_EQ(last_upcall().cs & 0xffff, xen::flat_kernel_cs & ~3u);
    EXPECT_EQ((last_upcall().cs >> 32) & 0xff, 0u);
    EXPECT_NE(last_upcall().rflags & (1u << 9), 0u);
    EXPECT_EQ(last_upcall_mask(), 1u);
    clear_port_pending(port);
    set_port_mask(port, true);
    EXPECT_EQ(close_port(port), 0);
}

GUEST_TEST(event_channel_unmask_hypercall_reraises_pending) {
    // A port that became pending while masked: EVTCHNOP_unmask clears the mask and, as
    // the port is pending, raises the selector and the upcall flag.
    ASSERT_NE(shared_info(), nullptr);
    xen::EventChannelBindIpi bind{0, 0};
    ASSERT_EQ(event_channel_op(xen::EventChannelOp::bind_ipi, &bind), 0);
    const uint32_t port = bind.port;
    quiesce();
    clear_port_pending(port);
    set_port_mask(port, true);
    xen::EventChannelSend send{port};
    EXPECT_EQ(event_channel_op(xen::EventChannelOp::send, &send), 0);
    EXPECT_TRUE(port_pending(port));
    EXPECT_EQ(vcpu_info()->evtchn_upcall_pending, 0u);
    xen::EventChannelUnmask unmask{port};
    EXPECT_EQ(event_channel_op(xen::EventChannelOp::unmask, &unmask), 0);
    EXPECT_EQ(vcpu_info()->evtchn_upcall_pending, 1u);
    EXPECT_NE(vcpu_info()->evtchn_pending_sel & (1ull << (port / 64)), 0u);
    quiesce();
    clear_port_pending(port);
    set_port_mask(port, true);
    EXPECT_EQ(close_port(port), 0);
}

GUEST_TEST(event_channel_status_of_virq_port) {
    uint32_t port = 0;
    ASSERT_EQ(bind_timer_virq(&port), 0);
    xen::EventChannelStatus status{};
    status.dom = xen::domid_self;
    status.port = port;
    EXPECT_EQ(event_channel_op(xen::EventChannelOp::status, &status), 0);
    EXPECT_EQ(status.status, xen::raw(xen::EventChannelState::virq));
    EXPECT_EQ(status.vcpu, 0u);
    EXPECT_EQ(status.u.virq, xen::raw(xen::Virq::timer));
    EXPECT_EQ(close_port(port), 0);
    EXPECT_EQ(event_channel_op(xen::EventChannelOp::status, &status), 0);
    EXPECT_EQ(status.status, xen::raw(xen::EventChannelState::closed));
}

GUEST_TEST(event_channel_loopback_interdomain) {
    // What dom0's xenstore set-up does: an unbound port for ourselves, then the other
    // end bound to it; a send on one end marks the other pending.
    xen::EventChannelAllocUnbound alloc{xen::domid_self, xen::domid_self, 0};
    ASSERT_EQ(event_channel_op(xen::EventChannelOp::alloc_unbound, &alloc), 0);
    xen::EventChannelBindInterdomain bind{xen::domid_self, 0, alloc.port, 0};
    ASSERT_EQ(event_channel_op(xen::EventChannelOp::bind_interdomain, &bind), 0);
    EXPECT_NE(bind.local_port, alloc.port);
    quiesce();
    set_port_mask(alloc.port, true);
    set_port_mask(bind.local_port, true);
    clear_port_pending(alloc.port);
    clear_port_pending(bind.local_port);
    xen::EventChannelSend send{bind.local_port};
    EXPECT_EQ(event_channel_op(xen::EventChannelOp::send, &send), 0);
    EXPECT_TRUE(port_pending(alloc.port));
    EXPECT_FALSE(port_pending(bind.local_port));
    xen::EventChannelStatus status{};
    status.dom = xen::domid_self;
    status.port = alloc.port;
    EXPECT_EQ(event_channel_op(xen::EventChannelOp::status, &status), 0);
    EXPECT_EQ(status.status, xen::raw(xen::EventChannelState::interdomain));
    EXPECT_EQ(status.u.interdomain.port, bind.local_port);
    clear_port_pending(alloc.port);
    EXPECT_EQ(close_port(bind.local_port), 0);
    EXPECT_EQ(close_port(alloc.port), 0);
}

GUEST_TEST(event_channel_bind_vcpu_missing) {
    xen::EventChannelBindIpi bind{0, 0};
    ASSERT_EQ(event_channel_op(xen::EventChannelOp::bind_ipi, &bind), 0);
    xen::EventChannelBindVcpu move{bind.port, 1};
    EXPECT_ERRNO(event_channel_op(xen::EventChannelOp::bind_vcpu, &move), enoent);
    EXPECT_EQ(close_port(bind.port), 0);
}

GUEST_TEST(sched_op_poll_times_out) {
    ASSERT_NE(shared_info(), nullptr);
    xen::EventChannelBindIpi bind{0, 0};
    ASSERT_EQ(event_channel_op(xen::EventChannelOp::bind_ipi, &bind), 0);
    static xen::EventChannelPort ports[1];
    ports[0] = bind.port;
    quiesce();
    clear_port_pending(bind.port);
    set_port_mask(bind.port, true);
    const uint64_t now = system_time_ns();
    xen::SchedPoll poll{reinterpret_cast<uint64_t>(ports), 1, 0, now + one_ms};
    EXPECT_EQ(sched_op(xen::SchedOp::poll, &poll), 0);
    EXPECT_GE(system_time_ns(), now + one_ms);
    // A pending port ends the poll at once.
    xen::EventChannelSend send{bind.port};
    EXPECT_EQ(event_channel_op(xen::EventChannelOp::send, &send), 0);
    poll.timeout = system_time_ns() + 1000 * one_ms;
    EXPECT_EQ(sched_op(xen::SchedOp::poll, &poll), 0);
    EXPECT_LT(system_time_ns(), poll.timeout);
    quiesce();
    clear_port_pending(bind.port);
    EXPECT_EQ(close_port(bind.port), 0);
}

GUEST_TEST(vcpu_op_send_nmi_to_self) {
    // The NMI arrives through trap-table vector 2 on the way back from the hypercall
    // (reinstalled here: unregistering an NMI callback clears that vector).
    ASSERT_EQ(install_trap_table(), 0);
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap([] { (void)vcpu_op(xen::VcpuOp::send_nmi, 0, nullptr); }, &trap));
    EXPECT_EQ(trap.vector, vector_nmi);
    EXPECT_EQ(trap.error_code, 0u);
}

GUEST_TEST(vcpu_op_send_nmi_arguments) {
    // The extra argument must be NULL; the target must exist.
    static uint64_t dummy = 0;
    EXPECT_ERRNO(vcpu_op(xen::VcpuOp::send_nmi, 0, &dummy), einval);
    EXPECT_ERRNO(vcpu_op(xen::VcpuOp::send_nmi, 1, nullptr), enoent);
}
