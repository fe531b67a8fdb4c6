// Trap table, the catcher, and the fatal-exception report. Every vector 0-31 (and 0x80)
// goes to a stub in trap_stubs.S, which calls guest_trap_dispatch. A trap arriving
// while a catcher is armed is recorded and resumed at guest_catch_landing; an upcall is
// handled and resumed where it interrupted; anything else becomes the current case's
// FAIL line, then the domain crashes, so a faulting case cannot hang the run.
//
// Invariant: g_catch_armed is true only between guest_catch_call's call of fn and the
// first trap or fn's return.
#include "traps.hpp"

#include "console.hpp"
#include "events.hpp"
#include "hypercall.hpp"
#include "lib/format.hpp"
#include "runtime.hpp"

#include "hypercall/public/x86_64.hpp"

extern "C" {
extern const uint64_t guest_trap_stubs[32];
extern const uint64_t guest_trap_stubs_soft[2];
extern uint64_t guest_catch_rsp;
void guest_catch_landing();
bool guest_catch_call(void (*fn)(void*), void* ctx);
}

namespace guest {
namespace {

constinit bool g_in_fatal = false;
constinit bool g_catch_armed = false;
constinit TrapRecord* g_catch_out = nullptr;
constinit TrapPolicy g_policy = nullptr;
constinit uint64_t g_failsafe_count = 0;
constinit TrapRecord g_last_upcall{};
constinit uint8_t g_last_upcall_mask = 0;

// Kernel-mode CS as a bounce frame shows it: RPL 0 means "return to guest kernel".
constexpr uint64_t kernel_cs_rpl0 = xen::flat_kernel_cs & ~3u;

const char* vector_name(uint64_t vector) {
    static constexpr const char* names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                            "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
                                            "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};
    if (vector < sizeof(names) / sizeof(names[0]))
        return names[vector];
    if (vector == vector_int80 || vector == vector_int81)
        return "int-n";
    if (vector == vector_syscall)
        return "syscall-callback";
    return "reserved";
}

void record(const TrapFrame* frame, TrapRecord* out) {
    const xen::VcpuInfo* info = vcpu_info();
    *out = {static_cast<uint32_t>(frame->vector),
            frame->error_code,
            frame->rip,
            frame->cs,
            frame->rflags,
            frame->rsp,
            frame->ss,
            frame->rcx,
            frame->r11,
            frame->rax,
            info != nullptr ? info->arch.cr2 : ~0ull};
}

// Resume at guest_catch_landing in guest kernel mode, on the stack guest_catch_call
// saved, with events masked as they are while cases run.
void resume_at_landing(TrapFrame* frame) {
    frame->rip = reinterpret_cast<uint64_t>(&guest_catch_landing);
    frame->cs = kernel_cs_rpl0;
    frame->ss = xen::flat_kernel_ss;
    frame->rsp = guest_catch_rsp;
    frame->rflags = 0x2;  // IF clear: iret leaves evtchn_upcall_mask set
    frame->rax = 1;
}

[[noreturn]] void fatal(const TrapFrame* frame) {
    if (g_in_fatal)
        shutdown(xen::ShutdownReason::crash);
    g_in_fatal = true;
    char reason[200];
    hv::format(reason, sizeof(reason), "trap vector=%llu (%s) error=%#llx rip=%#llx cs=%#llx rsp=%#llx",
               static_cast<unsigned long long>(frame->vector), vector_name(frame->vector),
               static_cast<unsigned long long>(frame->error_code), static_cast<unsigned long long>(frame->rip),
               static_cast<unsigned long long>(frame->cs), static_cast<unsigned long long>(frame->rsp));
    report_fatal(reason);
    shutdown(xen::ShutdownReason::crash);
}

}  // namespace

int64_t install_trap_table() {
    static xen::TrapInfo table[33];
    for (uint32_t vector = 0; vector < 32; ++vector) {
        // #BP and #OF may be raised with int3/into from any ring, like on bare metal.
        const uint8_t dpl = (vector == 3 || vector == 4) ? 3 : 0;
        table[vector] = {static_cast<uint8_t>(vector), dpl, xen::flat_kernel_cs, 0, guest_trap_stubs[vector]};
    }
    table[32] = {};
    return set_trap_table(table);
}

uint64_t trap_stub_address(uint32_t vector) {
    return vector < 32 ? guest_trap_stubs[vector] : 0;
}

int64_t install_soft_int(uint32_t vector, uint8_t dpl) {
    static xen::TrapInfo table[2];
    if (vector != vector_int80 && vector != vector_int81)
        return -1;
    table[0] = {static_cast<uint8_t>(vector), static_cast<uint8_t>(dpl & 3), xen::flat_kernel_cs, 0,
                guest_trap_stubs_soft[vector - vector_int80]};
    table[1] = {};
    return set_trap_table(table);
}

bool catch_trap(void (*fn)(void*), void* ctx, TrapRecord* out) {
    static TrapRecord scratch;
    g_catch_out = out != nullptr ? out : &scratch;
    *g_catch_out = {};
    g_catch_armed = true;
    const bool trapped = guest_catch_call(fn, ctx);
    g_catch_armed = false;
    return trapped;
}

void set_trap_policy(TrapPolicy policy) {
    g_policy = policy;
}

uint64_t failsafe_count() {
    return g_failsafe_count;
}

const TrapRecord& last_upcall() {
    return g_last_upcall;
}

uint8_t last_upcall_mask() {
    return g_last_upcall_mask;
}

}  // namespace guest

extern "C" void guest_trap_dispatch(guest::TrapFrame* frame) {
    using namespace guest;
    if (frame->vector == vector_event) {
        record(frame, &g_last_upcall);
        g_last_upcall_mask = vcpu_info() != nullptr ? vcpu_info()->evtchn_upcall_mask : 0xff;
        handle_event_upcall();
        return;
    }
    if (frame->vector == vector_failsafe) {
        ++g_failsafe_count;
        asm volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs" : : "r"(0u));
        if (!g_catch_armed)
            return;
    }
    if (g_catch_armed) {
        g_catch_armed = false;
        record(frame, g_catch_out);
        resume_at_landing(frame);
        return;
    }
    if (g_policy != nullptr && g_policy(frame))
        return;
    fatal(frame);
}
