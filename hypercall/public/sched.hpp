// sched_op arguments and shutdown reasons. Facts: shared/spec/xen-pv-abi.md §4.18.
//
// Invariant: every struct here is an input; sched_op writes nothing back.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

enum class ShutdownReason : uint32_t {
    poweroff = 0,
    reboot = 1,
    suspend = 2,  // third hypercall argument = start_info MFN
    crash = 3,
    watchdog = 4,
    soft_reset = 5,
};
inline constexpr uint32_t shutdown_reason_max = 5;

// Xen: sched_shutdown (shutdown, shutdown_code).
struct SchedShutdown {
    uint32_t reason;  // ShutdownReason
};
static_assert(sizeof(SchedShutdown) == 4);
static_assert(offsetof(SchedShutdown, reason) == 0);

// Xen: sched_poll.
struct SchedPoll {
    uint64_t ports;  // handle: EventChannelPort[nr_ports]
    uint32_t nr_ports;
    uint32_t pad;
    uint64_t timeout;  // absolute system time, 0 = none
};
static_assert(sizeof(SchedPoll) == 24);
static_assert(offsetof(SchedPoll, ports) == 0);
static_assert(offsetof(SchedPoll, nr_ports) == 8);
static_assert(offsetof(SchedPoll, timeout) == 16);

// Xen: sched_remote_shutdown.
struct SchedRemoteShutdown {
    uint16_t domain_id;
    uint16_t pad;
    uint32_t reason;  // ShutdownReason
};
static_assert(sizeof(SchedRemoteShutdown) == 8);
static_assert(offsetof(SchedRemoteShutdown, domain_id) == 0);
static_assert(offsetof(SchedRemoteShutdown, reason) == 4);

// Xen: sched_watchdog.
struct SchedWatchdog {
    uint32_t id;       // 0 = allocate a new watchdog
    uint32_t timeout;  // seconds, 0 = destroy
};
static_assert(sizeof(SchedWatchdog) == 8);
static_assert(offsetof(SchedWatchdog, id) == 0);
static_assert(offsetof(SchedWatchdog, timeout) == 4);

// Xen: sched_pin_override.
struct SchedPinOverride {
    int32_t pcpu;  // -1 = remove the override
};
static_assert(sizeof(SchedPinOverride) == 4);
static_assert(offsetof(SchedPinOverride, pcpu) == 0);

}  // namespace xen
