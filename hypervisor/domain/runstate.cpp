#include "domain/runstate.hpp"

#include "domain/domain.hpp"
#include "kernel/time.hpp"
#include "seam/guest_memory.hpp"

namespace hv {

void runstate_change(Vcpu& v, RunState next) {
    const uint64_t now = now_ns();
    v.runstate.time[v.runstate.state] += now - v.runstate.state_entry_time;
    v.runstate.state = static_cast<int32_t>(next);
    v.runstate.state_entry_time = now;
}

xen::VcpuRunstateInfo runstate_snapshot(const Vcpu& v) {
    xen::VcpuRunstateInfo info = v.runstate;
    const uint64_t now = now_ns();
    info.time[info.state] += now - info.state_entry_time;
    info.state_entry_time = now;
    return info;
}

void runstate_publish(Vcpu& v) {
    if (v.runstate_area == 0)
        return;
    // Only valid while v's own page tables are loaded (it is running on this CPU): the
    // area is a guest virtual address. With runstate_update_flag, bit 63 of
    // state_entry_time is set while the record is inconsistent.
    constexpr uint64_t kUpdateFlag = 1ull << 63;
    const bool flag = v.domain().vm_assist & (1ull << 5);
    xen::VcpuRunstateInfo info = v.runstate;
    if (flag) {
        uint64_t marked = info.state_entry_time | kUpdateFlag;
        (void)copy_to_guest(v.runstate_area + 8, &marked, sizeof(marked));
    }
    (void)copy_to_guest(v.runstate_area, &info, sizeof(info));
}

}  // namespace hv
