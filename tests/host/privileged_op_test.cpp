// Host tests of the privileged-instruction operand plumbing (hypervisor/x86/privileged_op.hpp).
// Byte sequences are `as --64` output for the AT&T text next to them.
#include "x86/privileged_op.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "x86/decoder.hpp"

namespace hv::x86 {
namespace {

Instruction decode_ok(std::vector<uint8_t> bytes) {
    Result<Instruction> r = decode(std::span<const uint8_t>(bytes.data(), bytes.size()));
    EXPECT_TRUE(r.ok()) << status_name(r.status());
    return r.value();
}

Registers guest_registers() {
    Registers regs{};
    for (unsigned i = 0; i < kGprCount; ++i)
        regs.gpr[i] = 0xa5a5a5a500000000ull | (0x1111u * (i + 1));
    regs.rip = 0xffffffff81000100ull;
    regs.rflags = 0x202 | kResumeFlag;
    return regs;
}

TEST(PrivilegedOp, RetireStepsOverAndClearsResumeFlag) {
    const Instruction cli = decode_ok({0xfa});  // cli
    Registers regs = guest_registers();
    retire(cli, regs);
    EXPECT_EQ(regs.rip, 0xffffffff81000101ull);
    EXPECT_EQ(regs.rflags, 0x202u);
}

// --- Port I/O (spec §6.5) ---

TEST(PrivilegedOp, InFromDxMergesOrZeroExtends) {
    Registers regs = guest_registers();
    regs[Gpr::Rdx] = 0xffffffff00000cfcull;  // only DX is the port
    const Instruction in_eax = decode_ok({0xed});  // in (%dx),%eax
    Result<PortIo> io = port_io(in_eax, regs);
    ASSERT_TRUE(io.ok());
    EXPECT_EQ(io->port, 0xcfc);
    EXPECT_EQ(io->size, 4);
    EXPECT_FALSE(io->write);
    Registers after = regs;
    ASSERT_EQ(complete_in(in_eax, after, 0x12345678), Status::Ok);
    EXPECT_EQ(after[Gpr::Rax], 0x12345678u);  // 32-bit write clears the upper half
    EXPECT_EQ(after.rip, regs.rip + 1);

    const Instruction in_ax = decode_ok({0x66, 0xed});  // in (%dx),%ax
    after = regs;
    ASSERT_EQ(complete_in(in_ax, after, 0xffff), Status::Ok);
    EXPECT_EQ(after[Gpr::Rax], (regs[Gpr::Rax] & ~0xffffull) | 0xffff);
    EXPECT_EQ(after.rip, regs.rip + 2);

    const Instruction in_al = decode_ok({0xe4, 0x71});  // in $0x71,%al
    io = port_io(in_al, regs);
    EXPECT_EQ(io->port, 0x71);
    EXPECT_EQ(io->size, 1);
    after = regs;
    ASSERT_EQ(complete_in(in_al, after, 0xab), Status::Ok);
    EXPECT_EQ(after[Gpr::Rax], (regs[Gpr::Rax] & ~0xffull) | 0xab);
}

TEST(PrivilegedOp, OutTakesTheLowBytesOfRax) {
    Registers regs = guest_registers();
    regs[Gpr::Rax] = 0x1122334455667788ull;
    Result<PortIo> io = port_io(decode_ok({0xe6, 0x80}), regs);  // out %al,$0x80
    ASSERT_TRUE(io.ok());
    EXPECT_TRUE(io->write);
    EXPECT_EQ(io->port, 0x80);
    EXPECT_EQ(io->value, 0x88u);
    regs[Gpr::Rdx] = 0xcf8;
    io = port_io(decode_ok({0xef}), regs);  // out %eax,(%dx)
    EXPECT_EQ(io->port, 0xcf8);
    EXPECT_EQ(io->value, 0x55667788u);
    io = port_io(decode_ok({0x66, 0xe7, 0x43}), regs);  // out %ax,$0x43
    EXPECT_EQ(io->value, 0x7788u);
    EXPECT_EQ(io->size, 2);
}

TEST(PrivilegedOp, PortQueriesRefuseOtherKinds) {
    Registers regs = guest_registers();
    const Registers before = regs;
    EXPECT_EQ(port_io(decode_ok({0xfa}), regs).status(), Status::InvalidArgument);
    EXPECT_EQ(complete_in(decode_ok({0xe6, 0x80}), regs, 1), Status::InvalidArgument);  // out
    EXPECT_EQ(string_io(decode_ok({0xed}), regs).status(), Status::InvalidArgument);
    EXPECT_EQ(regs.rip, before.rip);
    EXPECT_EQ(regs[Gpr::Rax], before[Gpr::Rax]);
}

TEST(PrivilegedOp, RepOutswInPieces) {
    const Instruction rep_outsw = decode_ok({0x66, 0xf3, 0x6f});  // rep outsw
    Registers regs = guest_registers();
    regs[Gpr::Rdx] = 0x1f0;
    regs[Gpr::Rsi] = 0xffff888000010000ull;
    regs[Gpr::Rcx] = 3;
    Result<StringIo> io = string_io(rep_outsw, regs);
    ASSERT_TRUE(io.ok());
    EXPECT_EQ(io->port, 0x1f0);
    EXPECT_EQ(io->size, 2);
    EXPECT_TRUE(io->write);
    EXPECT_EQ(io->count, 3u);
    EXPECT_EQ(string_io_element_address(*io, 0), 0xffff888000010000ull);
    EXPECT_EQ(string_io_element_address(*io, 2), 0xffff888000010004ull);

    Registers after = regs;
    ASSERT_EQ(complete_string_io(rep_outsw, after, 2), Status::Ok);  // stopped early
    EXPECT_EQ(after[Gpr::Rsi], 0xffff888000010004ull);
    EXPECT_EQ(after[Gpr::Rcx], 1u);
    EXPECT_EQ(after.rip, regs.rip);  // the guest re-executes for the rest
    ASSERT_EQ(complete_string_io(rep_outsw, after, 1), Status::Ok);
    EXPECT_EQ(after[Gpr::Rcx], 0u);
    EXPECT_EQ(after.rip, regs.rip + 3);
    EXPECT_EQ(complete_string_io(rep_outsw, regs, 4), Status::InvalidArgument);  // more than rCX
}

TEST(PrivilegedOp, InsbDescendingAndWithoutRep) {
    const Instruction insb = decode_ok({0x6c});  // insb
    Registers regs = guest_registers();
    regs.rflags |= kDirectionFlag;
    regs[Gpr::Rdi] = 0x5000;
    Result<StringIo> io = string_io(insb, regs);
    ASSERT_TRUE(io.ok());
    EXPECT_FALSE(io->write);
    EXPECT_TRUE(io->descending);
    EXPECT_EQ(io->count, 1u);  // no rep: one element whatever rCX says
    ASSERT_EQ(complete_string_io(insb, regs, 1), Status::Ok);
    EXPECT_EQ(regs[Gpr::Rdi], 0x4fffu);
    EXPECT_EQ(regs[Gpr::Rcx], guest_registers()[Gpr::Rcx]);
    EXPECT_EQ(regs.rip, guest_registers().rip + 1);
}

TEST(PrivilegedOp, OutsWithSegmentAndAddressSize) {
    Registers regs = guest_registers();
    regs.fs_base = 0x7f0000000000ull;
    regs[Gpr::Rsi] = 0x40;
    Result<StringIo> io = string_io(decode_ok({0x64, 0x6e}), regs);  // outsb %fs:(%rsi),(%dx)
    ASSERT_TRUE(io.ok());
    EXPECT_EQ(string_io_element_address(*io, 0), 0x7f0000000040ull);

    // addr32 rep outsl: ESI/ECX, the offset wraps at 4 GiB.
    const Instruction outsl32 = decode_ok({0x67, 0xf3, 0x6f});
    regs[Gpr::Rsi] = 0x12345678fffffffcull;
    regs[Gpr::Rcx] = 0xffffffff00000002ull;
    io = string_io(outsl32, regs);
    ASSERT_TRUE(io.ok());
    EXPECT_EQ(io->count, 2u);
    EXPECT_EQ(string_io_element_address(*io, 0), 0xfffffffcu);
    EXPECT_EQ(string_io_element_address(*io, 1), 0u);
    ASSERT_EQ(complete_string_io(outsl32, regs, 2), Status::Ok);
    EXPECT_EQ(regs[Gpr::Rsi], 4u);
    EXPECT_EQ(regs[Gpr::Rcx], 0u);
}

// --- MSRs, CPUID, XCR (spec §0 item 2, §6.1-6.3) ---

TEST(PrivilegedOp, StartupXenWrmsrGsBase) {
    // The first trap of a Linux PV guest: wrmsr with ECX = GS_BASE, EDX:EAX = 0xffffffff:0x83044000.
    Registers regs = guest_registers();
    regs[Gpr::Rcx] = 0xdead0000c0000101ull;  // upper half of RCX ignored
    regs[Gpr::Rdx] = 0x12345678ffffffffull;
    regs[Gpr::Rax] = 0x9abcdef083044000ull;
    const IndexedValue w = indexed_write(regs);
    EXPECT_EQ(w.index, 0xc0000101u);
    EXPECT_EQ(w.value, 0xffffffff83044000ull);
    const Instruction wrmsr = decode_ok({0x0f, 0x30});  // wrmsr
    retire(wrmsr, regs);
    EXPECT_EQ(regs.rip, guest_registers().rip + 2);
}

TEST(PrivilegedOp, RdmsrZeroExtendsBothHalves) {
    const Instruction rdmsr = decode_ok({0x0f, 0x32});  // rdmsr
    Registers regs = guest_registers();
    regs[Gpr::Rcx] = 0xc0000102;
    EXPECT_EQ(ecx_index(regs), 0xc0000102u);
    ASSERT_EQ(complete_edx_eax(rdmsr, regs, 0x0000050100070406ull), Status::Ok);  // Xen's PAT
    EXPECT_EQ(regs[Gpr::Rax], 0x00070406u);
    EXPECT_EQ(regs[Gpr::Rdx], 0x00000501u);
    EXPECT_EQ(regs.rip, guest_registers().rip + 2);
    EXPECT_EQ(complete_edx_eax(decode_ok({0x0f, 0x30}), regs, 0), Status::InvalidArgument);  // wrmsr
}

TEST(PrivilegedOp, RdtscpAlsoSetsEcx) {
    const Instruction rdtscp = decode_ok({0x0f, 0x01, 0xf9});  // rdtscp
    Registers regs = guest_registers();
    ASSERT_EQ(complete_rdtscp(rdtscp, regs, 0x123456789abcull, 7), Status::Ok);
    EXPECT_EQ(regs[Gpr::Rax], 0x56789abcu);
    EXPECT_EQ(regs[Gpr::Rdx], 0x1234u);
    EXPECT_EQ(regs[Gpr::Rcx], 7u);
    EXPECT_EQ(regs.rip, guest_registers().rip + 3);
}

TEST(PrivilegedOp, ForcedCpuidSkipsSevenBytes) {
    const Instruction forced = decode_ok({0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2});  // ud2; "xen"; cpuid
    Registers regs = guest_registers();
    regs[Gpr::Rax] = 0xffffffff40000000ull;
    regs[Gpr::Rcx] = 0x0000000100000000ull;
    const CpuidLeaf leaf = cpuid_leaf(regs);
    EXPECT_EQ(leaf.leaf, 0x40000000u);
    EXPECT_EQ(leaf.subleaf, 0u);
    // "XenVMMXenVMM", max leaf base + 5 (spec §6.1).
    ASSERT_EQ(complete_cpuid(forced, regs, {0x40000005, 0x566e6558, 0x65584d4d, 0x4d4d566e}), Status::Ok);
    EXPECT_EQ(regs[Gpr::Rax], 0x40000005u);
    EXPECT_EQ(regs[Gpr::Rbx], 0x566e6558u);
    EXPECT_EQ(regs[Gpr::Rcx], 0x65584d4du);
    EXPECT_EQ(regs[Gpr::Rdx], 0x4d4d566eu);
    EXPECT_EQ(regs.rip, guest_registers().rip + 7);

    Registers plain = guest_registers();
    ASSERT_EQ(complete_cpuid(decode_ok({0x0f, 0xa2}), plain, {}), Status::Ok);  // cpuid
    EXPECT_EQ(plain.rip, guest_registers().rip + 2);
    EXPECT_EQ(complete_cpuid(decode_ok({0x0f, 0x0b, 0x90}), plain, {}), Status::InvalidArgument);  // ud2
}

TEST(PrivilegedOp, XsetbvOperands) {
    const Instruction xsetbv = decode_ok({0x0f, 0x01, 0xd1});  // xsetbv
    EXPECT_EQ(xsetbv.kind, Kind::Xsetbv);
    Registers regs = guest_registers();
    regs[Gpr::Rcx] = 0;
    regs[Gpr::Rdx] = 0;
    regs[Gpr::Rax] = 3;  // XCR0 = x87 | SSE, what Linux writes (spec §6.2)
    const IndexedValue w = indexed_write(regs);
    EXPECT_EQ(w.index, 0u);
    EXPECT_EQ(w.value, 3u);
}

// --- Control registers (spec §6.4) ---

TEST(PrivilegedOp, EarlyExceptionReadsCr2) {
    const Instruction mov = decode_ok({0x0f, 0x20, 0xd7});  // mov %cr2,%rdi
    Registers regs = guest_registers();
    ASSERT_EQ(complete_move_from_special(mov, regs, 0xffffc90000001234ull), Status::Ok);
    EXPECT_EQ(regs[Gpr::Rdi], 0xffffc90000001234ull);
    EXPECT_EQ(regs.rip, guest_registers().rip + 3);
}

TEST(PrivilegedOp, Cr4WriteValueIsTheWholeRegister) {
    const Instruction mov = decode_ok({0x41, 0x0f, 0x22, 0xe1});  // mov %r9,%cr4
    Registers regs = guest_registers();
    regs[Gpr::R9] = 0x00000000003506f0ull;
    Result<uint64_t> value = move_to_special_value(mov, regs);
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(value.value(), 0x3506f0u);
    EXPECT_EQ(move_to_special_value(decode_ok({0x0f, 0x20, 0xe0}), regs).status(),
              Status::InvalidArgument);  // mov %cr4,%rax is a read
    EXPECT_EQ(complete_move_from_special(mov, regs, 0), Status::InvalidArgument);
}

TEST(PrivilegedOp, DebugRegisterRead) {
    const Instruction mov = decode_ok({0x41, 0x0f, 0x21, 0xfa});  // mov %db7,%r10
    Registers regs = guest_registers();
    ASSERT_EQ(complete_move_from_special(mov, regs, 0x400), Status::Ok);
    EXPECT_EQ(regs[Gpr::R10], 0x400u);
}

// --- Software interrupts ---

TEST(PrivilegedOp, SoftwareInterruptVectors) {
    EXPECT_EQ(software_interrupt_vector(decode_ok({0xcd, 0x80})).value(), 0x80);  // int $0x80
    EXPECT_EQ(software_interrupt_vector(decode_ok({0xcc})).value(), 3);           // int3
    EXPECT_EQ(software_interrupt_vector(decode_ok({0xf1})).value(), 1);           // int1
    EXPECT_EQ(software_interrupt_vector(decode_ok({0xce})).value(), 4);           // into
    EXPECT_EQ(software_interrupt_vector(decode_ok({0xfa})).status(), Status::InvalidArgument);
    EXPECT_EQ(software_interrupt_error_code(0x80), 0x402u);
    EXPECT_EQ(software_interrupt_error_code(3), 0x1au);
}

}  // namespace
}  // namespace hv::x86
