#include "x86/privileged_op.hpp"

namespace hv::x86 {

void retire(const Instruction& inst, Registers& regs) {
    regs.rip += inst.length;
    regs.rflags &= ~kResumeFlag;
}

Result<PortIo> port_io(const Instruction& inst, const Registers& regs) {
    if (inst.kind != Kind::In && inst.kind != Kind::Out)
        return Status::InvalidArgument;
    PortIo io{};
    io.port = inst.port_in_dx ? static_cast<uint16_t>(read_gpr(regs, Gpr::Rdx, 2)) : inst.port;
    io.size = inst.operand_size;
    io.write = inst.kind == Kind::Out;
    if (io.write)
        io.value = static_cast<uint32_t>(read_gpr(regs, Gpr::Rax, io.size));
    return io;
}

Status complete_in(const Instruction& inst, Registers& regs, uint32_t value) {
    if (inst.kind != Kind::In)
        return Status::InvalidArgument;
    write_gpr(regs, Gpr::Rax, inst.operand_size, value);
    retire(inst, regs);
    return Status::Ok;
}

Result<StringIo> string_io(const Instruction& inst, const Registers& regs) {
    if (inst.kind != Kind::Ins && inst.kind != Kind::Outs)
        return Status::InvalidArgument;
    StringIo io{};
    io.port = static_cast<uint16_t>(read_gpr(regs, Gpr::Rdx, 2));
    io.size = inst.operand_size;
    io.write = inst.kind == Kind::Outs;
    io.descending = regs.rflags & kDirectionFlag;
    io.address_size = inst.address_size;
    const Segment segment = inst.memory.segment;
    io.segment_base = segment == Segment::Fs ? regs.fs_base : segment == Segment::Gs ? regs.gs_base : 0;
    io.offset = read_gpr(regs, inst.memory.base, inst.address_size);
    io.count = inst.rep != RepPrefix::None ? read_gpr(regs, Gpr::Rcx, inst.address_size) : 1;
    return io;
}

uint64_t string_io_element_address(const StringIo& io, uint64_t element) {
    const uint64_t distance = element * io.size;
    const uint64_t offset = io.descending ? io.offset - distance : io.offset + distance;
    return io.segment_base + (offset & size_mask(io.address_size));
}

Status complete_string_io(const Instruction& inst, Registers& regs, uint64_t done) {
    Result<StringIo> io = string_io(inst, regs);
    if (!io.ok())
        return io.status();
    if (done > io->count)
        return Status::InvalidArgument;
    const uint64_t distance = done * io->size;
    const uint64_t offset = io->descending ? io->offset - distance : io->offset + distance;
    write_gpr(regs, inst.memory.base, inst.address_size, offset);
    if (inst.rep != RepPrefix::None)
        write_gpr(regs, Gpr::Rcx, inst.address_size, io->count - done);
    if (done == io->count)
        retire(inst, regs);
    return Status::Ok;
}

uint32_t ecx_index(const Registers& regs) {
    return static_cast<uint32_t>(regs[Gpr::Rcx]);
}

IndexedValue indexed_write(const Registers& regs) {
    return IndexedValue{ecx_index(regs), (read_gpr(regs, Gpr::Rdx, 4) << 32) | read_gpr(regs, Gpr::Rax, 4)};
}

Status complete_edx_eax(const Instruction& inst, Registers& regs, uint64_t value) {
    switch (inst.kind) {
    case Kind::Rdmsr: case Kind::Rdtsc: case Kind::Rdpmc: case Kind::Xgetbv: case Kind::Rdtscp:
        break;
    default:
        return Status::InvalidArgument;
    }
    write_gpr(regs, Gpr::Rax, 4, value);
    write_gpr(regs, Gpr::Rdx, 4, value >> 32);
    retire(inst, regs);
    return Status::Ok;
}

Status complete_rdtscp(const Instruction& inst, Registers& regs, uint64_t tsc, uint32_t aux) {
    if (inst.kind != Kind::Rdtscp)
        return Status::InvalidArgument;
    write_gpr(regs, Gpr::Rcx, 4, aux);
    return complete_edx_eax(inst, regs, tsc);
}

CpuidLeaf cpuid_leaf(const Registers& regs) {
    return CpuidLeaf{static_cast<uint32_t>(regs[Gpr::Rax]), static_cast<uint32_t>(regs[Gpr::Rcx])};
}

Status complete_cpuid(const Instruction& inst, Registers& regs, const CpuidValues& values) {
    if (inst.kind != Kind::Cpuid && inst.kind != Kind::ForcedCpuid)
        return Status::InvalidArgument;
    write_gpr(regs, Gpr::Rax, 4, values.eax);
    write_gpr(regs, Gpr::Rbx, 4, values.ebx);
    write_gpr(regs, Gpr::Rcx, 4, values.ecx);
    write_gpr(regs, Gpr::Rdx, 4, values.edx);
    retire(inst, regs);
    return Status::Ok;
}

Result<uint64_t> move_to_special_value(const Instruction& inst, const Registers& regs) {
    if (inst.kind != Kind::MovToCr && inst.kind != Kind::MovToDr)
        return Status::InvalidArgument;
    return regs[inst.gpr];
}

Status complete_move_from_special(const Instruction& inst, Registers& regs, uint64_t value) {
    if (inst.kind != Kind::MovFromCr && inst.kind != Kind::MovFromDr)
        return Status::InvalidArgument;
    regs[inst.gpr] = value;
    retire(inst, regs);
    return Status::Ok;
}

Result<uint8_t> software_interrupt_vector(const Instruction& inst) {
    switch (inst.kind) {
    case Kind::Int: return static_cast<uint8_t>(inst.immediate);
    case Kind::Int3: return uint8_t{3};
    case Kind::Int1: return uint8_t{1};
    case Kind::Into: return uint8_t{4};
    default: return Status::InvalidArgument;
    }
}

}  // namespace hv::x86
