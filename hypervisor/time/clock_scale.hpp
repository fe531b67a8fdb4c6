// Tick-to-nanosecond scaling in the form the Xen pvclock ABI gives the guest (vcpu_time_info's
// tsc_to_system_mul and tsc_shift), so the hypervisor computes system time exactly as the guest does:
//
//   t  = shift >= 0 ? ticks << shift : ticks >> -shift      (64-bit; a left shift drops high bits)
//   ns = (t * mul_frac) >> 32                               (128-bit product, low 64 bits kept)
//
// Invariant of every scale made by clock_scale_for(): mul_frac is in [2^31, 2^32), i.e. its top bit is
// set, so the multiplier keeps 32 significant bits (relative error below 2^-31), and the shift is the one
// that makes this so. A negative shift discards the low -shift bits of the tick count first, an absolute
// error of under 2^-shift ticks (under a nanosecond for clocks up to ~8 GHz), not a relative one.
#pragma once

#include <cstdint>

namespace hv {

struct ClockScale {
    uint32_t mul_frac;
    int8_t shift;
};

// HV_ASSERTs ticks_per_second > 0. Rounds the multiplier to nearest.
ClockScale clock_scale_for(uint64_t ticks_per_second);
uint64_t scale_ticks(uint64_t ticks, ClockScale s);
// The inverse as a Linux guest derives its TSC frequency: (10^9 << 32) / mul_frac (truncated), then
// >> shift or << -shift. Saturates at UINT64_MAX; 0 for mul_frac 0.
uint64_t ticks_per_second_of(ClockScale s);

}  // namespace hv
