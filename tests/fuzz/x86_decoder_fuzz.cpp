// Fuzzes the x86 decoder and everything downstream of it: effective_address,
// emulate_pte_write and the privileged-instruction helpers, with a fuzzer-chosen register
// file. Input layout (missing bytes read as zero):
//   [0]        control: bits 0-3 = number of instruction bytes offered (0-15), bit 4 = also
//              try emulate_pte_write at a fuzzer-chosen (usually wrong) target address
//   [1, 16)    up to 15 instruction bytes
//   [16, 176)  registers: 16 GPRs, rip, rflags, fs_base, gs_base (little-endian u64)
//   [176, 184) the old page-table entry
//   [184, 192) the alternative target address
// Checked: no crash or sanitizer report, length <= 15 and <= the bytes offered, decode is
// deterministic and only looks at its own bytes, the PTE effect touches only the accessed
// bytes of one aligned entry, and rip moves only by the instruction length.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "x86/decoder.hpp"
#include "x86/privileged_op.hpp"
#include "x86/pte_write.hpp"

namespace {

using namespace hv::x86;

void check(bool ok) {
    if (!ok)
        std::abort();
}

class Input {
public:
    Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    uint8_t byte(size_t at) const { return at < size_ ? data_[at] : 0; }
    uint64_t u64(size_t at) const {
        uint64_t v = 0;
        for (unsigned i = 0; i < 8; ++i)
            v |= uint64_t{byte(at + i)} << (8 * i);
        return v;
    }

private:
    const uint8_t* data_;
    size_t size_;
};

void check_pte_write(const Instruction& inst, const Registers& regs, uint64_t target, uint64_t old) {
    hv::Result<PteWriteEffect> r = emulate_pte_write(inst, regs, target, old);
    if (!r.ok())
        return;
    const PteWriteEffect& e = *r;
    check(is_memory_write(inst.kind));
    check(e.pte_address == (target & ~uint64_t{7}));
    check(e.access_size == 1 || e.access_size == 2 || e.access_size == 4 || e.access_size == 8);
    check(e.access_offset % e.access_size == 0 && e.access_offset + e.access_size <= 8);
    const uint64_t touched = size_mask(e.access_size) << (e.access_offset * 8);
    check(((e.new_value ^ old) & ~touched) == 0);
    if (!e.writes_memory)
        check(e.new_value == old);
    check(e.registers.rip == regs.rip || e.registers.rip == regs.rip + inst.length);
    check(e.registers.fs_base == regs.fs_base && e.registers.gs_base == regs.gs_base);
}

void check_privileged(const Instruction& inst, const Registers& regs) {
    Registers copy = regs;
    if (hv::Result<PortIo> io = port_io(inst, regs); io.ok()) {
        check(io->size == 1 || io->size == 2 || io->size == 4);
        if (inst.kind == Kind::In)
            check(complete_in(inst, copy, 0xffffffff) == hv::Status::Ok && copy.rip == regs.rip + inst.length);
    }
    if (hv::Result<StringIo> io = string_io(inst, regs); io.ok()) {
        (void)string_io_element_address(*io, io->count);
        const uint64_t done = io->count / 2;
        copy = regs;
        check(complete_string_io(inst, copy, done) == hv::Status::Ok);
        check(complete_string_io(inst, copy, io->count - done + 1) == hv::Status::InvalidArgument);
    }
    copy = regs;
    if (complete_edx_eax(inst, copy, 0x123456789abcdef0ull) == hv::Status::Ok)
        check((copy.gpr[0] >> 32) == 0 && (copy.gpr[2] >> 32) == 0);
    copy = regs;
    (void)complete_cpuid(inst, copy, {1, 2, 3, 4});
    copy = regs;
    (void)complete_move_from_special(inst, copy, ~uint64_t{0});
    (void)move_to_special_value(inst, regs);
    (void)software_interrupt_vector(inst);
    (void)indexed_write(regs);
    (void)cpuid_leaf(regs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const Input in(data, size);
    const uint8_t control = in.byte(0);
    const size_t offered = control & 15;
    uint8_t bytes[kMaxInstructionLength] = {};
    for (size_t i = 0; i < offered; ++i)
        bytes[i] = in.byte(1 + i);

    Registers regs{};
    for (unsigned i = 0; i < kGprCount; ++i)
        regs.gpr[i] = in.u64(16 + 8 * i);
    regs.rip = in.u64(144);
    regs.rflags = in.u64(152);
    regs.fs_base = in.u64(160);
    regs.gs_base = in.u64(168);
    const uint64_t old_value = in.u64(176);
    const uint64_t other_target = in.u64(184);

    hv::Result<Instruction> r = decode(std::span<const uint8_t>(bytes, offered));
    if (!r.ok()) {
        const hv::Status s = r.status();
        check(s == hv::Status::Range || s == hv::Status::InvalidArgument || s == hv::Status::NotSupported);
        return 0;
    }
    const Instruction& inst = *r;
    check(inst.length >= 1 && inst.length <= kMaxInstructionLength && inst.length <= offered);
    check(kind_name(inst.kind) != nullptr);

    // Only the instruction's own bytes matter (a bare ud2 may need more to rule out the
    // forced CPUID, so it is the one kind allowed to ask for them).
    hv::Result<Instruction> again = decode(std::span<const uint8_t>(bytes, inst.length));
    if (inst.kind != Kind::Ud2)
        check(again.ok() && again->kind == inst.kind && again->length == inst.length);

    hv::Result<uint64_t> address = effective_address(inst, regs);
    check(address.ok() == inst.has_memory);
    if (address.ok())
        check_pte_write(inst, regs, *address, old_value);
    if (control & 16)
        check_pte_write(inst, regs, other_target, old_value);
    check_privileged(inst, regs);
    return 0;
}
