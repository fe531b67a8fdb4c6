// Trap table and the fatal-exception handler. Every vector 0-31 goes to a stub in
// trap_stubs.S; the handler reports the fault as the current case's FAIL line, prints
// the summary and crashes the domain, so a faulting case cannot hang the run.
#include <cstdint>

#include "console.hpp"
#include "hypercall.hpp"
#include "lib/format.hpp"
#include "runtime.hpp"

extern "C" const uint64_t guest_trap_stubs[32];

namespace guest {
namespace {

constinit bool g_in_trap = false;

const char* vector_name(uint32_t vector) {
    static constexpr const char* names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                            "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
                                            "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};
    return vector < sizeof(names) / sizeof(names[0]) ? names[vector] : "reserved";
}

}  // namespace

void install_trap_table() {
    static xen::TrapInfo table[33];
    for (uint32_t vector = 0; vector < 32; ++vector) {
        // #BP and #OF may be raised with int3/into from any ring, like on bare metal.
        const uint8_t dpl = (vector == 3 || vector == 4) ? 3 : 0;
        table[vector] = {static_cast<uint8_t>(vector), dpl, xen::flat_kernel_cs, 0, guest_trap_stubs[vector]};
    }
    table[32] = {};
    const int64_t rc = set_trap_table(table);
    if (rc != 0)
        guest_printf("guest: set_trap_table failed: %lld\n", static_cast<long long>(rc));
}

}  // namespace guest

// The bounce frame Xen built; rip follows the error code when there is one.
extern "C" [[noreturn]] void guest_trap_entry(const uint64_t* frame, uint32_t vector, uint32_t has_error_code) {
    if (guest::g_in_trap)
        guest::shutdown(xen::ShutdownReason::crash);
    guest::g_in_trap = true;

    const uint64_t error_code = has_error_code ? frame[2] : 0;
    const uint64_t* hardware = frame + (has_error_code ? 3 : 2);  // rip, cs, rflags, rsp, ss
    char reason[160];
    hv::format(reason, sizeof(reason), "trap vector=%u (%s) error=%#llx rip=%#llx rsp=%#llx", vector,
               guest::vector_name(vector), static_cast<unsigned long long>(error_code),
               static_cast<unsigned long long>(hardware[0]), static_cast<unsigned long long>(hardware[3]));
    guest::report_fatal(reason);
    guest::shutdown(xen::ShutdownReason::crash);
}
