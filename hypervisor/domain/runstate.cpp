#include "domain/runstate.hpp"

#include "domain/domain.hpp"
#include "kernel/time.hpp"
#include "seam/guest_memory.hpp"

namespace hv {

// The scheduler core keeps the exact runstate (sched/runstate): transitions happen where
// it decides them; the snapshot includes the current state's time up to now, as Xen's
// vcpu_runstate_get does.
xen::VcpuRunstateInfo runstate_snapshot(const Vcpu& v) { return v.sched_unit.runstate().guest_view(now_ns()); }

void runstate_publish(Vcpu& v) {
    if (v.runstate_area == 0)
        return;
    // Only valid while v's own page tables are loaded (it is running on this CPU): the
    // area is a guest virtual address. With runstate_update_flag, bit 63 of
    // state_entry_time is set while the record is inconsistent.
    constexpr uint64_t kUpdateFlag = 1ull << 63;
    const bool flag = v.domain().vm_assist & (1ull << 5);
    // As Xen's update_runstate_area: the record as of the last transition (the open
    // interval is not in time[]; VCPUOP_get_runstate_info includes it).
    xen::VcpuRunstateInfo info = v.sched_unit.runstate().area_view();
    if (flag) {
        uint64_t marked = info.state_entry_time | kUpdateFlag;
        (void)copy_to_guest(v.runstate_area + 8, &marked, sizeof(marked));
    }
    (void)copy_to_guest(v.runstate_area, &info, sizeof(info));
}

}  // namespace hv
