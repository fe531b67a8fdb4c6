// Runtime entry: called by _start on our own stack with .bss cleared.
#include "runtime.hpp"

#include "console.hpp"
#include "events.hpp"
#include "hypercall.hpp"
#include "traps.hpp"

extern "C" void (*const __init_array_start[])();
extern "C" void (*const __init_array_end[])();

namespace guest {

namespace {
constinit const xen::StartInfo* g_start_info = nullptr;
}

const xen::StartInfo* start_info() {
    return g_start_info;
}

void shutdown(xen::ShutdownReason reason) {
    xen::SchedShutdown request{xen::raw(reason)};
    (void)sched_op(xen::SchedOp::shutdown, &request);
    for (;;)
        (void)sched_op(xen::SchedOp::yield, nullptr);
}

}  // namespace guest

extern "C" [[noreturn]] void guest_runtime_start(const xen::StartInfo* start_info) {
    guest::g_start_info = start_info;
    for (auto* init = __init_array_start; init < __init_array_end; ++init)
        (*init)();
    if (const int64_t rc = guest::install_trap_table(); rc != 0)
        guest::guest_printf("guest-note: set_trap_table failed: %lld\n", static_cast<long long>(rc));
    if (const int64_t rc = guest::map_shared_info(); rc != 0)
        guest::guest_printf("guest-note: mapping shared_info failed: %lld\n", static_cast<long long>(rc));
    const int result = guest_main(start_info);
    guest::guest_printf("guest-exit: %d\n", result);
    guest::shutdown(xen::ShutdownReason::poweroff);
}
