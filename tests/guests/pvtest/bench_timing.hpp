// Timing for pvtest's benchmarks: rdtsc (deterministic under QEMU's -icount shift=0, where
// the TSC counts guest instructions) and the `bench: <name> <ticks-per-op>` line format that
// bench/run.sh reads.
#pragma once

#include <cstdint>

#include "console.hpp"

namespace pvtest {

inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (static_cast<uint64_t>(hi) << 32) | lo;
}

// Runs op(i) `warmup` times untimed, then `iterations` times timed; ticks per call.
template <typename Op>
uint64_t ticks_per_op(Op op, uint64_t warmup, uint64_t iterations) {
    for (uint64_t i = 0; i < warmup; ++i)
        op(i);
    const uint64_t start = rdtsc();
    for (uint64_t i = 0; i < iterations; ++i)
        op(i);
    return (rdtsc() - start) / iterations;
}

inline void report(const char* name, uint64_t ticks) {
    guest::guest_printf("bench: %s %llu\n", name, static_cast<unsigned long long>(ticks));
}

}  // namespace pvtest
