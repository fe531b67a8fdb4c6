// Per-CPU preparation for running PV guests (syscall entry, FPU), and control-register bits.
#pragma once

#include <cstdint>

namespace hv {
struct PerCpu;
}

namespace hv::arch {

inline constexpr uint64_t kCr4Pae = 1ull << 5;
inline constexpr uint64_t kCr4Osfxsr = 1ull << 9;
inline constexpr uint64_t kCr4Osxmmexcpt = 1ull << 10;
inline constexpr uint64_t kCr4Fsgsbase = 1ull << 16;
inline constexpr uint64_t kCr4Osxsave = 1ull << 18;
inline constexpr uint64_t kCr0Ts = 1ull << 3;

void pv_cpu_init(PerCpu& cpu);

}  // namespace hv::arch
