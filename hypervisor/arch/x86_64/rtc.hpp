// The CMOS real-time clock (MC146818), read once at boot to seed guests' wallclock.
#pragma once

#include <cstdint>

namespace hv::arch {

// Seconds since the Unix epoch (UTC, as PC firmware keeps it on QEMU), or 0 if the RTC
// gives nonsense.
uint64_t rtc_read_unix_seconds();

}  // namespace hv::arch
