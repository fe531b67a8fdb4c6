#include "x86/pte_write.hpp"

#include "x86/arithmetic.hpp"

namespace hv::x86 {
namespace {

// What one instruction does to the accessed `size`-byte operand and the registers.
struct Outcome {
    uint64_t value;      // new operand value (low `size` bytes)
    bool store = true;
    bool retire = true;  // false: a rep instruction that is not finished yet
};

AluOperation alu_operation(Kind kind) {
    switch (kind) {
    case Kind::Or: return AluOperation::Or;
    case Kind::And: return AluOperation::And;
    case Kind::Sub: return AluOperation::Sub;
    case Kind::Xor: return AluOperation::Xor;
    default: return AluOperation::Add;
    }
}

Outcome bit_string(const Instruction& inst, const Registers& in, Registers& out, unsigned size,
                   uint64_t old) {
    const uint64_t offset =
        inst.has_immediate ? inst.immediate : read_gpr(in, inst.gpr, size);
    const unsigned bit = static_cast<unsigned>(offset & (size * 8 - 1));  // two's complement
    const uint64_t mask = uint64_t{1} << bit;
    out.rflags = merge_flags(out.rflags, (old & mask) ? kCarryFlag : 0, kCarryFlag);
    if (inst.kind == Kind::Bts)
        return Outcome{old | mask};
    if (inst.kind == Kind::Btr)
        return Outcome{old & ~mask};
    return Outcome{old ^ mask};
}

Outcome compare_exchange_8(Registers& out, uint64_t old) {
    const uint64_t expected = (read_gpr(out, Gpr::Rdx, 4) << 32) | read_gpr(out, Gpr::Rax, 4);
    if (expected == old) {
        out.rflags |= kZeroFlag;
        return Outcome{(read_gpr(out, Gpr::Rcx, 4) << 32) | read_gpr(out, Gpr::Rbx, 4)};
    }
    out.rflags &= ~kZeroFlag;
    write_gpr(out, Gpr::Rax, 4, old);
    write_gpr(out, Gpr::Rdx, 4, old >> 32);
    return Outcome{old, false};
}

Outcome store_string(const Instruction& inst, Registers& out, unsigned size, uint64_t old) {
    const unsigned address_size = inst.address_size;
    uint64_t remaining = 0;  // elements left after this one
    if (inst.rep != RepPrefix::None) {
        const uint64_t count = read_gpr(out, Gpr::Rcx, address_size);
        if (count == 0)
            return Outcome{old, false};
        remaining = count - 1;
        write_gpr(out, Gpr::Rcx, address_size, remaining);
    }
    const uint64_t step = (out.rflags & kDirectionFlag) ? 0 - uint64_t{size} : uint64_t{size};
    write_gpr(out, Gpr::Rdi, address_size, read_gpr(out, Gpr::Rdi, address_size) + step);
    return Outcome{read_gpr(out, Gpr::Rax, size), true, remaining == 0};
}

Outcome execute(const Instruction& inst, const Registers& in, Registers& out, unsigned size,
                uint64_t old) {
    const auto source = [&] {
        return inst.has_immediate ? inst.immediate
                                  : read_gpr(in, inst.gpr, size, inst.gpr_high_byte);
    };
    switch (inst.kind) {
    case Kind::Mov:
    case Kind::Movnti:
        return Outcome{source()};
    case Kind::Xchg:
        write_gpr(out, inst.gpr, size, old, inst.gpr_high_byte);
        return Outcome{source()};
    case Kind::Add: case Kind::Or: case Kind::And: case Kind::Sub: case Kind::Xor: {
        const AluResult r = alu(alu_operation(inst.kind), size, old, source());
        out.rflags = merge_flags(out.rflags, r.flags, kStatusFlags);
        return Outcome{r.value};
    }
    case Kind::Cmpxchg: {
        const uint64_t accumulator = read_gpr(in, Gpr::Rax, size);
        const AluResult r = alu(AluOperation::Sub, size, accumulator, old);
        out.rflags = merge_flags(out.rflags, r.flags, kStatusFlags);
        if (accumulator == old)
            return Outcome{source()};
        write_gpr(out, Gpr::Rax, size, old);
        return Outcome{old, false};
    }
    case Kind::Cmpxchg8b:
        return compare_exchange_8(out, old);
    case Kind::Bts: case Kind::Btr: case Kind::Btc:
        return bit_string(inst, in, out, size, old);
    case Kind::Stos:
        return store_string(inst, out, size, old);
    default:
        return Outcome{old, false};  // unreachable: filtered by the caller
    }
}

}  // namespace

Result<PteWriteEffect> emulate_pte_write(const Instruction& inst, const Registers& regs,
                                         uint64_t target_address, uint64_t old_value) {
    if (!is_memory_write(inst.kind) || !inst.has_memory || inst.kind == Kind::Cmpxchg16b)
        return Status::NotSupported;
    const unsigned size = inst.operand_size;
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return Status::NotSupported;
    Result<uint64_t> address = effective_address(inst, regs);
    if (!address.ok() || *address != target_address)
        return Status::NotSupported;
    const unsigned offset = static_cast<unsigned>(target_address & 7);
    if (offset & (size - 1))
        return Status::NotSupported;  // misaligned, possibly crossing into the next entry

    const unsigned shift = offset * 8;
    const uint64_t mask = size_mask(size);
    const uint64_t old = (old_value >> shift) & mask;

    PteWriteEffect effect{};
    effect.pte_address = target_address & ~uint64_t{7};
    effect.access_offset = static_cast<uint8_t>(offset);
    effect.access_size = static_cast<uint8_t>(size);
    effect.registers = regs;
    Registers& out = effect.registers;

    // Immediates were sign-extended to 64 bits at decode; every operation masks to `size`.
    const Outcome outcome = execute(inst, regs, out, size, old);
    effect.writes_memory = outcome.store;
    effect.new_value = outcome.store
                           ? (old_value & ~(mask << shift)) | ((outcome.value & mask) << shift)
                           : old_value;
    if (outcome.retire) {
        out.rip = regs.rip + inst.length;
        out.rflags &= ~kResumeFlag;
    }
    return effect;
}

}  // namespace hv::x86
