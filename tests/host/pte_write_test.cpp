// Host tests of the page-table store emulation (hypervisor/x86/pte_write.hpp).
//
// The core check runs each instruction twice: natively on the host CPU (inline asm on a
// real 8-byte word, flags captured with pushfq) and through decode + emulate_pte_write on
// the bytes GNU as (`as --64`) produced for the same AT&T text. Memory, registers and every
// flag the SDM defines for the instruction must agree, over random and boundary inputs.
#include "x86/pte_write.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "x86/decoder.hpp"

namespace hv::x86 {
namespace {

struct HostState {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, r8, r15, rflags;
};

// Runs one instruction on the host with the given registers and flags. The red zone is
// skipped before pushing; DF is cleared again before returning to compiled code.
#define HOST_RUN(insn)                                                                    \
    [](HostState s) {                                                                     \
        register uint64_t r8 asm("r8") = s.r8;                                            \
        register uint64_t r15 asm("r15") = s.r15;                                         \
        asm volatile("sub $128, %%rsp\n\t"                                                \
                     "push %[flags]\n\t"                                                  \
                     "popfq\n\t" insn "\n\t"                                              \
                     "pushfq\n\t"                                                         \
                     "pop %[flags]\n\t"                                                   \
                     "cld\n\t"                                                            \
                     "add $128, %%rsp"                                                    \
                     : [flags] "+r"(s.rflags), "+a"(s.rax), "+b"(s.rbx), "+c"(s.rcx),     \
                       "+d"(s.rdx), "+S"(s.rsi), "+D"(s.rdi), "+r"(r8), "+r"(r15)         \
                     :                                                                    \
                     : "memory", "cc");                                                   \
        s.r8 = r8;                                                                        \
        s.r15 = r15;                                                                      \
        return s;                                                                         \
    }

// What to force on the random inputs so the host instruction stays inside the test word
// or exercises both outcomes.
enum class Setup : uint8_t {
    None,
    BitOffset64,     // rsi in [0, 63]
    BitOffset32,     // esi in [0, 31]
    CompareHit,      // half the time the accumulator equals the operand at `offset`
    CompareHit8b,    // half the time EDX:EAX equals the word
    CountOne,        // rcx = 1 (rep stos)
};

constexpr uint64_t kArithmeticFlags = kStatusFlags;
constexpr uint64_t kLogicFlags = kCarryFlag | kParityFlag | kZeroFlag | kSignFlag | kOverflowFlag;
constexpr uint64_t kBitFlags = kCarryFlag | kZeroFlag;  // OF SF AF PF undefined, ZF unaffected

struct HostOp {
    const char* text;
    std::vector<uint8_t> bytes;  // from `as --64`
    HostState (*run)(HostState);
    uint64_t defined_flags;      // compared with the host
    Setup setup;
    unsigned offset;             // byte offset of the operand in the word (for CompareHit)
    unsigned size;
};

const HostOp kHostOps[] = {
    {"lock add %rsi,(%rdi)", {0xf0, 0x48, 0x01, 0x37}, HOST_RUN("lock add %%rsi,(%%rdi)"), kArithmeticFlags, Setup::None, 0, 8},
    {"lock sub %rsi,(%rdi)", {0xf0, 0x48, 0x29, 0x37}, HOST_RUN("lock sub %%rsi,(%%rdi)"), kArithmeticFlags, Setup::None, 0, 8},
    {"lock or %rsi,(%rdi)", {0xf0, 0x48, 0x09, 0x37}, HOST_RUN("lock or %%rsi,(%%rdi)"), kLogicFlags, Setup::None, 0, 8},
    {"lock and %rsi,(%rdi)", {0xf0, 0x48, 0x21, 0x37}, HOST_RUN("lock and %%rsi,(%%rdi)"), kLogicFlags, Setup::None, 0, 8},
    {"lock xor %rsi,(%rdi)", {0xf0, 0x48, 0x31, 0x37}, HOST_RUN("lock xor %%rsi,(%%rdi)"), kLogicFlags, Setup::None, 0, 8},
    {"add %esi,4(%rdi)", {0x01, 0x77, 0x04}, HOST_RUN("add %%esi,4(%%rdi)"), kArithmeticFlags, Setup::None, 4, 4},
    {"sub %si,2(%rdi)", {0x66, 0x29, 0x77, 0x02}, HOST_RUN("sub %%si,2(%%rdi)"), kArithmeticFlags, Setup::None, 2, 2},
    {"add %sil,1(%rdi)", {0x40, 0x00, 0x77, 0x01}, HOST_RUN("add %%sil,1(%%rdi)"), kArithmeticFlags, Setup::None, 1, 1},
    {"sub %dh,7(%rdi)", {0x28, 0x77, 0x07}, HOST_RUN("sub %%dh,7(%%rdi)"), kArithmeticFlags, Setup::None, 7, 1},
    {"or %sil,1(%rdi)", {0x40, 0x08, 0x77, 0x01}, HOST_RUN("or %%sil,1(%%rdi)"), kLogicFlags, Setup::None, 1, 1},
    {"xor %r8,(%rdi)", {0x4c, 0x31, 0x07}, HOST_RUN("xor %%r8,(%%rdi)"), kLogicFlags, Setup::None, 0, 8},
    {"lock and %r15d,4(%rdi)", {0xf0, 0x44, 0x21, 0x7f, 0x04}, HOST_RUN("lock and %%r15d,4(%%rdi)"), kLogicFlags, Setup::None, 4, 4},
    {"lock andb $0xfd,(%rdi)", {0xf0, 0x80, 0x27, 0xfd}, HOST_RUN("lock andb $0xfd,(%%rdi)"), kLogicFlags, Setup::None, 0, 1},
    {"lock orb $0x2,(%rdi)", {0xf0, 0x80, 0x0f, 0x02}, HOST_RUN("lock orb $0x2,(%%rdi)"), kLogicFlags, Setup::None, 0, 1},
    {"addq $-0x3,(%rdi)", {0x48, 0x83, 0x07, 0xfd}, HOST_RUN("addq $-0x3,(%%rdi)"), kArithmeticFlags, Setup::None, 0, 8},
    {"subl $0x7fffffff,4(%rdi)", {0x81, 0x6f, 0x04, 0xff, 0xff, 0xff, 0x7f}, HOST_RUN("subl $0x7fffffff,4(%%rdi)"), kArithmeticFlags, Setup::None, 4, 4},
    {"xorw $0x8001,6(%rdi)", {0x66, 0x81, 0x77, 0x06, 0x01, 0x80}, HOST_RUN("xorw $0x8001,6(%%rdi)"), kLogicFlags, Setup::None, 6, 2},
    {"andq $0x7fffffff,(%rdi)", {0x48, 0x81, 0x27, 0xff, 0xff, 0xff, 0x7f}, HOST_RUN("andq $0x7fffffff,(%%rdi)"), kLogicFlags, Setup::None, 0, 8},
    {"andq $-0x3,(%rdi)", {0x48, 0x83, 0x27, 0xfd}, HOST_RUN("andq $-0x3,(%%rdi)"), kLogicFlags, Setup::None, 0, 8},
    {"orq $0x67,(%rdi)", {0x48, 0x83, 0x0f, 0x67}, HOST_RUN("orq $0x67,(%%rdi)"), kLogicFlags, Setup::None, 0, 8},
    {"subw $2,2(%rdi)", {0x66, 0x83, 0x6f, 0x02, 0x02}, HOST_RUN("subw $2,2(%%rdi)"), kArithmeticFlags, Setup::None, 2, 2},
    {"addl $1,4(%rdi)", {0x83, 0x47, 0x04, 0x01}, HOST_RUN("addl $1,4(%%rdi)"), kArithmeticFlags, Setup::None, 4, 4},
    {"lock cmpxchg %rsi,(%rdi)", {0xf0, 0x48, 0x0f, 0xb1, 0x37}, HOST_RUN("lock cmpxchg %%rsi,(%%rdi)"), kArithmeticFlags, Setup::CompareHit, 0, 8},
    {"lock cmpxchg %esi,4(%rdi)", {0xf0, 0x0f, 0xb1, 0x77, 0x04}, HOST_RUN("lock cmpxchg %%esi,4(%%rdi)"), kArithmeticFlags, Setup::CompareHit, 4, 4},
    {"lock cmpxchg %sil,3(%rdi)", {0xf0, 0x40, 0x0f, 0xb0, 0x77, 0x03}, HOST_RUN("lock cmpxchg %%sil,3(%%rdi)"), kArithmeticFlags, Setup::CompareHit, 3, 1},
    {"lock cmpxchg8b (%rdi)", {0xf0, 0x0f, 0xc7, 0x0f}, HOST_RUN("lock cmpxchg8b (%%rdi)"), kStatusFlags, Setup::CompareHit8b, 0, 8},
    {"xchg %rsi,(%rdi)", {0x48, 0x87, 0x37}, HOST_RUN("xchg %%rsi,(%%rdi)"), kStatusFlags, Setup::None, 0, 8},
    {"xchg %esi,4(%rdi)", {0x87, 0x77, 0x04}, HOST_RUN("xchg %%esi,4(%%rdi)"), kStatusFlags, Setup::None, 4, 4},
    {"xchg %dh,2(%rdi)", {0x86, 0x77, 0x02}, HOST_RUN("xchg %%dh,2(%%rdi)"), kStatusFlags, Setup::None, 2, 1},
    {"lock btsq $1,(%rdi)", {0xf0, 0x48, 0x0f, 0xba, 0x2f, 0x01}, HOST_RUN("lock btsq $1,(%%rdi)"), kBitFlags, Setup::None, 0, 8},
    {"lock btrq $5,(%rdi)", {0xf0, 0x48, 0x0f, 0xba, 0x37, 0x05}, HOST_RUN("lock btrq $5,(%%rdi)"), kBitFlags, Setup::None, 0, 8},
    {"btcq $63,(%rdi)", {0x48, 0x0f, 0xba, 0x3f, 0x3f}, HOST_RUN("btcq $63,(%%rdi)"), kBitFlags, Setup::None, 0, 8},
    {"btsl $3,4(%rdi)", {0x0f, 0xba, 0x6f, 0x04, 0x03}, HOST_RUN("btsl $3,4(%%rdi)"), kBitFlags, Setup::None, 4, 4},
    {"lock bts %rsi,(%rdi)", {0xf0, 0x48, 0x0f, 0xab, 0x37}, HOST_RUN("lock bts %%rsi,(%%rdi)"), kBitFlags, Setup::BitOffset64, 0, 8},
    {"lock btr %rsi,(%rdi)", {0xf0, 0x48, 0x0f, 0xb3, 0x37}, HOST_RUN("lock btr %%rsi,(%%rdi)"), kBitFlags, Setup::BitOffset64, 0, 8},
    {"btc %rsi,(%rdi)", {0x48, 0x0f, 0xbb, 0x37}, HOST_RUN("btc %%rsi,(%%rdi)"), kBitFlags, Setup::BitOffset64, 0, 8},
    {"lock btr %esi,4(%rdi)", {0xf0, 0x0f, 0xb3, 0x77, 0x04}, HOST_RUN("lock btr %%esi,4(%%rdi)"), kBitFlags, Setup::BitOffset32, 4, 4},
    {"movq $-1,(%rdi)", {0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff}, HOST_RUN("movq $-1,(%%rdi)"), kStatusFlags, Setup::None, 0, 8},
    {"movl $0x80000000,4(%rdi)", {0xc7, 0x47, 0x04, 0x00, 0x00, 0x00, 0x80}, HOST_RUN("movl $0x80000000,4(%%rdi)"), kStatusFlags, Setup::None, 4, 4},
    {"mov %rsi,(%rdi)", {0x48, 0x89, 0x37}, HOST_RUN("mov %%rsi,(%%rdi)"), kStatusFlags, Setup::None, 0, 8},
    {"mov %esi,4(%rdi)", {0x89, 0x77, 0x04}, HOST_RUN("mov %%esi,4(%%rdi)"), kStatusFlags, Setup::None, 4, 4},
    {"mov %ah,3(%rdi)", {0x88, 0x67, 0x03}, HOST_RUN("mov %%ah,3(%%rdi)"), kStatusFlags, Setup::None, 3, 1},
    {"movnti %rsi,(%rdi)", {0x48, 0x0f, 0xc3, 0x37}, HOST_RUN("movnti %%rsi,(%%rdi)"), kStatusFlags, Setup::None, 0, 8},
    {"stosq", {0x48, 0xab}, HOST_RUN("stosq"), kStatusFlags, Setup::None, 0, 8},
    {"stosl", {0xab}, HOST_RUN("stosl"), kStatusFlags, Setup::None, 0, 4},
    {"stosb", {0xaa}, HOST_RUN("stosb"), kStatusFlags, Setup::None, 0, 1},
    {"rep stosq", {0xf3, 0x48, 0xab}, HOST_RUN("rep stosq"), kStatusFlags, Setup::CountOne, 0, 8},
    {"rep stosw", {0x66, 0xf3, 0xab}, HOST_RUN("rep stosw"), kStatusFlags, Setup::CountOne, 0, 2},
};

// Random values with a strong bias towards carry/overflow/sign boundaries of every width.
uint64_t interesting(std::mt19937_64& rng) {
    static constexpr uint64_t kEdges[] = {
        0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
        0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff, 0x8000000000000000,
        0xffffffffffffffff, 0x8000000000000067, 0x00000001234a5067,
    };
    switch (rng() % 4) {
    case 0: return kEdges[rng() % (sizeof(kEdges) / sizeof(kEdges[0]))];
    case 1: return kEdges[rng() % (sizeof(kEdges) / sizeof(kEdges[0]))] ^ (rng() << 32);
    default: return rng();
    }
}

Registers to_registers(const HostState& s) {
    Registers regs{};
    regs[Gpr::Rax] = s.rax;
    regs[Gpr::Rbx] = s.rbx;
    regs[Gpr::Rcx] = s.rcx;
    regs[Gpr::Rdx] = s.rdx;
    regs[Gpr::Rsi] = s.rsi;
    regs[Gpr::Rdi] = s.rdi;
    regs[Gpr::R8] = s.r8;
    regs[Gpr::R15] = s.r15;
    regs.rflags = s.rflags;
    regs.rip = 0xffffffff81234560ull;
    return regs;
}

void compare_with_host(const HostOp& op, std::mt19937_64& rng) {
    alignas(8) uint64_t word = interesting(rng);
    const uint64_t old_word = word;
    HostState in{interesting(rng), interesting(rng), interesting(rng), interesting(rng),
                 interesting(rng), reinterpret_cast<uint64_t>(&word), interesting(rng),
                 interesting(rng), 0};
    // Status flags and DF at random; IF set (popfq at CPL 3 cannot change it anyway).
    in.rflags = 0x202 | (rng() & (kStatusFlags | kDirectionFlag));
    const uint64_t operand = (old_word >> (op.offset * 8)) & size_mask(op.size);
    switch (op.setup) {
    case Setup::None: break;
    case Setup::BitOffset64: in.rsi &= 63; break;
    case Setup::BitOffset32: in.rsi = (in.rsi & ~uint64_t{0xffffffff}) | (in.rsi & 31); break;
    case Setup::CompareHit:
        if (rng() & 1)
            in.rax = (in.rax & ~size_mask(op.size)) | operand;
        break;
    case Setup::CompareHit8b:
        if (rng() & 1) {
            in.rax = (in.rax & ~uint64_t{0xffffffff}) | (old_word & 0xffffffff);
            in.rdx = (in.rdx & ~uint64_t{0xffffffff}) | (old_word >> 32);
        }
        break;
    case Setup::CountOne: in.rcx = 1; break;
    }

    const HostState out = op.run(in);

    const Registers regs = to_registers(in);
    Result<Instruction> inst = decode(std::span<const uint8_t>(op.bytes.data(), op.bytes.size()));
    ASSERT_TRUE(inst.ok());
    Result<uint64_t> address = effective_address(*inst, regs);
    ASSERT_TRUE(address.ok());
    Result<PteWriteEffect> effect = emulate_pte_write(*inst, regs, *address, old_word);
    ASSERT_TRUE(effect.ok()) << status_name(effect.status());

    SCOPED_TRACE(testing::Message() << std::hex << "word=" << old_word << " rax=" << in.rax
                                    << " rsi=" << in.rsi << " rdx=" << in.rdx
                                    << " flags=" << in.rflags);
    EXPECT_EQ(effect->pte_address, reinterpret_cast<uint64_t>(&word));
    EXPECT_EQ(effect->new_value, word);
    if (!effect->writes_memory) {
        EXPECT_EQ(word, old_word);
    }
    const Registers& after = effect->registers;
    EXPECT_EQ(after[Gpr::Rax], out.rax);
    EXPECT_EQ(after[Gpr::Rbx], out.rbx);
    EXPECT_EQ(after[Gpr::Rcx], out.rcx);
    EXPECT_EQ(after[Gpr::Rdx], out.rdx);
    EXPECT_EQ(after[Gpr::Rsi], out.rsi);
    EXPECT_EQ(after[Gpr::Rdi], out.rdi);
    EXPECT_EQ(after[Gpr::R8], out.r8);
    EXPECT_EQ(after[Gpr::R15], out.r15);
    const uint64_t compared = op.defined_flags | kDirectionFlag | kInterruptFlag;
    EXPECT_EQ(after.rflags & compared, out.rflags & compared);
    EXPECT_EQ(after.rip, regs.rip + op.bytes.size());
}

TEST(PteWrite, MatchesTheHostCpu) {
    std::mt19937_64 rng(2024);
    for (const HostOp& op : kHostOps) {
        SCOPED_TRACE(op.text);
        for (int i = 0; i < 3000; ++i) {
            compare_with_host(op, rng);
            if (testing::Test::HasFailure())
                return;
        }
    }
}

// --- Linux's own sequences (spec §0 item 3) ---

constexpr uint64_t kPteBase = 0xffff888001234000ull;  // an L1 page in the direct map

Registers linux_registers() {
    Registers regs{};
    regs.rip = 0xffffffff81070000ull;
    regs.rflags = 0x246;
    return regs;
}

PteWriteEffect emulate(const std::vector<uint8_t>& bytes, const Registers& regs, uint64_t old) {
    Result<Instruction> inst = decode(std::span<const uint8_t>(bytes.data(), bytes.size()));
    EXPECT_TRUE(inst.ok());
    Result<uint64_t> address = effective_address(*inst, regs);
    EXPECT_TRUE(address.ok());
    Result<PteWriteEffect> effect = emulate_pte_write(*inst, regs, *address, old);
    EXPECT_TRUE(effect.ok()) << status_name(effect.status());
    return effect.value();
}

Status emulate_status(const std::vector<uint8_t>& bytes, const Registers& regs, uint64_t target) {
    Result<Instruction> inst = decode(std::span<const uint8_t>(bytes.data(), bytes.size()));
    EXPECT_TRUE(inst.ok());
    return emulate_pte_write(*inst, regs, target, 0x1111).status();
}

TEST(PteWrite, SetPteInitStore) {
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = kPteBase + 8 * 17;
    regs[Gpr::Rsi] = 0x8000000012345067ull;
    const PteWriteEffect e = emulate({0x48, 0x89, 0x37}, regs, 0);  // mov %rsi,(%rdi)
    EXPECT_TRUE(e.writes_memory);
    EXPECT_EQ(e.pte_address, kPteBase + 8 * 17);
    EXPECT_EQ(e.new_value, 0x8000000012345067ull);
    EXPECT_EQ(e.access_size, 8);
    EXPECT_EQ(e.access_offset, 0);
    EXPECT_EQ(e.registers.rip, regs.rip + 3);
    EXPECT_EQ(e.registers.rflags, regs.rflags);
}

TEST(PteWrite, PtepGetAndClearXchg) {
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = kPteBase;
    regs[Gpr::Rax] = 0;
    const PteWriteEffect e = emulate({0x48, 0x87, 0x07}, regs, 0x80000000abcde067ull);  // xchg %rax,(%rdi)
    EXPECT_EQ(e.new_value, 0u);
    EXPECT_EQ(e.registers[Gpr::Rax], 0x80000000abcde067ull);
}

TEST(PteWrite, LockCmpxchgSuccessAndFailure) {
    const std::vector<uint8_t> bytes = {0xf0, 0x48, 0x0f, 0xb1, 0x32};  // lock cmpxchg %rsi,(%rdx)
    Registers regs = linux_registers();
    regs[Gpr::Rdx] = kPteBase + 0x10;
    regs[Gpr::Rsi] = 0x1000067;
    regs[Gpr::Rax] = 0x1000025;
    PteWriteEffect e = emulate(bytes, regs, 0x1000025);
    EXPECT_TRUE(e.writes_memory);
    EXPECT_EQ(e.new_value, 0x1000067u);
    EXPECT_TRUE(e.registers.rflags & kZeroFlag);
    EXPECT_EQ(e.registers[Gpr::Rax], 0x1000025u);

    e = emulate(bytes, regs, 0x1000065);  // someone set the dirty bit meanwhile
    EXPECT_FALSE(e.writes_memory);
    EXPECT_EQ(e.new_value, 0x1000065u);
    EXPECT_FALSE(e.registers.rflags & kZeroFlag);
    EXPECT_EQ(e.registers[Gpr::Rax], 0x1000065u);
    EXPECT_EQ(e.registers.rip, regs.rip + 5);
}

TEST(PteWrite, MovqZero) {
    Registers regs = linux_registers();
    regs[Gpr::Rax] = kPteBase + 0xff8;
    const PteWriteEffect e = emulate({0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x00}, regs, 0x1234067);  // movq $0x0,(%rax)
    EXPECT_EQ(e.new_value, 0u);
    EXPECT_EQ(e.pte_address, kPteBase + 0xff8);
}

TEST(PteWrite, ClearBitIsAByteAnd) {
    // ptep_set_wrprotect: clear_bit(_PAGE_BIT_RW) with a constant bit = lock andb $0xfd,(%rdi).
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = kPteBase + 0x40;
    const PteWriteEffect e = emulate({0xf0, 0x80, 0x27, 0xfd}, regs, 0x80000000abcde067ull);
    EXPECT_EQ(e.new_value, 0x80000000abcde065ull);
    EXPECT_EQ(e.access_size, 1);
}

TEST(PteWrite, HalfStoresMergeIntoTheEntry) {
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = kPteBase;
    regs[Gpr::Rsi] = 0xaaaaaaaa00000001ull;
    // mov %esi,4(%rdi): the high half.
    PteWriteEffect e = emulate({0x89, 0x77, 0x04}, regs, 0x1111111122222222ull);
    EXPECT_EQ(e.pte_address, kPteBase);
    EXPECT_EQ(e.access_offset, 4);
    EXPECT_EQ(e.new_value, 0x0000000122222222ull);
    // mov %esi,(%rdi): the low half.
    e = emulate({0x89, 0x37}, regs, 0x1111111122222222ull);
    EXPECT_EQ(e.new_value, 0x1111111100000001ull);
    // movw $0x1234,6(%rdi)
    e = emulate({0x66, 0xc7, 0x47, 0x06, 0x34, 0x12}, regs, 0x1111111122222222ull);
    EXPECT_EQ(e.new_value, 0x1234111122222222ull);
    // movl $0x80000000,4(%rcx): the imm32 is not sign-extended into the other half.
    regs[Gpr::Rcx] = kPteBase;
    e = emulate({0xc7, 0x41, 0x04, 0x00, 0x00, 0x00, 0x80}, regs, 0x1111111122222222ull);
    EXPECT_EQ(e.new_value, 0x8000000022222222ull);
    // movq $-1,8(%rbx): sign-extended to 64 bits.
    regs[Gpr::Rbx] = kPteBase - 8;
    e = emulate({0x48, 0xc7, 0x43, 0x08, 0xff, 0xff, 0xff, 0xff}, regs, 0);
    EXPECT_EQ(e.new_value, ~uint64_t{0});
}

TEST(PteWrite, SegmentAndRipRelativeTargets) {
    Registers regs = linux_registers();
    regs.fs_base = 0x7f0000001000ull;
    regs.gs_base = kPteBase;
    regs[Gpr::Rdi] = 0x10;
    regs[Gpr::Rsi] = 0x5067;
    // mov %rsi,%fs:8(%rdi)
    PteWriteEffect e = emulate({0x64, 0x48, 0x89, 0x77, 0x08}, regs, 0);
    EXPECT_EQ(e.pte_address, regs.fs_base + 0x18);
    // mov %rsi,%gs:0x10
    e = emulate({0x65, 0x48, 0x89, 0x34, 0x25, 0x10, 0x00, 0x00, 0x00}, regs, 0);
    EXPECT_EQ(e.pte_address, kPteBase + 0x10);
    // mov %rsi,0x10(%rip): relative to the next instruction (7 bytes on).
    regs.rip = kPteBase - 0x107;
    e = emulate({0x48, 0x89, 0x35, 0x10, 0x00, 0x00, 0x00}, regs, 0);
    EXPECT_EQ(e.pte_address, kPteBase - 0x100 + 0x10);
    EXPECT_EQ(e.new_value, 0x5067u);
}

TEST(PteWrite, Cmpxchg8bUpdatesEdxEaxOnFailure) {
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = kPteBase;
    regs[Gpr::Rax] = 0xffffffff00000001ull;
    regs[Gpr::Rdx] = 0xffffffff00000002ull;
    regs[Gpr::Rbx] = 0x5067;
    regs[Gpr::Rcx] = 0x80000000;
    regs.rflags = 0x202 | kCarryFlag | kSignFlag;
    // lock cmpxchg8b (%rdi)
    PteWriteEffect e = emulate({0xf0, 0x0f, 0xc7, 0x0f}, regs, 0x0000000200000001ull);
    EXPECT_TRUE(e.writes_memory);
    EXPECT_EQ(e.new_value, 0x8000000000005067ull);
    EXPECT_EQ(e.registers.rflags, 0x202 | kCarryFlag | kSignFlag | kZeroFlag);
    e = emulate({0xf0, 0x0f, 0xc7, 0x0f}, regs, 0x1234567887654321ull);
    EXPECT_FALSE(e.writes_memory);
    EXPECT_EQ(e.registers[Gpr::Rax], 0x87654321u);
    EXPECT_EQ(e.registers[Gpr::Rdx], 0x12345678u);
    EXPECT_EQ(e.registers.rflags, 0x202 | kCarryFlag | kSignFlag);
}

TEST(PteWrite, RepStosDoesOneElementAndRestarts) {
    const std::vector<uint8_t> rep_stosq = {0xf3, 0x48, 0xab};  // rep stosq
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = kPteBase + 0x100;
    regs[Gpr::Rax] = 0;
    regs[Gpr::Rcx] = 3;
    PteWriteEffect e = emulate(rep_stosq, regs, 0x1067);
    EXPECT_TRUE(e.writes_memory);
    EXPECT_EQ(e.new_value, 0u);
    EXPECT_EQ(e.registers[Gpr::Rcx], 2u);
    EXPECT_EQ(e.registers[Gpr::Rdi], kPteBase + 0x108);
    EXPECT_EQ(e.registers.rip, regs.rip);  // not finished: the guest resumes the rest

    regs.rflags |= kDirectionFlag;  // downwards
    e = emulate(rep_stosq, regs, 0x1067);
    EXPECT_EQ(e.registers[Gpr::Rdi], kPteBase + 0xf8);

    regs[Gpr::Rcx] = 1;  // last element: done
    e = emulate(rep_stosq, regs, 0x1067);
    EXPECT_EQ(e.registers[Gpr::Rcx], 0u);
    EXPECT_EQ(e.registers.rip, regs.rip + 3);

    regs[Gpr::Rcx] = 0;  // nothing to do
    e = emulate(rep_stosq, regs, 0x1067);
    EXPECT_FALSE(e.writes_memory);
    EXPECT_EQ(e.new_value, 0x1067u);
    EXPECT_EQ(e.registers[Gpr::Rdi], regs[Gpr::Rdi]);
    EXPECT_EQ(e.registers.rip, regs.rip + 3);
}

TEST(PteWrite, AddressSize32UsesEdiAndEcx) {
    // addr32 rep stosq (67 F3 48 AB, assembled from `addr32 rep stosq`).
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = 0xffffffff00001ff8ull;  // only EDI counts
    regs[Gpr::Rcx] = 0xffffffff00000002ull;  // only ECX counts
    regs[Gpr::Rax] = 0x42;
    const PteWriteEffect e = emulate({0x67, 0xf3, 0x48, 0xab}, regs, 0);
    EXPECT_EQ(e.pte_address, 0x1ff8u);
    EXPECT_EQ(e.new_value, 0x42u);
    EXPECT_EQ(e.registers[Gpr::Rdi], 0x2000u);  // 32-bit writes zero-extend
    EXPECT_EQ(e.registers[Gpr::Rcx], 1u);
}

TEST(PteWrite, XchgWithHighByteRegister) {
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = kPteBase;
    regs[Gpr::Rdx] = 0x1122334455667788ull;  // dh = 0x77
    // xchg %dh,5(%rdi)
    const PteWriteEffect e = emulate({0x86, 0x77, 0x05}, regs, 0x0000ab0000000000ull);
    EXPECT_EQ(e.new_value, 0x0000770000000000ull);
    EXPECT_EQ(e.registers[Gpr::Rdx], 0x112233445566ab88ull);
}

TEST(PteWrite, ClearsResumeFlag) {
    Registers regs = linux_registers();
    regs.rflags |= kResumeFlag;
    regs[Gpr::Rdi] = kPteBase;
    const PteWriteEffect e = emulate({0x48, 0x89, 0x37}, regs, 0);
    EXPECT_FALSE(e.registers.rflags & kResumeFlag);
}

// --- What is refused (the caller reflects the #PF) ---

TEST(PteWrite, MisalignedOrCrossingAccessesAreNotSupported) {
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = kPteBase + 4;
    EXPECT_EQ(emulate_status({0x48, 0x89, 0x37}, regs, kPteBase + 4), Status::NotSupported);  // 8 at +4
    regs[Gpr::Rdi] = kPteBase + 2;
    EXPECT_EQ(emulate_status({0x89, 0x37}, regs, kPteBase + 2), Status::NotSupported);        // 4 at +2
    regs[Gpr::Rdi] = kPteBase + 7;
    EXPECT_EQ(emulate_status({0x66, 0x89, 0x37}, regs, kPteBase + 7), Status::NotSupported);  // 2 at +7
    regs[Gpr::Rdi] = kPteBase + 1;
    EXPECT_EQ(emulate_status({0x88, 0x37}, regs, kPteBase + 1), Status::Ok);                  // 1 anywhere
    regs[Gpr::Rdi] = kPteBase + 4;
    EXPECT_EQ(emulate_status({0xf0, 0x0f, 0xc7, 0x0f}, regs, kPteBase + 4), Status::NotSupported);  // cmpxchg8b at +4
}

TEST(PteWrite, TargetMustBeTheDecodedAddress) {
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = kPteBase;
    EXPECT_EQ(emulate_status({0x48, 0x89, 0x37}, regs, kPteBase + 8), Status::NotSupported);
}

TEST(PteWrite, OtherInstructionsAreNotSupported) {
    Registers regs = linux_registers();
    regs[Gpr::Rdi] = kPteBase;
    EXPECT_EQ(emulate_status({0xf0, 0x48, 0x0f, 0xc7, 0x0f}, regs, kPteBase), Status::NotSupported);  // lock cmpxchg16b (%rdi)
    EXPECT_EQ(emulate_status({0x0f, 0x01, 0x3f}, regs, kPteBase), Status::NotSupported);  // invlpg (%rdi)
    EXPECT_EQ(emulate_status({0xfa}, regs, kPteBase), Status::NotSupported);              // cli
}

}  // namespace
}  // namespace hv::x86
