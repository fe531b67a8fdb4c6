// Host tests of the x86-64 decoder, part 2: register operands, addressing forms,
// prefixes and the length contract. Byte sequences come from GNU as, as in part 1.
#include "x86/decoder.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/host/x86_decoder_test_support.hpp"

namespace hv::x86 {
namespace {

using namespace test;

// mov %REG,(%rax): the source register through ModRM.reg + REX.R
const Encoding kStoreFromEveryGpr[] = {
    {"mov %rax,(%rax)", {0x48, 0x89, 0x00}},
    {"mov %rcx,(%rax)", {0x48, 0x89, 0x08}},
    {"mov %rdx,(%rax)", {0x48, 0x89, 0x10}},
    {"mov %rbx,(%rax)", {0x48, 0x89, 0x18}},
    {"mov %rsp,(%rax)", {0x48, 0x89, 0x20}},
    {"mov %rbp,(%rax)", {0x48, 0x89, 0x28}},
    {"mov %rsi,(%rax)", {0x48, 0x89, 0x30}},
    {"mov %rdi,(%rax)", {0x48, 0x89, 0x38}},
    {"mov %r8,(%rax)", {0x4c, 0x89, 0x00}},
    {"mov %r9,(%rax)", {0x4c, 0x89, 0x08}},
    {"mov %r10,(%rax)", {0x4c, 0x89, 0x10}},
    {"mov %r11,(%rax)", {0x4c, 0x89, 0x18}},
    {"mov %r12,(%rax)", {0x4c, 0x89, 0x20}},
    {"mov %r13,(%rax)", {0x4c, 0x89, 0x28}},
    {"mov %r14,(%rax)", {0x4c, 0x89, 0x30}},
    {"mov %r15,(%rax)", {0x4c, 0x89, 0x38}},
};

// mov %rax,(%REG): the base through ModRM.rm / SIB.base + REX.B
const Encoding kStoreToEveryBase[] = {
    {"mov %rax,(%rax)", {0x48, 0x89, 0x00}},
    {"mov %rax,(%rcx)", {0x48, 0x89, 0x01}},
    {"mov %rax,(%rdx)", {0x48, 0x89, 0x02}},
    {"mov %rax,(%rbx)", {0x48, 0x89, 0x03}},
    {"mov %rax,(%rsp)", {0x48, 0x89, 0x04, 0x24}},
    {"mov %rax,(%rbp)", {0x48, 0x89, 0x45, 0x00}},
    {"mov %rax,(%rsi)", {0x48, 0x89, 0x06}},
    {"mov %rax,(%rdi)", {0x48, 0x89, 0x07}},
    {"mov %rax,(%r8)", {0x49, 0x89, 0x00}},
    {"mov %rax,(%r9)", {0x49, 0x89, 0x01}},
    {"mov %rax,(%r10)", {0x49, 0x89, 0x02}},
    {"mov %rax,(%r11)", {0x49, 0x89, 0x03}},
    {"mov %rax,(%r12)", {0x49, 0x89, 0x04, 0x24}},
    {"mov %rax,(%r13)", {0x49, 0x89, 0x45, 0x00}},
    {"mov %rax,(%r14)", {0x49, 0x89, 0x06}},
    {"mov %rax,(%r15)", {0x49, 0x89, 0x07}},
};

// mov %rax,(%rax,%REG,1): the index through SIB.index + REX.X (rsp cannot be one)
const Encoding kStoreWithEveryIndex[] = {
    {"mov %rax,(%rax,%rax,1)", {0x48, 0x89, 0x04, 0x00}},
    {"mov %rax,(%rax,%rcx,1)", {0x48, 0x89, 0x04, 0x08}},
    {"mov %rax,(%rax,%rdx,1)", {0x48, 0x89, 0x04, 0x10}},
    {"mov %rax,(%rax,%rbx,1)", {0x48, 0x89, 0x04, 0x18}},
    {"mov %rax,(%rax,%rbp,1)", {0x48, 0x89, 0x04, 0x28}},
    {"mov %rax,(%rax,%rsi,1)", {0x48, 0x89, 0x04, 0x30}},
    {"mov %rax,(%rax,%rdi,1)", {0x48, 0x89, 0x04, 0x38}},
    {"mov %rax,(%rax,%r8,1)", {0x4a, 0x89, 0x04, 0x00}},
    {"mov %rax,(%rax,%r9,1)", {0x4a, 0x89, 0x04, 0x08}},
    {"mov %rax,(%rax,%r10,1)", {0x4a, 0x89, 0x04, 0x10}},
    {"mov %rax,(%rax,%r11,1)", {0x4a, 0x89, 0x04, 0x18}},
    {"mov %rax,(%rax,%r12,1)", {0x4a, 0x89, 0x04, 0x20}},
    {"mov %rax,(%rax,%r13,1)", {0x4a, 0x89, 0x04, 0x28}},
    {"mov %rax,(%rax,%r14,1)", {0x4a, 0x89, 0x04, 0x30}},
    {"mov %rax,(%rax,%r15,1)", {0x4a, 0x89, 0x04, 0x38}},
};

// mov %cr4,%REG
const Encoding kReadCr4IntoEveryGpr[] = {
    {"mov %cr4,%rax", {0x0f, 0x20, 0xe0}},
    {"mov %cr4,%rcx", {0x0f, 0x20, 0xe1}},
    {"mov %cr4,%rdx", {0x0f, 0x20, 0xe2}},
    {"mov %cr4,%rbx", {0x0f, 0x20, 0xe3}},
    {"mov %cr4,%rsp", {0x0f, 0x20, 0xe4}},
    {"mov %cr4,%rbp", {0x0f, 0x20, 0xe5}},
    {"mov %cr4,%rsi", {0x0f, 0x20, 0xe6}},
    {"mov %cr4,%rdi", {0x0f, 0x20, 0xe7}},
    {"mov %cr4,%r8", {0x41, 0x0f, 0x20, 0xe0}},
    {"mov %cr4,%r9", {0x41, 0x0f, 0x20, 0xe1}},
    {"mov %cr4,%r10", {0x41, 0x0f, 0x20, 0xe2}},
    {"mov %cr4,%r11", {0x41, 0x0f, 0x20, 0xe3}},
    {"mov %cr4,%r12", {0x41, 0x0f, 0x20, 0xe4}},
    {"mov %cr4,%r13", {0x41, 0x0f, 0x20, 0xe5}},
    {"mov %cr4,%r14", {0x41, 0x0f, 0x20, 0xe6}},
    {"mov %cr4,%r15", {0x41, 0x0f, 0x20, 0xe7}},
};

// mov %REG,%cr3
const Encoding kWriteCr3FromEveryGpr[] = {
    {"mov %rax,%cr3", {0x0f, 0x22, 0xd8}},
    {"mov %rcx,%cr3", {0x0f, 0x22, 0xd9}},
    {"mov %rdx,%cr3", {0x0f, 0x22, 0xda}},
    {"mov %rbx,%cr3", {0x0f, 0x22, 0xdb}},
    {"mov %rsp,%cr3", {0x0f, 0x22, 0xdc}},
    {"mov %rbp,%cr3", {0x0f, 0x22, 0xdd}},
    {"mov %rsi,%cr3", {0x0f, 0x22, 0xde}},
    {"mov %rdi,%cr3", {0x0f, 0x22, 0xdf}},
    {"mov %r8,%cr3", {0x41, 0x0f, 0x22, 0xd8}},
    {"mov %r9,%cr3", {0x41, 0x0f, 0x22, 0xd9}},
    {"mov %r10,%cr3", {0x41, 0x0f, 0x22, 0xda}},
    {"mov %r11,%cr3", {0x41, 0x0f, 0x22, 0xdb}},
    {"mov %r12,%cr3", {0x41, 0x0f, 0x22, 0xdc}},
    {"mov %r13,%cr3", {0x41, 0x0f, 0x22, 0xdd}},
    {"mov %r14,%cr3", {0x41, 0x0f, 0x22, 0xde}},
    {"mov %r15,%cr3", {0x41, 0x0f, 0x22, 0xdf}},
};

// mov %REG8,(%rax): al..r15b (REX turns 4-7 into spl..dil), then ah..bh (no REX)
const Encoding kStoreEveryByteRegister[] = {
    {"mov %al,(%rax)", {0x88, 0x00}},
    {"mov %cl,(%rax)", {0x88, 0x08}},
    {"mov %dl,(%rax)", {0x88, 0x10}},
    {"mov %bl,(%rax)", {0x88, 0x18}},
    {"mov %spl,(%rax)", {0x40, 0x88, 0x20}},
    {"mov %bpl,(%rax)", {0x40, 0x88, 0x28}},
    {"mov %sil,(%rax)", {0x40, 0x88, 0x30}},
    {"mov %dil,(%rax)", {0x40, 0x88, 0x38}},
    {"mov %r8b,(%rax)", {0x44, 0x88, 0x00}},
    {"mov %r9b,(%rax)", {0x44, 0x88, 0x08}},
    {"mov %r10b,(%rax)", {0x44, 0x88, 0x10}},
    {"mov %r11b,(%rax)", {0x44, 0x88, 0x18}},
    {"mov %r12b,(%rax)", {0x44, 0x88, 0x20}},
    {"mov %r13b,(%rax)", {0x44, 0x88, 0x28}},
    {"mov %r14b,(%rax)", {0x44, 0x88, 0x30}},
    {"mov %r15b,(%rax)", {0x44, 0x88, 0x38}},
    {"mov %ah,(%rax)", {0x88, 0x20}},
    {"mov %ch,(%rax)", {0x88, 0x28}},
    {"mov %dh,(%rax)", {0x88, 0x30}},
    {"mov %bh,(%rax)", {0x88, 0x38}},
};

TEST(X86Decoder, EveryKindCaseDecodesToItsKindLengthAndSize) {
    for (const KindCase& c : kKindCases) {
        SCOPED_TRACE(c.text);
        // Exactly the instruction's bytes, and the same followed by unrelated bytes.
        Result<Instruction> exact = decode_bytes(c.bytes);
        ASSERT_TRUE(exact.ok()) << status_name(exact.status());
        const Instruction padded = decode_ok(c.bytes);
        for (const Instruction& inst : {exact.value(), padded}) {
            EXPECT_EQ(inst.kind, c.kind) << kind_name(inst.kind);
            EXPECT_EQ(inst.length, c.bytes.size());
            EXPECT_EQ(inst.operand_size, c.operand_size);
            EXPECT_EQ(is_memory_write(inst.kind), inst.kind >= Kind::Mov);
        }
    }
}

TEST(X86Decoder, EveryTruncationOfAValidInstructionAsksForMoreBytes) {
    for (const KindCase& c : kKindCases) {
        for (size_t n = 0; n < c.bytes.size(); ++n) {
            SCOPED_TRACE(testing::Message() << c.text << " cut at " << n);
            std::vector<uint8_t> cut(c.bytes.begin(), c.bytes.begin() + n);
            EXPECT_EQ(decode_bytes(cut).status(), Status::Range);
        }
    }
}

// --- Every register through REX ---

TEST(X86Decoder, EveryGprAsStoreSource) {
    for (unsigned r = 0; r < 16; ++r) {
        SCOPED_TRACE(kStoreFromEveryGpr[r].text);
        const Instruction i = decode_ok(kStoreFromEveryGpr[r].bytes);
        EXPECT_EQ(i.kind, Kind::Mov);
        EXPECT_EQ(i.gpr, static_cast<Gpr>(r));
        EXPECT_EQ(i.memory.base, Gpr::Rax);
    }
}

TEST(X86Decoder, EveryGprAsBase) {
    const Registers regs = distinct_registers();
    for (unsigned r = 0; r < 16; ++r) {
        SCOPED_TRACE(kStoreToEveryBase[r].text);
        const Instruction i = decode_ok(kStoreToEveryBase[r].bytes);
        EXPECT_EQ(i.gpr, Gpr::Rax);
        ASSERT_TRUE(i.memory.has_base);
        EXPECT_EQ(i.memory.base, static_cast<Gpr>(r));
        EXPECT_FALSE(i.memory.has_index);
        EXPECT_EQ(i.memory.displacement, 0);  // rbp/r13 get an explicit disp8 of 0
        EXPECT_EQ(effective_address(i, regs).value(), regs.gpr[r]);
    }
}

TEST(X86Decoder, EveryGprButRspAsIndex) {
    const Registers regs = distinct_registers();
    for (unsigned n = 0; n < 15; ++n) {
        const unsigned r = n < 4 ? n : n + 1;  // the table skips rsp
        SCOPED_TRACE(kStoreWithEveryIndex[n].text);
        const Instruction i = decode_ok(kStoreWithEveryIndex[n].bytes);
        ASSERT_TRUE(i.memory.has_index);
        EXPECT_EQ(i.memory.index, static_cast<Gpr>(r));
        EXPECT_EQ(i.memory.base, Gpr::Rax);
        EXPECT_EQ(i.memory.scale, 1);
        EXPECT_EQ(effective_address(i, regs).value(), regs.gpr[0] + regs.gpr[r]);
    }
}

TEST(X86Decoder, EveryGprWithControlRegisters) {
    for (unsigned r = 0; r < 16; ++r) {
        SCOPED_TRACE(kReadCr4IntoEveryGpr[r].text);
        const Instruction read = decode_ok(kReadCr4IntoEveryGpr[r].bytes);
        EXPECT_EQ(read.kind, Kind::MovFromCr);
        EXPECT_EQ(read.control_register, 4);
        EXPECT_EQ(read.gpr, static_cast<Gpr>(r));
        const Instruction write = decode_ok(kWriteCr3FromEveryGpr[r].bytes);
        EXPECT_EQ(write.kind, Kind::MovToCr);
        EXPECT_EQ(write.control_register, 3);
        EXPECT_EQ(write.gpr, static_cast<Gpr>(r));
    }
}

TEST(X86Decoder, EveryByteRegister) {
    for (unsigned n = 0; n < 20; ++n) {
        SCOPED_TRACE(kStoreEveryByteRegister[n].text);
        const Instruction i = decode_ok(kStoreEveryByteRegister[n].bytes);
        EXPECT_EQ(i.operand_size, 1);
        if (n < 16) {
            EXPECT_EQ(i.gpr, static_cast<Gpr>(n));
            EXPECT_FALSE(i.gpr_high_byte);
        } else {
            EXPECT_EQ(i.gpr, static_cast<Gpr>(n - 16));  // ah=rax, ch=rcx, dh=rdx, bh=rbx
            EXPECT_TRUE(i.gpr_high_byte);
        }
    }
}

// --- Addressing forms and effective_address ---

TEST(X86Decoder, AddressingForms) {
    Registers regs = distinct_registers();
    regs[Gpr::Rdi] = 0xdeadbeef12345678ull;
    const uint64_t rip = regs.rip;
    struct Case {
        const char* text;
        std::vector<uint8_t> bytes;
        uint64_t address;
    };
    const Case cases[] = {
        {"mov %rsi,(%rdi)", {0x48, 0x89, 0x37}, regs[Gpr::Rdi]},
        {"mov %rsi,%fs:(%rdi)", {0x64, 0x48, 0x89, 0x37}, regs.fs_base + regs[Gpr::Rdi]},
        {"mov %rsi,%gs:0x10", {0x65, 0x48, 0x89, 0x34, 0x25, 0x10, 0x00, 0x00, 0x00}, regs.gs_base + 0x10},
        {"mov %rsi,0x10(%rip)", {0x48, 0x89, 0x35, 0x10, 0x00, 0x00, 0x00}, rip + 7 + 0x10},
        {"mov %rsi,(%edi)", {0x67, 0x48, 0x89, 0x37}, 0x12345678},
        {"mov %rsi,0x10(%eip)", {0x67, 0x48, 0x89, 0x35, 0x10, 0x00, 0x00, 0x00}, (rip + 8 + 0x10) & 0xffffffff},
        {"mov %rsi,0x12345678", {0x48, 0x89, 0x34, 0x25, 0x78, 0x56, 0x34, 0x12}, 0x12345678},
        {"mov %rsi,(,%rcx,8)", {0x48, 0x89, 0x34, 0xcd, 0x00, 0x00, 0x00, 0x00}, regs[Gpr::Rcx] * 8},
        {"mov %rsi,0x8(,%r9,4)", {0x4a, 0x89, 0x34, 0x8d, 0x08, 0x00, 0x00, 0x00}, regs[Gpr::R9] * 4 + 8},
        {"mov %rsi,(%rax,%rbx,2)", {0x48, 0x89, 0x34, 0x58}, regs[Gpr::Rax] + regs[Gpr::Rbx] * 2},
        {"mov %rsi,-0x80(%rsp)", {0x48, 0x89, 0x74, 0x24, 0x80}, regs[Gpr::Rsp] - 0x80},
        {"mov %rsi,(%rbp)", {0x48, 0x89, 0x75, 0x00}, regs[Gpr::Rbp]},
        {"mov %rsi,(%r13)", {0x49, 0x89, 0x75, 0x00}, regs[Gpr::R13]},
        {"mov %rsi,(%r12)", {0x49, 0x89, 0x34, 0x24}, regs[Gpr::R12]},
        {"mov %rsi,(%r12,%r12,1)", {0x4b, 0x89, 0x34, 0x24}, regs[Gpr::R12] * 2},
        {"mov %rsi,0x7fffffff(%r8,%r15,8)", {0x4b, 0x89, 0xb4, 0xf8, 0xff, 0xff, 0xff, 0x7f},
         regs[Gpr::R8] + regs[Gpr::R15] * 8 + 0x7fffffff},
        {"mov %rsi,-0x80000000(%rdx)", {0x48, 0x89, 0xb2, 0x00, 0x00, 0x00, 0x80}, regs[Gpr::Rdx] - 0x80000000ull},
        // The immediate follows the displacement: RIP-relative counts it (next instruction).
        {"movq $0x12345678,0x10(%rip)", {0x48, 0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12},
         rip + 11 + 0x10},
        {"lock btsq $1,%gs:0x8(%rax)", {0x65, 0xf0, 0x48, 0x0f, 0xba, 0x68, 0x08, 0x01},
         regs.gs_base + regs[Gpr::Rax] + 8},
        {"stosq", {0x48, 0xab}, regs[Gpr::Rdi]},
        {"addr32 stosq", {0x67, 0x48, 0xab}, 0x12345678},
        {"outsb %fs:(%rsi),(%dx)", {0x64, 0x6e}, regs.fs_base + regs[Gpr::Rsi]},
        {"invlpg (%rdi)", {0x0f, 0x01, 0x3f}, regs[Gpr::Rdi]},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.text);
        const Instruction i = decode_ok(c.bytes);
        EXPECT_EQ(i.length, c.bytes.size());
        Result<uint64_t> address = effective_address(i, regs);
        ASSERT_TRUE(address.ok());
        EXPECT_EQ(address.value(), c.address);
    }
}

TEST(X86Decoder, SibSpecialCases) {
    // mov %rsi,(,%rcx,8): SIB base 5 with mod 0 is "no base, disp32".
    Instruction i = decode_ok({0x48, 0x89, 0x34, 0xcd, 0x00, 0x00, 0x00, 0x00});
    EXPECT_FALSE(i.memory.has_base);
    EXPECT_TRUE(i.memory.has_index);
    EXPECT_EQ(i.memory.scale, 8);
    // mov %rsi,0x12345678: SIB index 4 is "no index", base 5 mod 0 is "no base".
    i = decode_ok({0x48, 0x89, 0x34, 0x25, 0x78, 0x56, 0x34, 0x12});
    EXPECT_FALSE(i.memory.has_base);
    EXPECT_FALSE(i.memory.has_index);
    EXPECT_FALSE(i.memory.rip_relative);
    EXPECT_EQ(i.memory.displacement, 0x12345678);
    // REX.B + SIB base 5 + mod 0 (41 89 34 25 ...) is still "no base" (r13 needs mod 1).
    i = decode_ok({0x49, 0x89, 0x34, 0x25, 0x78, 0x56, 0x34, 0x12});
    EXPECT_FALSE(i.memory.has_base);
    EXPECT_EQ(i.length, 8);
    // REX.B + rm 5 + mod 0 is RIP-relative, not r13.
    i = decode_ok({0x49, 0x89, 0x35, 0x10, 0x00, 0x00, 0x00});
    EXPECT_TRUE(i.memory.rip_relative);
    EXPECT_FALSE(i.memory.has_base);
    // REX.X + SIB index 4 is r12, a real index.
    i = decode_ok({0x4b, 0x89, 0x34, 0x24});  // mov %rsi,(%r12,%r12,1)
    EXPECT_TRUE(i.memory.has_index);
    EXPECT_EQ(i.memory.index, Gpr::R12);
    // Stack-based addresses default to SS (base 0 in 64-bit mode, like DS).
    EXPECT_EQ(decode_ok({0x48, 0x89, 0x74, 0x24, 0x80}).memory.segment, Segment::Ss);
}

TEST(X86Decoder, BitOffsetRegisterSelectsTheWord) {
    Registers regs = distinct_registers();
    const uint64_t base = regs[Gpr::Rdi];
    const Instruction q = decode_ok({0xf0, 0x48, 0x0f, 0xab, 0x37});  // lock bts %rsi,(%rdi)
    regs[Gpr::Rsi] = 130;
    EXPECT_EQ(effective_address(q, regs).value(), base + 16);
    regs[Gpr::Rsi] = static_cast<uint64_t>(-1);
    EXPECT_EQ(effective_address(q, regs).value(), base - 8);
    const Instruction l = decode_ok({0x0f, 0xab, 0x37});  // bts %esi,(%rdi)
    regs[Gpr::Rsi] = 0xffffffff;  // -1 as a 32-bit offset
    EXPECT_EQ(effective_address(l, regs).value(), base - 4);
    regs[Gpr::Rsi] = 0x100000040;  // upper half ignored: offset 64 -> +8
    EXPECT_EQ(effective_address(l, regs).value(), base + 8);
    const Instruction w = decode_ok({0x66, 0x0f, 0xab, 0x37});  // bts %si,(%rdi)
    regs[Gpr::Rsi] = 0x8000;  // -32768 -> word -2048
    EXPECT_EQ(effective_address(w, regs).value(), base - 4096);
    // The immediate form stays inside the operand.
    const Instruction imm = decode_ok({0x48, 0x0f, 0xba, 0x3f, 0x3f});  // btcq $63,(%rdi)
    EXPECT_EQ(effective_address(imm, regs).value(), base);
}

TEST(X86Decoder, NoMemoryOperandHasNoAddress) {
    EXPECT_EQ(effective_address(decode_ok({0xfa}), distinct_registers()).status(), Status::InvalidArgument);
    EXPECT_EQ(effective_address(decode_ok({0x0f, 0x20, 0xd7}), distinct_registers()).status(),
              Status::InvalidArgument);
}

// --- Prefixes ---

TEST(X86Decoder, PrefixesInAnyOrder) {
    for (const std::vector<uint8_t>& bytes : std::vector<std::vector<uint8_t>>{
             {0x66, 0xf3, 0xab}, {0xf3, 0x66, 0xab}}) {  // rep stosw, both orders
        const Instruction i = decode_ok(bytes);
        EXPECT_EQ(i.kind, Kind::Stos);
        EXPECT_EQ(i.operand_size, 2);
        EXPECT_EQ(i.rep, RepPrefix::Rep);
        EXPECT_EQ(i.length, 3);
    }
    // lock before or after the segment override: lock btsq $1,%gs:0x8(%rax)
    for (const std::vector<uint8_t>& bytes : std::vector<std::vector<uint8_t>>{
             {0x65, 0xf0, 0x48, 0x0f, 0xba, 0x68, 0x08, 0x01},
             {0xf0, 0x65, 0x48, 0x0f, 0xba, 0x68, 0x08, 0x01}}) {
        const Instruction i = decode_ok(bytes);
        EXPECT_EQ(i.kind, Kind::Bts);
        EXPECT_TRUE(i.lock);
        EXPECT_EQ(i.memory.segment, Segment::Gs);
        EXPECT_EQ(i.immediate, 1u);
    }
}

TEST(X86Decoder, LastSegmentOverrideWins) {
    const Instruction i = decode_ok({0x64, 0x65, 0x48, 0x89, 0x37});
    EXPECT_EQ(i.segment_override, Segment::Gs);
    EXPECT_EQ(i.memory.segment, Segment::Gs);
    EXPECT_EQ(i.length, 5);
}

TEST(X86Decoder, RexOnlyCountsRightBeforeTheOpcode) {
    // 48 66 89 37: the REX.W is followed by a legacy prefix, so it is ignored: mov %si,(%rdi).
    Instruction i = decode_ok({0x48, 0x66, 0x89, 0x37});
    EXPECT_EQ(i.operand_size, 2);
    EXPECT_EQ(i.length, 4);
    // 66 48 89 37: REX.W wins over 66.
    i = decode_ok({0x66, 0x48, 0x89, 0x37});
    EXPECT_EQ(i.operand_size, 8);
    // 41 48 89 37: two REX, only the last counts (no REX.B).
    i = decode_ok({0x41, 0x48, 0x89, 0x37});
    EXPECT_EQ(i.memory.base, Gpr::Rdi);
    EXPECT_EQ(i.operand_size, 8);
    // A bare REX (40) turns byte register 6 into sil instead of dh.
    i = decode_ok({0x40, 0x88, 0x77, 0x01});  // mov %sil,1(%rdi)
    EXPECT_EQ(i.gpr, Gpr::Rsi);
    EXPECT_FALSE(i.gpr_high_byte);
    i = decode_ok({0x40, 0x3e, 0x88, 0x77, 0x01});  // the REX is cancelled: mov %dh,%ds:1(%rdi)
    EXPECT_EQ(i.gpr, Gpr::Rdx);
    EXPECT_TRUE(i.gpr_high_byte);
}

TEST(X86Decoder, FifteenByteLimit) {
    // 14 redundant prefixes + cli = 15 bytes: fine.
    std::vector<uint8_t> bytes(14, 0x3e);
    bytes.push_back(0xfa);
    Result<Instruction> ok = decode_bytes(bytes);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->kind, Kind::Cli);
    EXPECT_EQ(ok->length, 15);
    // 15 prefixes + cli = 16 bytes: #GP on hardware.
    bytes.insert(bytes.begin(), 0x3e);
    EXPECT_EQ(decode_bytes(bytes).status(), Status::InvalidArgument);
    // A real 15-byte instruction, and the same with one more prefix (`as` does not object):
    //   cs; movq $0x04030201,%gs:0x12345678(%eax,%ebx,8)
    const std::vector<uint8_t> longest = {0x2e, 0x65, 0x67, 0x48, 0xc7, 0x84, 0xd8, 0x78,
                                          0x56, 0x34, 0x12, 0x01, 0x02, 0x03, 0x04};
    Result<Instruction> l = decode_bytes(longest);
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->length, 15);
    EXPECT_EQ(l->immediate, 0x04030201u);
    EXPECT_EQ(l->address_size, 4);
    //   gs; cs; movq $0x04030201,%gs:0x12345678(%eax,%ebx,8)
    const std::vector<uint8_t> too_long = {0x65, 0x2e, 0x65, 0x67, 0x48, 0xc7, 0x84, 0xd8,
                                           0x78, 0x56, 0x34, 0x12, 0x01, 0x02, 0x03, 0x04};
    EXPECT_EQ(decode_bytes(too_long).status(), Status::InvalidArgument);
    // Fewer bytes than 15 that end inside the prefixes: just truncated.
    EXPECT_EQ(decode_bytes(std::vector<uint8_t>(10, 0x66)).status(), Status::Range);
    EXPECT_EQ(decode_bytes(std::vector<uint8_t>(15, 0x66)).status(), Status::InvalidArgument);
    EXPECT_EQ(decode_bytes(std::vector<uint8_t>(40, 0x66)).status(), Status::InvalidArgument);
}

