// What the runtime offers a guest program besides the console, hypercalls and tests:
// the start_info it was booted with, a clean shutdown, and the program's entry point.
#pragma once

#include <cstdint>

#include "hypercall/public/sched.hpp"
#include "hypercall/public/start_info.hpp"

// Provided by each guest program; its return value is printed, then the domain powers
// off.
int guest_main(const xen::StartInfo* start_info);

namespace guest {

// The start_info page passed in RSI at entry.
const xen::StartInfo* start_info();

// SCHEDOP_shutdown; spins with SCHEDOP_yield should the hypervisor return.
[[noreturn]] void shutdown(xen::ShutdownReason reason);

// Counts kept by the test runner, shared with the trap handler's final report.
struct RunCounts {
    int passed;
    int failed;
    int total;
};
RunCounts run_counts();

// Prints the FAIL line for the case a trap interrupted (or for the runtime itself) and
// the summary; called by the trap handler before it crashes the domain.
void report_fatal(const char* reason);

}  // namespace guest
