// pvtest's modes besides running the cases, chosen by the dom0 command line.
#pragma once

#include <cstdint>

namespace pvtest {

enum class Mode { tests, hostile, bench };

struct Options {
    Mode mode;
    uint64_t seed;
    uint64_t iterations;
};

// "hostile seed=N iterations=M" | "bench" | anything else = tests. Defaults: seed 1,
// 20000 iterations.
Options parse_options(const char* cmdline);

// Random hypercalls with hostile arguments; prints `hostile-summary: N calls, guest
// alive` if the guest survives. Returns 0.
int hostile_main(uint64_t seed, uint64_t iterations);

// Microbenchmarks; prints `bench: <name> <ticks-per-op>` lines and `bench-summary: done`.
int bench_main();

}  // namespace pvtest
