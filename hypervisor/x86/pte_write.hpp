// Emulation of a guest store that faulted (#PF, write) on a read-only page-table page: the
// Xen "writable page tables" assist that Linux PV relies on (spec §0 item 3, §14 item 2).
// Pure logic: the caller decodes the instruction (decode), finds the address
// (effective_address), reads the current 8-byte entry and asks here what the instruction
// would do to it. Nothing is applied; the caller validates the new entry and commits.
//
// Supported: every memory-write Kind of decoder.hpp except Cmpxchg16b (two entries), with
// an access of 1, 2, 4 or 8 bytes that is naturally aligned, hence inside one 8-byte entry.
// Narrower stores are merged into the old entry. Byte stores matter: Linux clears a PTE bit
// with `lock andb $imm, byte` (clear_bit with a constant bit number, e.g.
// ptep_set_wrprotect on fork), so this accepts the same sizes Xen's ptwr emulation does
// rather than only 4 and 8. Everything else is Status::NotSupported and the caller reflects
// the #PF to the guest, as Xen does.
//
// Semantics (SDM Vol. 2):
//   Mov, Movnti      store the source (register, or immediate sign-extended to the size)
//   Xchg             store the register; the register receives the old value
//   Add Or And Sub Xor  store the result; CF PF AF ZF SF OF as the CPU sets them
//   Cmpxchg          flags of `cmp accumulator, old`; equal: store the register; otherwise
//                    no store and the accumulator (AL/AX/EAX zero-extended/RAX) gets old
//   Cmpxchg8b        EDX:EAX == old: store ECX:EBX, ZF=1; otherwise no store, ZF=0 and
//                    EDX, EAX get the two halves of old (zero-extended); other flags kept
//   Bts Btr Btc      CF = the old bit; the bit is set / cleared / flipped; OF SF AF PF
//                    (undefined) and ZF are kept
//   Stos             store AL/AX/EAX/RAX; rDI moves by the size (down when DF=1). With rep:
//                    rCX = 0 does nothing; otherwise exactly one element is done and rCX
//                    decremented, and rip stays on the instruction while rCX is not yet 0,
//                    so the guest resumes the rest natively (rep string instructions are
//                    restartable). rCX/rDI are ECX/EDI with the 67 prefix.
//
// Commit protocol for the caller: old_value must be the entry as read; write new_value
// with a compare-and-exchange against old_value (this also makes locked and unlocked
// read-modify-writes atomic against other vCPUs) and, if it lost the race, redo the
// emulation with the fresh value. Only after the write (or when writes_memory is false)
// install `registers`. If the new entry fails validation, apply nothing.
#pragma once

#include <cstdint>

#include "lib/status.hpp"
#include "x86/decoder.hpp"
#include "x86/registers.hpp"

namespace hv::x86 {

struct PteWriteEffect {
    uint64_t pte_address;    // target_address rounded down to 8
    uint64_t new_value;      // the whole entry afterwards; == old_value when !writes_memory
    bool writes_memory;      // false: cmpxchg compare failed, or rep stos with rCX = 0
    uint8_t access_offset;   // byte offset of the access inside the entry
    uint8_t access_size;     // 1, 2, 4 or 8
    Registers registers;     // the register file after the instruction (rip, rflags, GPRs)
};

// target_address is the faulting linear address (CR2); it must equal the decoded operand's
// effective_address, which catches code that changed between the fault and the fetch.
// old_value is the 8-byte entry at target_address & ~7.
[[nodiscard]] Result<PteWriteEffect> emulate_pte_write(const Instruction& inst,
                                                       const Registers& regs,
                                                       uint64_t target_address,
                                                       uint64_t old_value);

}  // namespace hv::x86
