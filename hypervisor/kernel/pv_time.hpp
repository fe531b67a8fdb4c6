// Time as PV guests see it: per-vCPU pvclock records (vcpu_info.time) and the wallclock
// in shared_info, kept with the odd/even version protocol (spec §8). The scale is the
// hypervisor's own TSC scale, so guest time equals hypervisor system time.
#pragma once

#include <cstdint>

namespace hv {

class Vcpu;
class Domain;

void pv_time_init();                 // reads the RTC once (BSP, after time_init)
void pv_time_update(Vcpu& v);        // refresh v's vcpu_time_info from the TSC now
void pv_wallclock_update(Domain& d); // wc_sec/wc_nsec: wall time at system time 0
uint64_t wallclock_at_boot_ns();
// XENPF_settime: the wall time was `wall_ns` at system time `system_ns`; every domain's
// shared_info follows (Xen's do_settime).
void pv_settime(uint64_t wall_ns, uint64_t system_ns);

}  // namespace hv
