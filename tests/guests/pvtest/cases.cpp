#include "cases.hpp"

namespace pvtest {
namespace {

// Operands of the trap-safe wrappers: catch_trap runs a captureless function.
constinit uint32_t g_msr = 0;
constinit uint64_t g_value = 0;
constinit uint32_t g_leaf = 0, g_subleaf = 0;
constinit Cpuid g_cpuid{};

}  // namespace

int64_t mmuext(xen::MmuextCmd cmd, uint64_t arg1, uint64_t arg2) {
    xen::MmuextOp op{};
    op.cmd = xen::raw(cmd);
    op.arg1.mfn = arg1;
    op.arg2.src_mfn = arg2;
    uint32_t done = 0;
    return guest::mmuext_op(&op, 1, &done);
}

bool forced_cpuid(uint32_t leaf, uint32_t subleaf, Cpuid* out) {
    g_leaf = leaf;
    g_subleaf = subleaf;
    const bool trapped = guest::catch_trap(
        [] {
            asm volatile("ud2; .ascii \"xen\"; cpuid"
                         : "=a"(g_cpuid.eax), "=b"(g_cpuid.ebx), "=c"(g_cpuid.ecx), "=d"(g_cpuid.edx)
                         : "a"(g_leaf), "c"(g_subleaf));
        },
        nullptr);
    *out = g_cpuid;
    return !trapped;
}

Cpuid native_cpuid(uint32_t leaf, uint32_t subleaf) {
    Cpuid r{};
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

bool try_rdmsr(uint32_t msr, uint64_t* value, guest::TrapRecord* trap) {
    g_msr = msr;
    g_value = 0;
    const bool trapped = guest::catch_trap(
        [] {
            uint32_t lo, hi;
            asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %2; 1: rdmsr"
                         : "=a"(lo), "=d"(hi), "=m"(g_site)
                         : "c"(g_msr)
                         : "r11", "memory");
            g_value = (static_cast<uint64_t>(hi) << 32) | lo;
        },
        trap);
    *value = g_value;
    return !trapped;
}

bool try_wrmsr(uint32_t msr, uint64_t value, guest::TrapRecord* trap) {
    g_msr = msr;
    g_value = value;
    return !guest::catch_trap(
        [] {
            asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; 1: wrmsr"
                         : "=m"(g_site)
                         : "c"(g_msr), "a"(static_cast<uint32_t>(g_value)), "d"(static_cast<uint32_t>(g_value >> 32))
                         : "r11", "memory");
        },
        trap);
}

bool try_read_cr(int cr, uint64_t* value, guest::TrapRecord* trap) {
    g_value = 0;
    bool trapped = true;
    switch (cr) {
        case 0:
            trapped = guest::catch_trap([] { asm volatile("mov %%cr0, %0" : "=r"(g_value)); }, trap);
            break;
        case 2:
            trapped = guest::catch_trap([] { asm volatile("mov %%cr2, %0" : "=r"(g_value)); }, trap);
            break;
        case 3:
            trapped = guest::catch_trap([] { asm volatile("mov %%cr3, %0" : "=r"(g_value)); }, trap);
            break;
        case 4:
            trapped = guest::catch_trap([] { asm volatile("mov %%cr4, %0" : "=r"(g_value)); }, trap);
            break;
        default:
            break;
    }
    *value = g_value;
    return !trapped;
}

}  // namespace pvtest
