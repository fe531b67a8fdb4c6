#include "time/clock_scale.hpp"

#include "seam/panic.hpp"

namespace hv {
namespace {

using u128 = unsigned __int128;

constexpr uint64_t kNanosecondsPerSecond = 1'000'000'000;

// round(10^9 * 2^(32 - shift) / hz): the multiplier that pairs with `shift`. Both shifts stay far inside
// 128 bits for the shifts clock_scale_for() tries (|shift| <= 64, 10^9 < 2^30).
u128 multiplier_for(uint64_t hz, int shift) {
    u128 numerator = u128{kNanosecondsPerSecond} << 32;
    u128 denominator = hz;
    if (shift >= 0)
        denominator <<= shift;
    else
        numerator <<= -shift;
    return (numerator + denominator / 2) / denominator;
}

}  // namespace

ClockScale clock_scale_for(uint64_t ticks_per_second) {
    HV_ASSERT(ticks_per_second != 0);
    // The multiplier halves with each step of the shift; walk to the one shift that puts it in
    // [2^31, 2^32). 10^9/hz lies in [2^-35, 2^30), so the shift stays within [-34, 31].
    int shift = 0;
    u128 mul = multiplier_for(ticks_per_second, shift);
    while (mul >= (u128{1} << 32))
        mul = multiplier_for(ticks_per_second, ++shift);
    while (mul < (u128{1} << 31))
        mul = multiplier_for(ticks_per_second, --shift);
    // Each step down doubles a value below 2^31 - 1/2 and rounds, so it cannot reach 2^32.
    HV_ASSERT(mul < (u128{1} << 32));
    return ClockScale{static_cast<uint32_t>(mul), static_cast<int8_t>(shift)};
}

uint64_t scale_ticks(uint64_t ticks, ClockScale s) {
    if (s.shift >= 0)
        ticks = s.shift >= 64 ? 0 : ticks << s.shift;
    else
        ticks = s.shift <= -64 ? 0 : ticks >> -s.shift;
    return static_cast<uint64_t>((u128{ticks} * s.mul_frac) >> 32);
}

uint64_t ticks_per_second_of(ClockScale s) {
    if (s.mul_frac == 0)
        return 0;
    u128 hz = (u128{kNanosecondsPerSecond} << 32) / s.mul_frac;
    if (s.shift >= 0) {
        hz >>= s.shift;  // shift <= 127 for an int8_t
    } else {
        const int up = -s.shift;
        if (up >= 64 || (hz >> (64 - up)) != 0)
            return ~uint64_t{0};
        hz <<= up;
    }
    return hz > ~uint64_t{0} ? ~uint64_t{0} : static_cast<uint64_t>(hz);
}

}  // namespace hv
