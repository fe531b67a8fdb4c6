// pvtest's modes besides running the cases, chosen by the dom0 command line.
#pragma once

#include <cstdint>

#include "control.hpp"

namespace pvtest {

// pair = the two-domain test's dom0 side (B), pair_granter = its domU side (A).
// smp = the cases that need a second vCPU (smp.cpp), run with dom0_max_vcpus=2.
enum class Mode { tests, hostile, bench, pair, pair_granter, smp };

struct Options {
    Mode mode;
    uint64_t seed;
    uint64_t iterations;
    bool bench;                        // pair: run the benchmarks instead of the cases
    bool build_peer;                   // pair: build domain 1 ourselves (on Xen)
    guest::control::Backend control;  // which control interface the hypervisor speaks
};

// "hostile seed=N iterations=M" | "bench" | "smp" | "pair [build] [bench]" |
// "pair-a [control=xen|ours]" | anything else = tests. Defaults: seed 1, 20000
// iterations. B's control interface follows from `build` (Xen's domctl when it builds
// the peer itself, our control op otherwise); A's from control= (default xen).
Options parse_options(const char* cmdline);

// Random hypercalls with hostile arguments; prints `hostile-summary: N calls, guest
// alive` if the guest survives. Returns 0.
int hostile_main(uint64_t seed, uint64_t iterations);

// Microbenchmarks; prints `bench: <name> <ticks-per-op>` lines and `bench-summary: done`.
int bench_main();

// The cases that need vCPU 1 (smp.cpp); prints their result lines and `guest-summary`.
// Returns the number of failed cases.
int smp_main();

// The two-domain test (pair_protocol.hpp): B prints every case and `guest-summary`, or
// in bench mode `bench:` lines and `bench-summary`; A never returns (it powers off).
int pair_main(const Options& options);
[[noreturn]] void granter_main(const Options& options);

}  // namespace pvtest
