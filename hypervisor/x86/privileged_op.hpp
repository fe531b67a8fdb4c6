// Operand plumbing for the privileged instructions a PV guest kernel makes the hypervisor
// emulate (spec §6.1-6.5, §14 item 17): what the instruction asks for (port, MSR index,
// CPUID leaf, control-register value) and how its result lands in the registers. The
// policy (which MSR, which port, what CPUID says) is the caller's; this file only knows
// the architectural register conventions (SDM Vol. 2), so handlers never hand-code
// "EDX:EAX zero-extended" or "IN AX merges into RAX".
//
// Pattern for the caller: decode -> query (port_io, string_io, msr_write, cpuid_leaf, ...)
// -> policy -> complete_* (writes the result registers and retires) or retire.
// Invariants:
//   - retire() is the only way rip moves: rip += length and RF is cleared. If TF was set
//     before the instruction, the caller owes the guest a single-step #DB afterwards;
//   - every complete_* retires, except complete_string_io with elements left over;
//   - a query on the wrong Kind returns InvalidArgument and changes nothing.
#pragma once

#include <cstdint>

#include "lib/status.hpp"
#include "x86/decoder.hpp"
#include "x86/registers.hpp"

namespace hv::x86 {

void retire(const Instruction& inst, Registers& regs);

// In / Out.
struct PortIo {
    uint16_t port;
    uint8_t size;     // 1, 2 or 4
    bool write;       // Out
    uint32_t value;   // Out: the low `size` bytes of RAX
};
[[nodiscard]] Result<PortIo> port_io(const Instruction& inst, const Registers& regs);

// In: AL/AX are merged, EAX zero-extends into RAX; then retire. Out needs only retire().
[[nodiscard]] Status complete_in(const Instruction& inst, Registers& regs, uint32_t value);

// Ins / Outs: element i (0 <= i < count) is at string_io_element_address(io, i).
struct StringIo {
    uint16_t port;
    uint8_t size;           // 1, 2 or 4
    bool write;             // Outs: memory -> port
    bool descending;        // RFLAGS.DF
    uint8_t address_size;   // 8, or 4: the offset wraps at 4 GiB
    uint64_t segment_base;  // FS/GS base for an Outs override, else 0
    uint64_t offset;        // rSI (Outs) or rDI (Ins) of element 0
    uint64_t count;         // rCX with a rep prefix (may be 0), else 1
};
[[nodiscard]] Result<StringIo> string_io(const Instruction& inst, const Registers& regs);
uint64_t string_io_element_address(const StringIo& io, uint64_t element);

// After `done` (<= count) elements: advances rSI/rDI, lowers rCX (rep). Retires once the
// whole count is done; otherwise rip stays, so the guest re-executes the remainder (the
// caller may stop early to bound the work per trap).
[[nodiscard]] Status complete_string_io(const Instruction& inst, Registers& regs, uint64_t done);

// Rdmsr / Rdpmc / Xgetbv take ECX as the index; Wrmsr / Xsetbv also take EDX:EAX.
struct IndexedValue {
    uint32_t index;
    uint64_t value;
};
uint32_t ecx_index(const Registers& regs);
IndexedValue indexed_write(const Registers& regs);

// Rdmsr, Rdtsc, Rdpmc, Xgetbv: EAX and EDX get the two halves (zero-extended); retire.
[[nodiscard]] Status complete_edx_eax(const Instruction& inst, Registers& regs, uint64_t value);
// Rdtscp: as above and ECX = aux (IA32_TSC_AUX).
[[nodiscard]] Status complete_rdtscp(const Instruction& inst, Registers& regs, uint64_t tsc,
                                     uint32_t aux);

// Cpuid / ForcedCpuid.
struct CpuidLeaf {
    uint32_t leaf;      // EAX
    uint32_t subleaf;   // ECX
};
struct CpuidValues {
    uint32_t eax, ebx, ecx, edx;
};
CpuidLeaf cpuid_leaf(const Registers& regs);
[[nodiscard]] Status complete_cpuid(const Instruction& inst, Registers& regs,
                                    const CpuidValues& values);

// MovToCr / MovToDr: the whole 64-bit source register (operand size is fixed at 64).
[[nodiscard]] Result<uint64_t> move_to_special_value(const Instruction& inst,
                                                     const Registers& regs);
// MovFromCr / MovFromDr: the destination register gets all 64 bits; retire.
[[nodiscard]] Status complete_move_from_special(const Instruction& inst, Registers& regs,
                                                uint64_t value);

// Int n / Int3 / Int1 / Into: the vector to deliver. These are traps: the handler sees rip
// after the instruction, so retire() before bouncing. (Into is #UD in 64-bit mode.)
[[nodiscard]] Result<uint8_t> software_interrupt_vector(const Instruction& inst);

// Error code of the #GP the CPU raises for `int n` through a gate whose DPL < CPL (IDT bit
// set, SDM Vol. 3, 6.13) — what the guest must see if it did not allow the vector.
constexpr uint32_t software_interrupt_error_code(uint8_t vector) {
    return (uint32_t{vector} << 3) | 2;
}

}  // namespace hv::x86
