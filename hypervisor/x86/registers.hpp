// The guest register file the x86 emulation code works on, and the x86-64 rules for reading
// and writing part of a general-purpose register.
//
// Invariants:
//   - gpr[] is indexed by the hardware register number (Gpr): rax=0 ... rdi=7, r8..r15=8..15,
//     which is what ModRM/SIB/REX encode, so a decoded number indexes it directly;
//   - rip is the address of the instruction being emulated (not of the next one);
//   - fs_base and gs_base are the bases currently in effect for the vCPU's mode (for a PV
//     guest kernel: the kernel GS base), because FS/GS overrides add them to addresses;
//   - partial writes follow the SDM (Vol. 1, 3.4.1.1): 32-bit writes zero-extend to 64 bits,
//     8- and 16-bit writes leave the other bits alone; AH/CH/DH/BH are bits 15:8 of
//     rax/rcx/rdx/rbx and exist only in encodings without a REX prefix.
#pragma once

#include <cstdint>

namespace hv::x86 {

enum class Gpr : uint8_t {
    Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi,
    R8, R9, R10, R11, R12, R13, R14, R15,
};

inline constexpr unsigned kGprCount = 16;

struct Registers {
    uint64_t gpr[kGprCount];
    uint64_t rip;
    uint64_t rflags;
    uint64_t fs_base;
    uint64_t gs_base;

    uint64_t& operator[](Gpr r) { return gpr[static_cast<unsigned>(r) & 15]; }
    const uint64_t& operator[](Gpr r) const { return gpr[static_cast<unsigned>(r) & 15]; }
};

// RFLAGS bits (SDM Vol. 1, 3.4.3).
inline constexpr uint64_t kCarryFlag = 1ull << 0;
inline constexpr uint64_t kParityFlag = 1ull << 2;
inline constexpr uint64_t kAdjustFlag = 1ull << 4;
inline constexpr uint64_t kZeroFlag = 1ull << 6;
inline constexpr uint64_t kSignFlag = 1ull << 7;
inline constexpr uint64_t kTrapFlag = 1ull << 8;
inline constexpr uint64_t kInterruptFlag = 1ull << 9;
inline constexpr uint64_t kDirectionFlag = 1ull << 10;
inline constexpr uint64_t kOverflowFlag = 1ull << 11;
inline constexpr uint64_t kResumeFlag = 1ull << 16;
inline constexpr uint64_t kStatusFlags =
    kCarryFlag | kParityFlag | kAdjustFlag | kZeroFlag | kSignFlag | kOverflowFlag;

// All-ones in the low `size` bytes; size is 1, 2, 4 or 8.
constexpr uint64_t size_mask(unsigned size) {
    return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (size * 8)) - 1;
}

// The low `size` bytes of a register (or bits 15:8 when high_byte, size 1, r = rax..rbx).
uint64_t read_gpr(const Registers& regs, Gpr r, unsigned size, bool high_byte = false);

// Writes `value` as a `size`-byte register operand with the partial-write rules above.
void write_gpr(Registers& regs, Gpr r, unsigned size, uint64_t value, bool high_byte = false);

}  // namespace hv::x86
