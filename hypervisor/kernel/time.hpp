// System time and per-CPU software timers.
//
// System time is nanoseconds since boot derived from the TSC with the same scaling
// (ClockScale) that pvclock publishes to PV guests, so hypervisor and guests agree on
// "now". Each CPU keeps its timers in its own TimerQueue; the local APIC timer is armed
// only for the earliest deadline (no periodic tick), and callbacks run in interrupt
// context on the CPU the timer was armed on.
#pragma once

#include <cstdint>

#include "time/clock_scale.hpp"
#include "time/timer_queue.hpp"

namespace hv {

// Calibrates the TSC against the PIT and starts system time (BSP, once).
void time_init();
uint64_t now_ns();
uint64_t tsc_hz();
ClockScale tsc_scale();
uint64_t tsc_at_boot();
uint64_t ns_to_tsc(uint64_t ns);  // absolute system time -> absolute TSC value
void delay_us(uint64_t us);

// Per-CPU timer interrupt setup (every CPU after its LAPIC is on).
void timer_init_this_cpu();
void timer_arm(Timer& t, uint64_t deadline_ns);  // on this CPU's queue
// From any CPU, whichever queue holds the timer (a vCPU timer may sit on another CPU's).
// The callback may still be running elsewhere when this returns (quiesce_wait_others).
bool timer_cancel(Timer& t);

}  // namespace hv
