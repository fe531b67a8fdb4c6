// vcpu_op and sched_op as a single-vCPU dom0 sees them (spec §4.15, §4.18, §8.3):
// which vCPUs exist, timer limits, the runstate area and moving vcpu_info.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

constinit xen::VcpuRunstateInfo g_runstate{};

}  // namespace

GUEST_TEST(vcpu_op_is_up_vcpu0) {
    EXPECT_EQ(vcpu_op(xen::VcpuOp::is_up, 0, nullptr), 1);
}

GUEST_TEST(vcpu_op_is_up_missing_vcpu) {
    EXPECT_ERRNO(vcpu_op(xen::VcpuOp::is_up, 1, nullptr), enoent);
    EXPECT_ERRNO(vcpu_op(xen::VcpuOp::is_up, 8191, nullptr), enoent);
}

GUEST_TEST(vcpu_op_up_missing_vcpu) {
    EXPECT_ERRNO(vcpu_op(xen::VcpuOp::up, 1, nullptr), enoent);
}

GUEST_TEST(vcpu_op_periodic_timer_limits) {
    xen::VcpuSetPeriodicTimer period{999999};  // under 1 ms
    EXPECT_ERRNO(vcpu_op(xen::VcpuOp::set_periodic_timer, 0, &period), einval);
    period.period_ns = 10000000;
    EXPECT_EQ(vcpu_op(xen::VcpuOp::set_periodic_timer, 0, &period), 0);
    EXPECT_EQ(vcpu_op(xen::VcpuOp::stop_periodic_timer, 0, nullptr), 0);
}

GUEST_TEST(vcpu_op_singleshot_timer_in_the_past) {
    // A past deadline is accepted (the timer fires at once). Xen 4.17 ignores
    // VCPU_SSHOTTMR_future: no -ETIME either.
    xen::VcpuSetSingleshotTimer timer{1, 0, 0};
    EXPECT_EQ(vcpu_op(xen::VcpuOp::set_singleshot_timer, 0, &timer), 0);
    timer.flags = xen::vcpu_sshottmr_future;
    EXPECT_EQ(vcpu_op(xen::VcpuOp::set_singleshot_timer, 0, &timer), 0);
    EXPECT_EQ(vcpu_op(xen::VcpuOp::stop_singleshot_timer, 0, nullptr), 0);
}

GUEST_TEST(vcpu_op_runstate_area_shows_running) {
    g_runstate.state = -1;
    xen::VcpuRegisterRunstateMemoryArea area{reinterpret_cast<uint64_t>(&g_runstate)};
    ASSERT_EQ(vcpu_op(xen::VcpuOp::register_runstate_memory_area, 0, &area), 0);
    EXPECT_EQ(g_runstate.state, xen::raw(xen::RunState::running));
    const uint64_t entered = g_runstate.state_entry_time & ~xen::runstate_update;
    EXPECT_GT(entered, 0u);
    // time[] holds the time spent in each state before the current one, added at each
    // change: time[running] is 0 on Xen until the vCPU was first switched out (CI saw
    // it), but the states' times never add up to more than the system time at which
    // the current state was entered.
    EXPECT_LE(g_runstate.time[0] + g_runstate.time[1] + g_runstate.time[2] + g_runstate.time[3], entered);
    (void)sched_op(xen::SchedOp::yield, nullptr);
    EXPECT_EQ(g_runstate.state, xen::raw(xen::RunState::running));
}

GUEST_TEST(vcpu_op_get_runstate_info) {
    xen::VcpuRunstateInfo info{};
    info.state = -1;
    EXPECT_EQ(vcpu_op(xen::VcpuOp::get_runstate_info, 0, &info), 0);
    EXPECT_EQ(info.state, xen::raw(xen::RunState::running));
}

GUEST_TEST(vcpu_op_register_vcpu_info) {
    // Moves vCPU 0's vcpu_info into a page of ours; the hypervisor marks every event
    // selector pending so nothing raised before the move is lost.
    static uint64_t page = 0;
    if (page == 0)
        page = pool_alloc();
    ASSERT_NE(page, 0u);
    ASSERT_NE(vcpu_info(), nullptr);
    const uint32_t old_mul = vcpu_info()->time.tsc_to_system_mul;
    xen::VcpuRegisterVcpuInfo request{va_to_mfn(page), 64, 0};
    ASSERT_EQ(vcpu_op(xen::VcpuOp::register_vcpu_info, 0, &request), 0);
    auto* info = reinterpret_cast<xen::VcpuInfo*>(page + 64);
    EXPECT_EQ(info->evtchn_pending_sel, ~0ull);
    EXPECT_EQ(info->evtchn_upcall_pending, 1u);
    EXPECT_EQ(info->evtchn_upcall_mask, 1u);
    EXPECT_EQ(info->time.tsc_to_system_mul, old_mul);
    set_vcpu_info(info);
    info->evtchn_upcall_pending = 0;
    info->evtchn_pending_sel = 0;
    EXPECT_GT(system_time_ns(), 0u);
    // Only once per vCPU.
    xen::VcpuRegisterVcpuInfo again{va_to_mfn(page), 128, 0};
    EXPECT_ERRNO(vcpu_op(xen::VcpuOp::register_vcpu_info, 0, &again), einval);
}

GUEST_TEST(vcpu_op_register_vcpu_time_memory_area) {
    static xen::VcpuTimeInfo time{};
    xen::VcpuRegisterTimeMemoryArea area{reinterpret_cast<uint64_t>(&time)};
    EXPECT_EQ(vcpu_op(xen::VcpuOp::register_vcpu_time_memory_area, 0, &area), 0);
    EXPECT_EQ(time.version & 1, 0u);
    EXPECT_NE(time.tsc_to_system_mul, 0u);
    EXPECT_GT(time.system_time, 0u);
}

GUEST_TEST(vcpu_op_get_physid) {
    xen::VcpuGetPhysid physid{~0ull};
    const int64_t rc = vcpu_op(xen::VcpuOp::get_physid, 0, &physid);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(physid.phys_id, 0u);  // APIC id 0, ACPI id 0
}

GUEST_TEST(vcpu_op_unknown_cmd) {
    EXPECT_ERRNO(vcpu_op(static_cast<xen::VcpuOp>(99), 0, nullptr), enosys);
}

GUEST_TEST(sched_op_yield) {
    EXPECT_EQ(sched_op(xen::SchedOp::yield, nullptr), 0);
}
