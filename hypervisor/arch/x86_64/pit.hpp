// i8254 PIT, channel 2 only (the speaker-gate channel, usable without an interrupt), as
// the reference clock for TSC calibration.
#pragma once

#include <cstdint>

namespace hv::arch {

inline constexpr uint64_t kPitHz = 1193182;

// Measures TSC ticks elapsed over `pit_ticks` PIT ticks (<= 0xffff) using channel 2 in
// mode 0 (interrupt on terminal count), polled through port 0x61 bit 5.
uint64_t pit_measure_tsc(uint16_t pit_ticks);

}  // namespace hv::arch
