// Model-specific register numbers the hypervisor itself uses (Intel SDM vol. 4, AMD APM
// vol. 2 appendix A). Guest-visible MSR policy lives elsewhere.
#pragma once

#include <cstdint>

namespace hv::arch::msr {

inline constexpr uint32_t kApicBase = 0x1b;           // SDM 10.4.4
inline constexpr uint32_t kTscDeadline = 0x6e0;       // SDM 10.5.4.1
inline constexpr uint32_t kPat = 0x277;
inline constexpr uint32_t kSysenterCs = 0x174;
inline constexpr uint32_t kEfer = 0xc0000080;
inline constexpr uint32_t kStar = 0xc0000081;
inline constexpr uint32_t kLstar = 0xc0000082;
inline constexpr uint32_t kCstar = 0xc0000083;
inline constexpr uint32_t kSyscallMask = 0xc0000084;
inline constexpr uint32_t kFsBase = 0xc0000100;
inline constexpr uint32_t kGsBase = 0xc0000101;
inline constexpr uint32_t kKernelGsBase = 0xc0000102;

inline constexpr uint64_t kEferSce = 1u << 0;
inline constexpr uint64_t kEferLme = 1u << 8;
inline constexpr uint64_t kEferNxe = 1u << 11;

inline constexpr uint64_t kApicBaseBsp = 1u << 8;
inline constexpr uint64_t kApicBaseEnable = 1u << 11;

}  // namespace hv::arch::msr
