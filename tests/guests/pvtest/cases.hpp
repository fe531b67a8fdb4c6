// Helpers shared by pvtest's case files: instruction sites for trap checks, mmuext_op
// one-liners, and trap-safe wrappers around instructions the hypervisor emulates (a
// missing emulation then fails one case instead of crashing the run).
#pragma once

#include <cstdint>

#include "guest.hpp"

namespace pvtest {

// Address of the instruction a case expects to trap (or to resume after); written by
// the asm in the case itself with `lea 1f(%rip)` so the compiler cannot move it.
inline constinit uint64_t g_site = 0;
inline constinit uint64_t g_site_after = 0;

// One mmuext_op with a frame argument (pin/unpin/baseptr) or a linear address.
int64_t mmuext(xen::MmuextCmd cmd, uint64_t arg1, uint64_t arg2 = 0);

struct Cpuid {
    uint32_t eax, ebx, ecx, edx;
};
// CPUID through Xen's forced-emulation prefix (ud2; "xen"; cpuid), spec §6.1.
bool forced_cpuid(uint32_t leaf, uint32_t subleaf, Cpuid* out);
Cpuid native_cpuid(uint32_t leaf, uint32_t subleaf);

// rdmsr/wrmsr/mov-from-CR executed in guest kernel mode; false if they trapped
// (the trap is then in *trap when given).
bool try_rdmsr(uint32_t msr, uint64_t* value, guest::TrapRecord* trap = nullptr);
bool try_wrmsr(uint32_t msr, uint64_t value, guest::TrapRecord* trap = nullptr);
bool try_read_cr(int cr, uint64_t* value, guest::TrapRecord* trap = nullptr);

inline constexpr uint32_t msr_fs_base = 0xC0000100;
inline constexpr uint32_t msr_gs_base = 0xC0000101;
inline constexpr uint32_t msr_kernel_gs_base = 0xC0000102;
inline constexpr uint32_t msr_pat = 0x277;

inline constexpr uint64_t cr0_pe = 1ull << 0;
inline constexpr uint64_t cr0_ts = 1ull << 3;
inline constexpr uint64_t cr0_pg = 1ull << 31;

}  // namespace pvtest
