#include "kernel/panic.hpp"

#include <atomic>
#include <cstdarg>

#include "arch/x86_64/cpu.hpp"
#include "kernel/extable.hpp"
#include "kernel/log.hpp"
#include "kernel/percpu.hpp"
#include "kernel/symbols.hpp"
#include "lib/format.hpp"
#include "seam/panic.hpp"

namespace hv {
namespace {

std::atomic<bool> panicking{false};
void (*stop_other_cpus)() = nullptr;

void raw(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void raw(const char* fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    size_t n = vformat(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_raw(buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
}

// Only one CPU reports; a second panic (or one on another CPU) just stops.
void begin_panic() {
    arch::irq_disable();
    if (panicking.exchange(true)) {
        halt_forever();
    }
    log_enter_panic_mode();
    if (stop_other_cpus != nullptr)
        stop_other_cpus();
}

void print_message(const char* fmt, va_list ap) {
    char msg[320];
    vformat(msg, sizeof(msg), fmt, ap);
    raw("\n(HV) ****************************************\n");
    raw("(HV) Panic on CPU %u:\n(HV) %s\n", cpu_info()->cpu ? cpu_info()->cpu->id : 0u, msg);
    raw("(HV) ****************************************\n");
}

}  // namespace

void set_stop_other_cpus(void (*fn)()) { stop_other_cpus = fn; }

void halt_forever() {
    arch::irq_disable();
    for (;;)
        arch::halt();
}

void print_backtrace(uint64_t rip, uint64_t rbp) {
    raw("(HV) Backtrace:\n");
    auto print_frame = [](uint64_t address) {
        const Symbol s = symbolize(address);
        if (s.name != nullptr)
            raw("(HV)    [<%016llx>] %s+0x%llx\n", static_cast<unsigned long long>(address), s.name,
                static_cast<unsigned long long>(s.offset));
        else
            raw("(HV)    [<%016llx>] ?\n", static_cast<unsigned long long>(address));
    };
    print_frame(rip);
    // Walk the frame-pointer chain (-fno-omit-frame-pointer), every read fault-safe and
    // confined to this CPU's stack block.
    const uint64_t block = reinterpret_cast<uint64_t>(cpu_info()) & ~uint64_t{HV_STACK_SIZE - 1};
    for (int depth = 0; depth < 24; ++depth) {
        if (rbp < block || rbp + 16 > block + HV_STACK_SIZE || (rbp & 7) != 0)
            break;
        uint64_t next = 0, ret = 0;
        if (!hv_probe_read_u64(rbp, &next) || !hv_probe_read_u64(rbp + 8, &ret) || ret == 0)
            break;
        print_frame(ret);
        if (next <= rbp)
            break;
        rbp = next;
    }
}

void dump_registers(const arch::CpuRegs& r) {
    using ull = unsigned long long;
    raw("(HV) RIP: %04x:[<%016llx>]", r.cs, static_cast<ull>(r.rip));
    const Symbol s = symbolize(r.rip);
    if (s.name != nullptr)
        raw(" %s+0x%llx", s.name, static_cast<ull>(s.offset));
    raw("\n(HV) RFLAGS: %016llx   vector: %u   error code: %#x\n", static_cast<ull>(r.rflags), r.entry_vector,
        r.error_code);
    raw("(HV) rax: %016llx   rbx: %016llx   rcx: %016llx\n", static_cast<ull>(r.rax), static_cast<ull>(r.rbx),
        static_cast<ull>(r.rcx));
    raw("(HV) rdx: %016llx   rsi: %016llx   rdi: %016llx\n", static_cast<ull>(r.rdx), static_cast<ull>(r.rsi),
        static_cast<ull>(r.rdi));
    raw("(HV) rbp: %016llx   rsp: %016llx   r8:  %016llx\n", static_cast<ull>(r.rbp), static_cast<ull>(r.rsp),
        static_cast<ull>(r.r8));
    raw("(HV) r9:  %016llx   r10: %016llx   r11: %016llx\n", static_cast<ull>(r.r9), static_cast<ull>(r.r10),
        static_cast<ull>(r.r11));
    raw("(HV) r12: %016llx   r13: %016llx   r14: %016llx\n", static_cast<ull>(r.r12), static_cast<ull>(r.r13),
        static_cast<ull>(r.r14));
    raw("(HV) r15: %016llx   ss: %04x\n", static_cast<ull>(r.r15), r.ss);
    raw("(HV) cr0: %016llx   cr2: %016llx\n", static_cast<ull>(arch::read_cr0()), static_cast<ull>(arch::read_cr2()));
    raw("(HV) cr3: %016llx   cr4: %016llx\n", static_cast<ull>(arch::read_cr3()), static_cast<ull>(arch::read_cr4()));
    print_backtrace(r.rip, r.rbp);
}

void panic_with_frame(const arch::CpuRegs& regs, const char* fmt, ...) {
    begin_panic();
    va_list ap;
    va_start(ap, fmt);
    print_message(fmt, ap);
    va_end(ap);
    dump_registers(regs);
    raw("(HV) System halted.\n");
    halt_forever();
}

void panic(const char* fmt, ...) {
    begin_panic();
    va_list ap;
    va_start(ap, fmt);
    print_message(fmt, ap);
    va_end(ap);
    // No trap frame: describe where panic() was called from.
    arch::CpuRegs here{};
    here.rip = reinterpret_cast<uint64_t>(__builtin_return_address(0));
    here.rbp = *static_cast<uint64_t*>(__builtin_frame_address(0));  // the caller's frame
    here.rsp = arch::read_rsp();
    asm volatile("mov %%cs, %0" : "=r"(here.cs));
    asm volatile("mov %%ss, %0" : "=r"(here.ss));
    here.rflags = arch::read_rflags();
    dump_registers(here);
    raw("(HV) System halted.\n");
    halt_forever();
}

}  // namespace hv
