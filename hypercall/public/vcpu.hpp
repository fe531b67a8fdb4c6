// vcpu_op arguments: runstate and vcpu_info registration, the per-vCPU timers, the
// physical-id query. Facts: shared/spec/xen-pv-abi.md §4.15, §8.3-§8.4.
//
// Invariants: a registered vcpu_info (64 bytes) must not cross a page boundary; while
// VmAssistType::runstate_update_flag is enabled the hypervisor sets runstate_update in
// state_entry_time for the duration of each update of the runstate area.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

enum class RunState : int32_t { running = 0, runnable = 1, blocked = 2, offline = 3 };
inline constexpr uint64_t runstate_update = 1ull << 63;

// Xen: vcpu_runstate_info.
struct VcpuRunstateInfo {
    int32_t state;  // RunState
    uint32_t pad;
    uint64_t state_entry_time;  // system time (ns) of the last state change
    uint64_t time[4];           // ns accumulated in each RunState
};
static_assert(sizeof(VcpuRunstateInfo) == 48);
static_assert(offsetof(VcpuRunstateInfo, state) == 0);
static_assert(offsetof(VcpuRunstateInfo, state_entry_time) == 8);
static_assert(offsetof(VcpuRunstateInfo, time) == 16);

// Xen: vcpu_register_runstate_memory_area, vcpu_register_time_memory_area.
struct VcpuRegisterMemoryArea {
    uint64_t addr;  // guest VA of a VcpuRunstateInfo / VcpuTimeInfo
};
static_assert(sizeof(VcpuRegisterMemoryArea) == 8);
static_assert(offsetof(VcpuRegisterMemoryArea, addr) == 0);
using VcpuRegisterRunstateMemoryArea = VcpuRegisterMemoryArea;
using VcpuRegisterTimeMemoryArea = VcpuRegisterMemoryArea;

// Xen: vcpu_set_periodic_timer.
struct VcpuSetPeriodicTimer {
    uint64_t period_ns;
};
static_assert(sizeof(VcpuSetPeriodicTimer) == 8);
static_assert(offsetof(VcpuSetPeriodicTimer, period_ns) == 0);

// VcpuSetSingleshotTimer.flags: fail with -ETIME if the deadline has passed.
inline constexpr uint32_t vcpu_sshottmr_future = 1u << 0;

// Xen: vcpu_set_singleshot_timer.
struct VcpuSetSingleshotTimer {
    uint64_t timeout_abs_ns;  // system time
    uint32_t flags;           // vcpu_sshottmr_future
    uint32_t pad;
};
static_assert(sizeof(VcpuSetSingleshotTimer) == 16);
static_assert(offsetof(VcpuSetSingleshotTimer, timeout_abs_ns) == 0);
static_assert(offsetof(VcpuSetSingleshotTimer, flags) == 8);

// Xen: vcpu_register_vcpu_info.
struct VcpuRegisterVcpuInfo {
    uint64_t mfn;     // frame holding the new vcpu_info
    uint32_t offset;  // of the vcpu_info within that frame
    uint32_t rsvd;
};
static_assert(sizeof(VcpuRegisterVcpuInfo) == 16);
static_assert(offsetof(VcpuRegisterVcpuInfo, mfn) == 0);
static_assert(offsetof(VcpuRegisterVcpuInfo, offset) == 8);
static_assert(offsetof(VcpuRegisterVcpuInfo, rsvd) == 12);

// Xen: vcpu_get_physid. Low 32 bits = APIC id, high 32 bits = ACPI id.
struct VcpuGetPhysid {
    uint64_t phys_id;
};
static_assert(sizeof(VcpuGetPhysid) == 8);
static_assert(offsetof(VcpuGetPhysid, phys_id) == 0);

}  // namespace xen