TEST(X86Decoder, EmptyInputIsTruncated) {
    EXPECT_EQ(decode(std::span<const uint8_t>()).status(), Status::Range);
}

// --- What is refused ---

TEST(X86Decoder, LockOnlyWhereTheCpuAllowsIt) {
    EXPECT_EQ(decode_bytes({0xf0, 0x48, 0x89, 0x37}).status(), Status::InvalidArgument);  // lock mov
    EXPECT_EQ(decode_bytes({0xf0, 0xfa}).status(), Status::InvalidArgument);              // lock cli
    EXPECT_EQ(decode_bytes({0xf0, 0x0f, 0x30}).status(), Status::InvalidArgument);        // lock wrmsr
    EXPECT_EQ(decode_bytes({0xf0, 0x48, 0xab}).status(), Status::InvalidArgument);        // lock stosq
    EXPECT_EQ(decode_bytes({0xf0, 0x48, 0x0f, 0xc3, 0x37}).status(), Status::InvalidArgument);  // movnti
    EXPECT_TRUE(decode_bytes({0xf0, 0x48, 0x87, 0x07}).ok());  // lock xchg %rax,(%rdi)
}

TEST(X86Decoder, UnsupportedValidInstructions) {
    const Encoding cases[] = {
        {"adc %rsi,(%rdi)", {0x48, 0x11, 0x37}},
        {"adcq $1,(%rdi)", {0x48, 0x83, 0x17, 0x01}},
        {"cmpq $1,(%rdi)", {0x48, 0x83, 0x3f, 0x01}},
        {"btq $1,(%rdi)", {0x48, 0x0f, 0xba, 0x27, 0x01}},
        {"incq (%rdi)", {0x48, 0xff, 0x07}},
        {"mov %rsi,%rdi", {0x48, 0x89, 0xf7}},
        {"xchg %rsi,%rdi", {0x48, 0x87, 0xf7}},
        {"cmpxchg %rsi,%rdi", {0x48, 0x0f, 0xb1, 0xf7}},
        {"rdrand %rax", {0x48, 0x0f, 0xc7, 0xf0}},
        {"nop", {0x90}},
        {"syscall", {0x0f, 0x05}},
        {"verr %ax", {0x0f, 0x00, 0xe0}},
        {"xabort $1", {0xc6, 0xf8, 0x01}},
    };
    for (const Encoding& c : cases)
        EXPECT_EQ(decode_bytes(c.bytes).status(), Status::NotSupported) << c.text;
}

