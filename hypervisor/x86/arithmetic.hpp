// Results and RFLAGS status flags of the read-modify-write operations the page-table store
// emulation performs, computed exactly as the CPU does (SDM Vol. 1, 3.4.3.1 and the
// per-instruction "Flags Affected" sections of Vol. 2).
//
// Invariants:
//   - operands and results are confined to the low `size` bytes (size 1, 2, 4 or 8);
//     higher input bits are ignored and output bits above `size` are zero;
//   - AluResult::flags holds only kStatusFlags bits; the caller merges them into RFLAGS.
//     For Or/And/Xor, AF is architecturally undefined and reported as 0 (what Intel
//     hardware does); CF and OF are 0.
#pragma once

#include <cstdint>

#include "x86/registers.hpp"

namespace hv::x86 {

enum class AluOperation : uint8_t { Add, Or, And, Sub, Xor };

struct AluResult {
    uint64_t value;
    uint64_t flags;
};

AluResult alu(AluOperation op, unsigned size, uint64_t destination, uint64_t source);

// Replaces the `mask` bits of rflags with those of `flags`.
constexpr uint64_t merge_flags(uint64_t rflags, uint64_t flags, uint64_t mask) {
    return (rflags & ~mask) | (flags & mask);
}

}  // namespace hv::x86
