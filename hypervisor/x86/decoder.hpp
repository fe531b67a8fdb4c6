// A small x86-64 (64-bit mode only) instruction decoder for the instructions a PV guest
// kernel, running at CPL 3, makes the hypervisor emulate: privileged instructions (#GP),
// the forced-emulation CPUID (#UD) and stores into read-only page-table pages (#PF).
// The hypervisor fetches up to 15 bytes at the guest rip and decodes them here; nothing the
// hardware reports about the instruction is trusted (QEMU even puts a wrong vector in the
// #GP error code of `int n`).
//
// Supported encodings (SDM Vol. 2; "r" = ModRM.reg+REX.R, "m" = memory ModRM+SIB+disp):
//
//   Kind            bytes                          operands / notes
//   In / Out        E4 ib, E5 ib / E6 ib, E7 ib    port = imm8; size 1, or 4 (2 with 66)
//                   EC, ED / EE, EF                port_in_dx; size as above; REX.W ignored
//   Ins / Outs      6C, 6D / 6E, 6F                memory ES:rDI / seg:rSI; rep = F3 or F2
//   Rdmsr Wrmsr     0F 32, 0F 30
//   Cpuid           0F A2
//   ForcedCpuid     0F 0B 78 65 6E 0F A2           exactly these 7 bytes, no prefixes
//   Ud2             0F 0B                          any other ud2
//   Rdtsc Rdtscp    0F 31, 0F 01 F9
//   Rdpmc           0F 33
//   Xgetbv Xsetbv   0F 01 D0, 0F 01 D1
//   MovFromCr       0F 20 /r                       control_register = r (0,2,3,4,8), gpr = rm
//   MovToCr         0F 22 /r                       same; ModRM.mod is ignored (SDM)
//   MovFromDr/ToDr  0F 21 /r, 0F 23 /r             control_register = DR 0-7 (REX.R => #UD)
//   Clts Invd Wbinvd 0F 06, 0F 08, 0F 09
//   Invlpg          0F 01 /7 m
//   Sgdt Sidt Lgdt Lidt  0F 01 /0 /1 /2 /3 m
//   Smsw Lmsw       0F 01 /4, 0F 01 /6             memory or register (gpr)
//   Sldt Str Lldt Ltr    0F 00 /0 /1 /2 /3         memory or register (gpr)
//   Monitor Mwait Clac Stac  0F 01 C8, C9, CA, CB
//   Swapgs          0F 01 F8
//   Sysret          0F 07                          operand_size 8 with REX.W, else 4
//   Iret            CF                             operand_size 8 (REX.W), 4, 2 (66)
//   Hlt Cli Sti     F4, FA, FB
//   Int Int3 Int1 Into   CD ib, CC, F1, CE         Into is #UD in 64-bit mode: report it so
//                                                  the caller raises #UD
//   Pushf Popf      9C, 9D                         operand_size 8 (2 with 66)
//
//   Memory writes (the page-table store emulation; register destinations are NotSupported):
//   Mov             88 /r, 89 /r, C6 /0 ib, C7 /0 iz    imm32 sign-extended to 64 with REX.W
//   Movnti          0F C3 /r                       size 4 or 8 (REX.W); 66/F2/F3 => #UD
//   Xchg            86 /r, 87 /r                   (xchg with memory is always locked)
//   Add Or And Sub Xor   00/01, 08/09, 20/21, 28/29, 30/31 (m, r);
//                   80 /n ib, 81 /n iz, 83 /n ib(sign-extended); n = 0,1,4,5,6
//   Cmpxchg         0F B0 /r, 0F B1 /r
//   Cmpxchg8b/16b   0F C7 /1 m                     16b with REX.W
//   Bts Btr Btc     0F AB, 0F B3, 0F BB (m, r); 0F BA /5 /6 /7 ib
//   Stos            AA, AB                         ES:rDI, size 1/2/4/8; rep = F3 or F2
//
// Prefixes: F0 (lock), F2/F3, 26/2E/36/3E/64/65 (segment; last wins), 66, 67, in any
// order and repeated, then at most one REX (40-4F) which counts only if it immediately
// precedes the opcode (a legacy prefix after a REX cancels it, as on hardware).
//
// decode() results:
//   Ok               a complete instruction of `length` <= min(15, bytes.size()) bytes;
//   Range            the bytes end before the instruction does (e.g. at a page boundary):
//                    fetch more and retry. For ud2 followed by a partial forced-CPUID
//                    signature the caller may also treat it as Ud2 if no more bytes exist;
//   InvalidArgument  the CPU would raise #UD or #GP for the encoding itself: longer than 15
//                    bytes, LOCK on an instruction that does not allow it, a register form
//                    where memory is required, CR1/CR5-7/CR9+, DR8+;
//   NotSupported     a valid instruction this decoder does not handle.
//
// Invariants of a decoded Instruction:
//   - 1 <= length <= 15 and length <= bytes.size();
//   - has_memory => memory.scale in {1,2,4,8}, memory.index != rsp, and rip_relative
//     excludes base and index; memory.segment is the segment actually used (string
//     destinations are always ES, whose base, like CS/DS/SS, is 0 in 64-bit mode);
//   - operand_size is the data width in bytes (0 when the instruction has none).
#pragma once

