// Host tests of the x86-64 decoder (hypervisor/x86/decoder.hpp). Every byte sequence below
// was produced by GNU as (`as --64`, binutils 2.40) from the AT&T text next to it; the
// tables were pasted from its output, not written by hand.
#include "x86/decoder.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/host/x86_decoder_test_support.hpp"

namespace hv::x86 {
namespace {

using namespace test;

// --- The sequences Linux 6.1 PV really makes the hypervisor emulate (spec §5.6, §14.17) ---

TEST(X86Decoder, LinuxWrmsrGsBase) {
    const Instruction i = decode_ok({0x0f, 0x30});  // wrmsr
    EXPECT_EQ(i.kind, Kind::Wrmsr);
    EXPECT_EQ(i.length, 2);
    EXPECT_FALSE(i.has_memory);
}

TEST(X86Decoder, LinuxMovCr2ToRdi) {
    const Instruction i = decode_ok({0x0f, 0x20, 0xd7});  // mov %cr2,%rdi
    EXPECT_EQ(i.kind, Kind::MovFromCr);
    EXPECT_EQ(i.length, 3);
    EXPECT_EQ(i.control_register, 2);
    EXPECT_TRUE(i.has_register);
    EXPECT_EQ(i.gpr, Gpr::Rdi);
    EXPECT_EQ(i.operand_size, 8);
}

TEST(X86Decoder, LinuxCr4ReadAndWrite) {
    const Instruction read = decode_ok({0x0f, 0x20, 0xe0});  // mov %cr4,%rax
    EXPECT_EQ(read.kind, Kind::MovFromCr);
    EXPECT_EQ(read.control_register, 4);
    EXPECT_EQ(read.gpr, Gpr::Rax);
    const Instruction write = decode_ok({0x0f, 0x22, 0xe0});  // mov %rax,%cr4
    EXPECT_EQ(write.kind, Kind::MovToCr);
    EXPECT_EQ(write.control_register, 4);
    EXPECT_EQ(write.gpr, Gpr::Rax);
}

TEST(X86Decoder, LinuxCli) {
    const Instruction i = decode_ok({0xfa});  // cli
    EXPECT_EQ(i.kind, Kind::Cli);
    EXPECT_EQ(i.length, 1);
}

TEST(X86Decoder, LinuxInDxEax) {
    const Instruction i = decode_ok({0xed});  // in (%dx),%eax
    EXPECT_EQ(i.kind, Kind::In);
    EXPECT_TRUE(i.port_in_dx);
    EXPECT_EQ(i.operand_size, 4);
    EXPECT_EQ(i.length, 1);
}

TEST(X86Decoder, LinuxOutAlPort80) {
    const Instruction i = decode_ok({0xe6, 0x80});  // out %al,$0x80
    EXPECT_EQ(i.kind, Kind::Out);
    EXPECT_FALSE(i.port_in_dx);
    EXPECT_EQ(i.port, 0x80);
    EXPECT_EQ(i.operand_size, 1);
    EXPECT_EQ(i.length, 2);
}

TEST(X86Decoder, LinuxSetPteStore) {
    const Instruction i = decode_ok({0x48, 0x89, 0x37});  // mov %rsi,(%rdi)
    EXPECT_EQ(i.kind, Kind::Mov);
    EXPECT_EQ(i.length, 3);
    EXPECT_EQ(i.operand_size, 8);
    EXPECT_EQ(i.gpr, Gpr::Rsi);
    ASSERT_TRUE(i.has_memory);
    EXPECT_TRUE(i.memory.has_base);
    EXPECT_EQ(i.memory.base, Gpr::Rdi);
    EXPECT_FALSE(i.memory.has_index);
    EXPECT_EQ(i.memory.displacement, 0);
    EXPECT_EQ(i.memory.segment, Segment::Ds);
    EXPECT_FALSE(i.has_immediate);
}

TEST(X86Decoder, LinuxLockCmpxchg) {
    const Instruction i = decode_ok({0xf0, 0x48, 0x0f, 0xb1, 0x32});  // lock cmpxchg %rsi,(%rdx)
    EXPECT_EQ(i.kind, Kind::Cmpxchg);
    EXPECT_EQ(i.length, 5);
    EXPECT_TRUE(i.lock);
    EXPECT_EQ(i.gpr, Gpr::Rsi);
    EXPECT_EQ(i.memory.base, Gpr::Rdx);
    EXPECT_EQ(i.operand_size, 8);
}

TEST(X86Decoder, LinuxXchg) {
    const Instruction i = decode_ok({0x48, 0x87, 0x07});  // xchg %rax,(%rdi)
    EXPECT_EQ(i.kind, Kind::Xchg);
    EXPECT_EQ(i.gpr, Gpr::Rax);
    EXPECT_EQ(i.memory.base, Gpr::Rdi);
}

TEST(X86Decoder, LinuxMovqZero) {
    const Instruction i = decode_ok({0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x00});  // movq $0x0,(%rax)
    EXPECT_EQ(i.kind, Kind::Mov);
    EXPECT_EQ(i.length, 7);
    EXPECT_TRUE(i.has_immediate);
    EXPECT_EQ(i.immediate, 0u);
    EXPECT_EQ(i.memory.base, Gpr::Rax);
}

TEST(X86Decoder, LinuxForcedCpuid) {
    const Instruction i = decode_ok({0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2});  // ud2; .ascii "xen"; cpuid
    EXPECT_EQ(i.kind, Kind::ForcedCpuid);
    EXPECT_EQ(i.length, 7);
}

TEST(X86Decoder, LinuxInt80) {
    const Instruction i = decode_ok({0xcd, 0x80});  // int $0x80
    EXPECT_EQ(i.kind, Kind::Int);
    EXPECT_EQ(i.length, 2);
    EXPECT_TRUE(i.has_immediate);
    EXPECT_EQ(i.immediate, 0x80u);
}

// --- Forced CPUID and ud2 ---

TEST(X86Decoder, Ud2WithoutTheSignatureIsPlainUd2) {
    const Instruction i = decode_ok({0x0f, 0x0b, 0x78, 0x65, 0x6f});  // ud2; "xeo"
    EXPECT_EQ(i.kind, Kind::Ud2);
    EXPECT_EQ(i.length, 2);
    // Signature without the cpuid after it.
    EXPECT_EQ(decode_ok({0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x90, 0x90}).kind, Kind::Ud2);
    EXPECT_EQ(decode_ok({0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa3}).kind, Kind::Ud2);
}

TEST(X86Decoder, PrefixedUd2IsNeverTheForcedCpuid) {
    const Instruction i = decode_ok({0x66, 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2});
    EXPECT_EQ(i.kind, Kind::Ud2);
    EXPECT_EQ(i.length, 3);
}

TEST(X86Decoder, ForcedCpuidCutShortAsksForMore) {
    const std::vector<uint8_t> full = {0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2};
    for (size_t n = 2; n < full.size(); ++n) {
        std::vector<uint8_t> cut(full.begin(), full.begin() + n);
        EXPECT_EQ(decode_bytes(cut).status(), Status::Range) << n;
    }
}

// --- Operands of the privileged instructions ---

TEST(X86Decoder, ControlRegisterOperandsWithRex) {
    Instruction i = decode_ok({0x44, 0x0f, 0x20, 0xc1});  // mov %cr8,%rcx
    EXPECT_EQ(i.control_register, 8);
    EXPECT_EQ(i.gpr, Gpr::Rcx);
    i = decode_ok({0x41, 0x0f, 0x22, 0xe1});  // mov %r9,%cr4
    EXPECT_EQ(i.control_register, 4);
    EXPECT_EQ(i.gpr, Gpr::R9);
    i = decode_ok({0x41, 0x0f, 0x20, 0xe7});  // mov %cr4,%r15
    EXPECT_EQ(i.gpr, Gpr::R15);
    i = decode_ok({0x41, 0x0f, 0x21, 0xfa});  // mov %db7,%r10
    EXPECT_EQ(i.kind, Kind::MovFromDr);
    EXPECT_EQ(i.control_register, 7);
    EXPECT_EQ(i.gpr, Gpr::R10);
    i = decode_ok({0x0f, 0x23, 0xf1});  // mov %rcx,%db6
    EXPECT_EQ(i.kind, Kind::MovToDr);
    EXPECT_EQ(i.control_register, 6);
    EXPECT_EQ(i.gpr, Gpr::Rcx);
}

TEST(X86Decoder, MovCrIgnoresTheModField) {
    // 0F 20 00 is read as 0F 20 C0 (mov %cr0,%rax): the SDM says mod is ignored.
    const Instruction i = decode_ok({0x0f, 0x20, 0x00});
    EXPECT_EQ(i.kind, Kind::MovFromCr);
    EXPECT_EQ(i.length, 3);
    EXPECT_EQ(i.control_register, 0);
    EXPECT_EQ(i.gpr, Gpr::Rax);
    EXPECT_FALSE(i.has_memory);
}

TEST(X86Decoder, UndefinedControlAndDebugRegistersAreInvalid) {
    EXPECT_EQ(decode_bytes({0x0f, 0x20, 0xc8}).status(), Status::InvalidArgument);        // cr1
    EXPECT_EQ(decode_bytes({0x0f, 0x22, 0xe8}).status(), Status::InvalidArgument);        // cr5
    EXPECT_EQ(decode_bytes({0x0f, 0x20, 0xf8}).status(), Status::InvalidArgument);        // cr7
    EXPECT_EQ(decode_bytes({0x44, 0x0f, 0x20, 0xc8}).status(), Status::InvalidArgument);  // cr9
    EXPECT_EQ(decode_bytes({0x44, 0x0f, 0x21, 0xc0}).status(), Status::InvalidArgument);  // dr8
    // AMD's `lock mov %cr0` alias for CR8 is not accepted (Intel: #UD).
    EXPECT_EQ(decode_bytes({0xf0, 0x0f, 0x20, 0xc0}).status(), Status::InvalidArgument);
}

TEST(X86Decoder, PortOperands) {
    Instruction i = decode_ok({0xe4, 0x71});  // in $0x71,%al
    EXPECT_EQ(i.port, 0x71);
    EXPECT_FALSE(i.port_in_dx);
    i = decode_ok({0x66, 0xe7, 0x43});  // out %ax,$0x43
    EXPECT_EQ(i.kind, Kind::Out);
    EXPECT_EQ(i.port, 0x43);
    EXPECT_EQ(i.operand_size, 2);
    i = decode_ok({0x48, 0xed});  // REX.W does not widen port I/O: in (%dx),%eax
    EXPECT_EQ(i.kind, Kind::In);
    EXPECT_EQ(i.operand_size, 4);
    EXPECT_EQ(i.length, 2);
}

TEST(X86Decoder, StringIoOperands) {
    Instruction i = decode_ok({0xf3, 0x6c});  // rep insb
    EXPECT_EQ(i.kind, Kind::Ins);
    EXPECT_EQ(i.rep, RepPrefix::Rep);
    EXPECT_TRUE(i.port_in_dx);
    EXPECT_EQ(i.memory.base, Gpr::Rdi);
    EXPECT_EQ(i.memory.segment, Segment::Es);
    i = decode_ok({0x64, 0x6e});  // outsb %fs:(%rsi),(%dx)
    EXPECT_EQ(i.kind, Kind::Outs);
    EXPECT_EQ(i.rep, RepPrefix::None);
    EXPECT_EQ(i.memory.base, Gpr::Rsi);
    EXPECT_EQ(i.memory.segment, Segment::Fs);
    EXPECT_EQ(i.segment_override, Segment::Fs);
    i = decode_ok({0x67, 0xf3, 0x6f});  // addr32 rep outsl
    EXPECT_EQ(i.address_size, 4);
    EXPECT_EQ(i.rep, RepPrefix::Rep);
    i = decode_ok({0x64, 0x6c});  // insb ignores a segment override: always ES
    EXPECT_EQ(i.memory.segment, Segment::Es);
    EXPECT_EQ(i.segment_override, Segment::Fs);
    i = decode_ok({0xf2, 0x6f});  // repne outsl: F2 repeats too
    EXPECT_EQ(i.rep, RepPrefix::Repne);
}

TEST(X86Decoder, DescriptorTableOperands) {
    Instruction i = decode_ok({0x0f, 0x01, 0x5b, 0x08});  // lidt 8(%rbx)
    EXPECT_EQ(i.kind, Kind::Lidt);
    ASSERT_TRUE(i.has_memory);
    EXPECT_EQ(i.memory.base, Gpr::Rbx);
    EXPECT_EQ(i.memory.displacement, 8);
    i = decode_ok({0x41, 0x0f, 0x00, 0xd8});  // ltr %r8w
    EXPECT_EQ(i.kind, Kind::Ltr);
    EXPECT_FALSE(i.has_memory);
    EXPECT_TRUE(i.has_register);
    EXPECT_EQ(i.gpr, Gpr::R8);
    i = decode_ok({0x0f, 0x01, 0xf2});  // lmsw %dx
    EXPECT_EQ(i.kind, Kind::Lmsw);
    EXPECT_EQ(i.gpr, Gpr::Rdx);
    i = decode_ok({0x43, 0x0f, 0x01, 0xbc, 0xf5, 0x00, 0x10, 0x00, 0x00});  // invlpg 0x1000(%r13,%r14,8)
    EXPECT_EQ(i.kind, Kind::Invlpg);
    EXPECT_EQ(i.memory.base, Gpr::R13);
    EXPECT_EQ(i.memory.index, Gpr::R14);
    EXPECT_EQ(i.memory.scale, 8);
    EXPECT_EQ(i.memory.displacement, 0x1000);
}

TEST(X86Decoder, SoftwareInterrupts) {
    EXPECT_EQ(decode_ok({0xcc}).kind, Kind::Int3);  // int3
    EXPECT_EQ(decode_ok({0xf1}).kind, Kind::Int1);  // int1
    EXPECT_EQ(decode_ok({0xce}).kind, Kind::Into);  // into (#UD in 64-bit mode)
    const Instruction i = decode_ok({0xcd, 0x03});  // int $3 in its two-byte form
    EXPECT_EQ(i.kind, Kind::Int);
    EXPECT_EQ(i.immediate, 3u);
    EXPECT_EQ(decode_ok({0xcd, 0xff}).immediate, 0xffu);  // vector is not sign-extended
}


}  // namespace
}  // namespace hv::x86
