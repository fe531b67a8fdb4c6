// The timers a PV vCPU owns (spec §8.4): the one-shot timer (VCPUOP_set_singleshot_timer,
// set_timer_op), the periodic timer (10 ms by default, as Xen starts every vCPU with,
// until VCPUOP_stop_periodic_timer), and the SCHEDOP_poll timeout. The one-shot and
// periodic timers raise VIRQ_TIMER on the vCPU; the poll timeout wakes it.
// Deadlines are hypervisor system time in ns, the same clock pvclock publishes.
#pragma once

#include <cstdint>

namespace hv {

class Vcpu;

inline constexpr uint64_t kDefaultPeriodNs = 10000000;  // 10 ms

void vcpu_set_singleshot(Vcpu& v, uint64_t deadline_ns);
void vcpu_stop_singleshot(Vcpu& v);
void vcpu_set_periodic(Vcpu& v, uint64_t period_ns);  // 0 = stop
void vcpu_set_poll_timeout(Vcpu& v, uint64_t deadline_ns);
void vcpu_timers_stop(Vcpu& v);  // vCPU goes offline or its domain dies

}  // namespace hv