#include <cstdint>
#include <span>

#include "lib/status.hpp"
#include "x86/registers.hpp"

namespace hv::x86 {

inline constexpr unsigned kMaxInstructionLength = 15;

enum class Kind : uint8_t {
    // Port I/O
    In, Out, Ins, Outs,
    // Model-specific registers, identification, counters, extended control registers
    Rdmsr, Wrmsr, Cpuid, ForcedCpuid, Rdtsc, Rdtscp, Rdpmc, Xgetbv, Xsetbv,
    // Control and debug registers
    MovFromCr, MovToCr, MovFromDr, MovToDr, Clts, Smsw, Lmsw,
    // Caches and TLB
    Invd, Wbinvd, Invlpg,
    // Descriptor tables
    Sgdt, Sidt, Lgdt, Lidt, Sldt, Str, Lldt, Ltr,
    // Interrupt flag, halting, monitor, SMAP
    Cli, Sti, Hlt, Monitor, Mwait, Clac, Stac,
    // Software interrupts, returns, mode switches, flags
    Int, Int3, Int1, Into, Iret, Sysret, Swapgs, Pushf, Popf, Ud2,
    // Memory writes
    Mov, Movnti, Xchg, Add, Or, And, Sub, Xor, Cmpxchg, Cmpxchg8b, Cmpxchg16b, Bts, Btr, Btc, Stos,
};

const char* kind_name(Kind kind);

// True for the kinds whose memory operand is written (the page-table store emulation).
bool is_memory_write(Kind kind);

enum class Segment : uint8_t { None, Es, Cs, Ss, Ds, Fs, Gs };

enum class RepPrefix : uint8_t { None, Rep /* F3 */, Repne /* F2 */ };

struct MemoryOperand {
    Segment segment;      // the segment used: override, or the instruction's own (ES/DS)
    bool rip_relative;    // base = address of the next instruction
    bool has_base;
    bool has_index;
    Gpr base;
    Gpr index;
    uint8_t scale;        // 1, 2, 4, 8
    int32_t displacement;
};

struct Instruction {
    Kind kind;
    uint8_t length;
    uint8_t operand_size;       // bytes (16 for cmpxchg16b, 10 for the descriptor tables)
    uint8_t address_size;       // 8, or 4 with the 67 prefix
    Segment segment_override;   // the prefix as written, None without one
    RepPrefix rep;
    bool lock;
    bool has_memory;
    MemoryOperand memory;
    bool has_register;          // `gpr` names a register operand
    Gpr gpr;                    // reg source (memory writes), the GPR of mov CR/DR, rm register
    bool gpr_high_byte;         // gpr is AH/CH/DH/BH (byte operand, no REX)
    uint8_t control_register;   // CR / DR number
    bool has_immediate;
    uint64_t immediate;         // sign-extended to 64 bits for Mov/ALU; the vector for Int;
                                // the bit offset (imm8) for Bts/Btr/Btc
    bool port_in_dx;            // In/Out/Ins/Outs: port is DX
    uint16_t port;              // In/Out with imm8
};

// Decodes one 64-bit-mode instruction from the start of `bytes`.
[[nodiscard]] Result<Instruction> decode(std::span<const uint8_t> bytes);

// Linear address of the memory operand: segment base (FS/GS only) + the effective address
// truncated to address_size. RIP-relative operands are relative to rip + length. For
// Bts/Btr/Btc with a register bit offset, the address of the operand-size word holding the
// bit (the offset is signed and may point outside the ModRM operand). For Stos/Ins/Outs,
// the current element. InvalidArgument if the instruction has no memory operand.
[[nodiscard]] Result<uint64_t> effective_address(const Instruction& inst, const Registers& regs);

}  // namespace hv::x86