TEST(X86Decoder, EncodingsTheCpuRejects) {
    EXPECT_EQ(decode_bytes({0x0f, 0xc7, 0xc8}).status(), Status::InvalidArgument);  // cmpxchg8b with a register
    EXPECT_EQ(decode_bytes({0x66, 0x0f, 0xc3, 0x37}).status(), Status::InvalidArgument);  // 66 movnti
    EXPECT_EQ(decode_bytes({0x0f, 0x00, 0x37}).status(), Status::InvalidArgument);  // 0F 00 /6
    EXPECT_EQ(decode_bytes({0x0f, 0xba, 0x07, 0x01}).status(), Status::InvalidArgument);  // 0F BA /0
}

// --- Random input: the decoder's own guarantees (the fuzzer does this at scale) ---

TEST(X86Decoder, RandomBytesRespectTheLengthContract) {
    std::mt19937_64 rng(12345);
    const Registers regs = distinct_registers();
    for (int iteration = 0; iteration < 200000; ++iteration) {
        uint8_t buffer[16];
        const size_t size = rng() % 17;
        for (uint8_t& b : buffer)
            b = static_cast<uint8_t>(rng());
        // Bias towards interesting opcodes: prefixes, 0F and the memory-write opcodes.
        static constexpr uint8_t kHot[] = {0x0f, 0x48, 0x66, 0x67, 0xf0, 0xf3, 0x64, 0x89, 0xc7,
                                           0x87, 0x81, 0x83, 0xab, 0x20, 0x22, 0x01, 0xba, 0xb1};
        for (uint8_t& b : buffer)
            if (rng() % 3 == 0)
                b = kHot[rng() % sizeof(kHot)];
        Result<Instruction> r = decode(std::span<const uint8_t>(buffer, size));
        if (!r.ok())
            continue;
        ASSERT_GE(r->length, 1);
        ASSERT_LE(r->length, kMaxInstructionLength);
        ASSERT_LE(r->length, size);
        if (r->has_memory) {
            ASSERT_TRUE(r->memory.scale == 1 || r->memory.scale == 2 || r->memory.scale == 4 ||
                        r->memory.scale == 8);
            ASSERT_FALSE(r->memory.has_index && r->memory.index == Gpr::Rsp);
            ASSERT_TRUE(effective_address(*r, regs).ok());
        }
        // Decoding only the instruction's own bytes gives the same result.
        Result<Instruction> again = decode(std::span<const uint8_t>(buffer, r->length));
        if (r->kind != Kind::Ud2) {  // a bare ud2 could be the start of the forced CPUID
            ASSERT_TRUE(again.ok());
            ASSERT_EQ(again->kind, r->kind);
            ASSERT_EQ(again->length, r->length);
        }
    }
}

}  // namespace
}  // namespace hv::x86
