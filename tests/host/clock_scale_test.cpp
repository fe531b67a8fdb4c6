// ClockScale: the pvclock (mul_frac, shift) pair for clock rates from 1 Hz to 2^64-1 Hz, checked against
// an independent 128-bit/long-double reference: 1 ppm accuracy over 1 MHz..10 GHz, the multiplier's
// range, monotonicity, 10 years at 5 GHz without overflow, and the Linux-style inverse.
#include "time/clock_scale.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace hv {
namespace {

using u128 = unsigned __int128;

// The guest's computation, written independently of the implementation.
uint64_t guest_ns(uint64_t delta, ClockScale s) {
    if (s.shift >= 0)
        delta <<= s.shift;
    else
        delta >>= -s.shift;
    return static_cast<uint64_t>((u128{delta} * s.mul_frac) >> 32);
}

double relative_error(double actual, double expected) { return std::fabs(actual - expected) / expected; }

std::vector<uint64_t> test_frequencies() {
    std::vector<uint64_t> hz = {
        1000000,     1193182,     3579545,     10000000,    14318180,    19200000,    24000000,
        25000000,    100000000,   999999999,   1000000000,  1000000001,  1500000000,  1999999999,
        2000000000,  2000000001,  2499954000,  2500000000,  3300000000,  4000000000,  4294967295,
        4294967296,  4294967297,  5000000000,  8000000000,  8589934592,  9999999999,  10000000000,
    };
    std::mt19937_64 rng(1);
    for (int i = 0; i < 2000; ++i)
        hz.push_back(1000000 + rng() % (10000000000ull - 1000000));
    return hz;
}

TEST(ClockScale, KnownScales) {
    // 1 GHz: 1 ns per tick = 2^31/2^32 * 2^1.
    EXPECT_EQ(clock_scale_for(1000000000).mul_frac, 0x80000000u);
    EXPECT_EQ(clock_scale_for(1000000000).shift, 1);
    EXPECT_EQ(clock_scale_for(2000000000).mul_frac, 0x80000000u);
    EXPECT_EQ(clock_scale_for(2000000000).shift, 0);
    EXPECT_EQ(clock_scale_for(4000000000).shift, -1);
    EXPECT_EQ(clock_scale_for(4000000000).mul_frac, 0x80000000u);
    // 10 MHz: 100 ns per tick = 100 * 2^25 / 2^32 * 2^7 ... any exact power-of-two form with the top bit set.
    const ClockScale ten = clock_scale_for(10000000);
    EXPECT_EQ(scale_ticks(1, ten), 100u);
    EXPECT_EQ(scale_ticks(10000000, ten), 1000000000u);
}

TEST(ClockScale, MultiplierHasItsTopBitSet) {
    for (uint64_t hz : test_frequencies()) {
        const ClockScale s = clock_scale_for(hz);
        EXPECT_GE(s.mul_frac, 0x80000000u) << hz;
    }
    for (uint64_t hz : {uint64_t{1}, uint64_t{2}, uint64_t{3}, uint64_t{1000}, ~uint64_t{0}, ~uint64_t{0} / 3}) {
        const ClockScale s = clock_scale_for(hz);
        EXPECT_GE(s.mul_frac, 0x80000000u) << hz;
        EXPECT_GE(s.shift, -35) << hz;
        EXPECT_LE(s.shift, 31) << hz;
    }
    EXPECT_EQ(clock_scale_for(1).shift, 30);
}

TEST(ClockScale, WithinOnePpmFrom1MHzTo10GHz) {
    for (uint64_t hz : test_frequencies()) {
        const ClockScale s = clock_scale_for(hz);
        // One second, one hour and one day of ticks.
        for (uint64_t seconds : {uint64_t{1}, uint64_t{3600}, uint64_t{86400}}) {
            const uint64_t ticks = hz * seconds;
            const uint64_t ns = scale_ticks(ticks, s);
            ASSERT_EQ(ns, guest_ns(ticks, s)) << "must match the guest's arithmetic bit for bit";
            ASSERT_LT(relative_error(static_cast<double>(ns), 1e9 * static_cast<double>(seconds)), 1e-6)
                << hz << " Hz, " << seconds << " s";
        }
        // Any interval: the multiplier's rounding (under 2^-32 relative, as its top bit is set) plus at
        // most a nanosecond each for the pre-shift and the final truncation.
        for (uint64_t ticks : {uint64_t{1}, uint64_t{1000}, uint64_t{123456}, uint64_t{99999999}, hz / 3 + 7}) {
            const long double exact = static_cast<long double>(ticks) * 1e9L / static_cast<long double>(hz);
            ASSERT_LE(std::fabs(static_cast<long double>(scale_ticks(ticks, s)) - exact), 2.0L + exact / 4294967296.0L)
                << hz << " Hz, " << ticks << " ticks";
        }
    }
}

TEST(ClockScale, RoundTripWithinOnePpm) {
    for (uint64_t hz : test_frequencies()) {
        const ClockScale s = clock_scale_for(hz);
        const uint64_t back = ticks_per_second_of(s);
        ASSERT_LT(relative_error(static_cast<double>(back), static_cast<double>(hz)), 1e-6) << hz;
        // As Linux computes it (in whole kHz, from the same fields): the guest's idea of the rate.
        const u128 khz = (u128{1000000} << 32) / s.mul_frac;
        const uint64_t linux_khz = static_cast<uint64_t>(s.shift >= 0 ? khz >> s.shift : khz << -s.shift);
        ASSERT_LE(std::fabs(static_cast<double>(linux_khz) * 1000 - static_cast<double>(hz)),
                  1000.0 + static_cast<double>(hz) * 1e-6)
            << hz;
    }
}

TEST(ClockScale, InverseEdgeCases) {
    EXPECT_EQ(ticks_per_second_of({0, 0}), 0u);
    EXPECT_EQ(ticks_per_second_of({0x80000000, -40}), ~uint64_t{0});  // saturates
    EXPECT_EQ(ticks_per_second_of({0x80000000, 1}), 1000000000u);
    EXPECT_EQ(ticks_per_second_of({0x80000000, 127}), 0u);
    const ClockScale top = clock_scale_for(~uint64_t{0});
    EXPECT_LT(relative_error(static_cast<double>(ticks_per_second_of(top)), 18446744073709551615.0), 1e-6);
}

TEST(ClockScale, Monotonic) {
    std::mt19937_64 rng(8);
    for (uint64_t hz : {uint64_t{1000000}, uint64_t{2500000000}, uint64_t{3300000000}, uint64_t{10000000000}}) {
        const ClockScale s = clock_scale_for(hz);
        uint64_t previous = 0;
        for (uint64_t t = 0; t < 200000; ++t) {
            const uint64_t ns = scale_ticks(t, s);
            ASSERT_GE(ns, previous) << hz << " Hz at " << t;
            previous = ns;
        }
        // Random increasing samples up to ~50 years.
        uint64_t t = 0;
        previous = 0;
        for (int i = 0; i < 100000; ++i) {
            t += rng() % (hz * 10000 / 100000 + 1);
            const uint64_t ns = scale_ticks(t, s);
            ASSERT_GE(ns, previous) << hz << " Hz at " << t;
            previous = ns;
        }
    }
}

TEST(ClockScale, TenYearsAt5GHzDoesNotOverflow) {
    const uint64_t hz = 5000000000;
    const ClockScale s = clock_scale_for(hz);
    const uint64_t seconds = 10ull * 366 * 86400;
    const uint64_t ticks = hz * seconds;  // 1.58e18 < 2^64
    const uint64_t ns = scale_ticks(ticks, s);
    EXPECT_LT(relative_error(static_cast<double>(ns), 1e9 * static_cast<double>(seconds)), 1e-6);
    EXPECT_EQ(ns, guest_ns(ticks, s));
    // And at the largest tick count at all: the product never exceeds 64 bits when shift <= 0.
    EXPECT_LE(s.shift, 0);
    const uint64_t max_ns = scale_ticks(~uint64_t{0}, s);
    EXPECT_LT(relative_error(static_cast<double>(max_ns), 18446744073709551615.0 / 5.0), 1e-6);
}

TEST(ClockScaleDeathTest, ZeroHertz) { EXPECT_DEATH((void)clock_scale_for(0), "ticks_per_second != 0"); }

}  // namespace
}  // namespace hv
