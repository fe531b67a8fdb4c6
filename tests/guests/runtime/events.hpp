// shared_info, vcpu_info, Xen system time and the event upcall, as a PV test guest
// uses them (shared/spec/xen-pv-abi.md §7, §8).
//
// Invariants: the runtime maps shared_info once at start-up (like Linux's fixmap) and
// never unmaps it; vcpu_info() is vCPU 0's block, in shared_info until a case moves it
// with VCPUOP_register_vcpu_info (then set_vcpu_info() must follow); the upcall handler
// acknowledges the upcall and the selector words but leaves the ports' pending bits to
// the case, recording which unmasked ports it saw pending.
#pragma once

#include <cstdint>

#include "hypercall/public/shared_info.hpp"

namespace guest {

// Maps start_info.shared_info at a runtime page. Returns the update_va_mapping result.
int64_t map_shared_info();
// nullptr if the mapping failed.
xen::SharedInfo* shared_info();
xen::VcpuInfo* vcpu_info();
void set_vcpu_info(xen::VcpuInfo* info);

// Xen system time in ns, read through vcpu_info.time (pvclock), or 0 if unavailable.
uint64_t system_time_ns();

// CALLBACKOP_register of the event callback (with or without CALLBACKF_mask_events).
int64_t register_event_callback();

struct EventStats {
    uint64_t upcalls;
    uint64_t seen[64];  // 2-level words: unmasked ports found pending by an upcall
};
EventStats& event_stats();
bool event_seen(uint32_t port);

// Called by the trap dispatcher for vector_event.
void handle_event_upcall();

// 2-level port bits in shared_info (locked, like the hypervisor's side).
void set_port_mask(uint32_t port, bool masked);
bool port_pending(uint32_t port);
void clear_port_pending(uint32_t port);

}  // namespace guest
