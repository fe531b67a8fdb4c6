// Host tests of the x86-64 decoder (hypervisor/x86/decoder.hpp). Every byte sequence below
// was produced by GNU as (`as --64`, binutils 2.40) from the AT&T text next to it; the
// tables were pasted from its output, not written by hand.
#include "x86/decoder.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace hv::x86 {
namespace {

struct Encoding {
    const char* text;
    std::vector<uint8_t> bytes;
};

struct KindCase {
    const char* text;
    std::vector<uint8_t> bytes;
    Kind kind;
    unsigned operand_size;
};

Result<Instruction> decode_bytes(const std::vector<uint8_t>& bytes) {
    return decode(std::span<const uint8_t>(bytes.data(), bytes.size()));
}

// Decodes `bytes` followed by filler up to 15 bytes, as the hypervisor would fetch them.
Instruction decode_ok(const std::vector<uint8_t>& bytes) {
    std::vector<uint8_t> padded = bytes;
    while (padded.size() < kMaxInstructionLength)
        padded.push_back(0x90);
    Result<Instruction> r = decode_bytes(padded);
    EXPECT_TRUE(r.ok()) << status_name(r.status());
    return r.value();
}

Registers distinct_registers() {
    Registers regs{};
    for (unsigned i = 0; i < kGprCount; ++i)
        regs.gpr[i] = 0x1000ull * (i + 1) + i;  // rax=0x1000, rcx=0x2001, ...
    regs.rip = 0xffffffff81000000ull;
    regs.rflags = 0x202;
    regs.fs_base = 0x00007f0000000000ull;
    regs.gs_base = 0xffff888000000000ull;
    return regs;
}

// Every supported kind, from `as --64` (binutils) output: {asm text, bytes, kind, operand size}.
const KindCase kKindCases[] = {
    {"wrmsr", {0x0f, 0x30}, Kind::Wrmsr, 0},
    {"rdmsr", {0x0f, 0x32}, Kind::Rdmsr, 0},
    {"cpuid", {0x0f, 0xa2}, Kind::Cpuid, 0},
    {"rdtsc", {0x0f, 0x31}, Kind::Rdtsc, 0},
    {"rdtscp", {0x0f, 0x01, 0xf9}, Kind::Rdtscp, 0},
    {"rdpmc", {0x0f, 0x33}, Kind::Rdpmc, 0},
    {"xgetbv", {0x0f, 0x01, 0xd0}, Kind::Xgetbv, 0},
    {"xsetbv", {0x0f, 0x01, 0xd1}, Kind::Xsetbv, 0},
    {"mov %cr0,%rax", {0x0f, 0x20, 0xc0}, Kind::MovFromCr, 8},
    {"mov %cr2,%rdi", {0x0f, 0x20, 0xd7}, Kind::MovFromCr, 8},
    {"mov %cr3,%rbx", {0x0f, 0x20, 0xdb}, Kind::MovFromCr, 8},
    {"mov %cr4,%rax", {0x0f, 0x20, 0xe0}, Kind::MovFromCr, 8},
    {"mov %cr8,%rcx", {0x44, 0x0f, 0x20, 0xc1}, Kind::MovFromCr, 8},
    {"mov %rax,%cr0", {0x0f, 0x22, 0xc0}, Kind::MovToCr, 8},
    {"mov %rdi,%cr3", {0x0f, 0x22, 0xdf}, Kind::MovToCr, 8},
    {"mov %rax,%cr4", {0x0f, 0x22, 0xe0}, Kind::MovToCr, 8},
    {"mov %r9,%cr4", {0x41, 0x0f, 0x22, 0xe1}, Kind::MovToCr, 8},
    {"mov %cr4,%r15", {0x41, 0x0f, 0x20, 0xe7}, Kind::MovFromCr, 8},
    {"mov %rdx,%cr8", {0x44, 0x0f, 0x22, 0xc2}, Kind::MovToCr, 8},
    {"mov %db0,%rax", {0x0f, 0x21, 0xc0}, Kind::MovFromDr, 8},
    {"mov %db7,%r10", {0x41, 0x0f, 0x21, 0xfa}, Kind::MovFromDr, 8},
    {"mov %rcx,%db6", {0x0f, 0x23, 0xf1}, Kind::MovToDr, 8},
    {"clts", {0x0f, 0x06}, Kind::Clts, 0},
    {"wbinvd", {0x0f, 0x09}, Kind::Wbinvd, 0},
    {"invd", {0x0f, 0x08}, Kind::Invd, 0},
    {"hlt", {0xf4}, Kind::Hlt, 0},
    {"cli", {0xfa}, Kind::Cli, 0},
    {"sti", {0xfb}, Kind::Sti, 0},
    {"lgdt (%rax)", {0x0f, 0x01, 0x10}, Kind::Lgdt, 10},
    {"lidt 8(%rbx)", {0x0f, 0x01, 0x5b, 0x08}, Kind::Lidt, 10},
    {"sgdt (%rsp)", {0x0f, 0x01, 0x04, 0x24}, Kind::Sgdt, 10},
    {"sidt -8(%rbp)", {0x0f, 0x01, 0x4d, 0xf8}, Kind::Sidt, 10},
    {"lldt %ax", {0x0f, 0x00, 0xd0}, Kind::Lldt, 2},
    {"lldt (%rdi)", {0x0f, 0x00, 0x17}, Kind::Lldt, 2},
    {"ltr %r8w", {0x41, 0x0f, 0x00, 0xd8}, Kind::Ltr, 2},
    {"sldt %eax", {0x0f, 0x00, 0xc0}, Kind::Sldt, 4},
    {"str (%rsi)", {0x0f, 0x00, 0x0e}, Kind::Str, 2},
    {"smsw %eax", {0x0f, 0x01, 0xe0}, Kind::Smsw, 4},
    {"lmsw %dx", {0x0f, 0x01, 0xf2}, Kind::Lmsw, 2},
    {"invlpg (%rdi)", {0x0f, 0x01, 0x3f}, Kind::Invlpg, 0},
    {"invlpg 0x1000(%r13,%r14,8)", {0x43, 0x0f, 0x01, 0xbc, 0xf5, 0x00, 0x10, 0x00, 0x00}, Kind::Invlpg, 0},
    {"int $0x80", {0xcd, 0x80}, Kind::Int, 0},
    {"int3", {0xcc}, Kind::Int3, 0},
    {"int1", {0xf1}, Kind::Int1, 0},
    {"iretq", {0x48, 0xcf}, Kind::Iret, 8},
    {"iret", {0xcf}, Kind::Iret, 4},
    {"iretw", {0x66, 0xcf}, Kind::Iret, 2},
    {"sysretq", {0x48, 0x0f, 0x07}, Kind::Sysret, 8},
    {"sysretl", {0x0f, 0x07}, Kind::Sysret, 4},
    {"swapgs", {0x0f, 0x01, 0xf8}, Kind::Swapgs, 0},
    {"pushfq", {0x9c}, Kind::Pushf, 8},
    {"popfq", {0x9d}, Kind::Popf, 8},
    {"pushfw", {0x66, 0x9c}, Kind::Pushf, 2},
    {"monitor", {0x0f, 0x01, 0xc8}, Kind::Monitor, 0},
    {"mwait", {0x0f, 0x01, 0xc9}, Kind::Mwait, 0},
    {"clac", {0x0f, 0x01, 0xca}, Kind::Clac, 0},
    {"stac", {0x0f, 0x01, 0xcb}, Kind::Stac, 0},
    {"in $0x71,%al", {0xe4, 0x71}, Kind::In, 1},
    {"in $0x60,%ax", {0x66, 0xe5, 0x60}, Kind::In, 2},
    {"in $0x92,%eax", {0xe5, 0x92}, Kind::In, 4},
    {"in (%dx),%al", {0xec}, Kind::In, 1},
    {"in (%dx),%ax", {0x66, 0xed}, Kind::In, 2},
    {"in (%dx),%eax", {0xed}, Kind::In, 4},
    {"out %al,$0x80", {0xe6, 0x80}, Kind::Out, 1},
    {"out %ax,$0x43", {0x66, 0xe7, 0x43}, Kind::Out, 2},
    {"out %eax,$0x10", {0xe7, 0x10}, Kind::Out, 4},
    {"out %al,(%dx)", {0xee}, Kind::Out, 1},
    {"out %ax,(%dx)", {0x66, 0xef}, Kind::Out, 2},
    {"out %eax,(%dx)", {0xef}, Kind::Out, 4},
    {"insb", {0x6c}, Kind::Ins, 1},
    {"insw", {0x66, 0x6d}, Kind::Ins, 2},
    {"insl", {0x6d}, Kind::Ins, 4},
    {"outsb", {0x6e}, Kind::Outs, 1},
    {"outsw", {0x66, 0x6f}, Kind::Outs, 2},
    {"outsl", {0x6f}, Kind::Outs, 4},
    {"rep insb", {0xf3, 0x6c}, Kind::Ins, 1},
    {"rep outsw", {0x66, 0xf3, 0x6f}, Kind::Outs, 2},
    {"rep outsl", {0xf3, 0x6f}, Kind::Outs, 4},
    {"outsb %fs:(%rsi),(%dx)", {0x64, 0x6e}, Kind::Outs, 1},
    {"addr32 rep outsl", {0x67, 0xf3, 0x6f}, Kind::Outs, 4},
    {"mov %rsi,(%rdi)", {0x48, 0x89, 0x37}, Kind::Mov, 8},
    {"lock cmpxchg %rsi,(%rdx)", {0xf0, 0x48, 0x0f, 0xb1, 0x32}, Kind::Cmpxchg, 8},
    {"xchg %rax,(%rdi)", {0x48, 0x87, 0x07}, Kind::Xchg, 8},
    {"movq $0x0,(%rax)", {0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x00}, Kind::Mov, 8},
    {"movq $-1,8(%rbx)", {0x48, 0xc7, 0x43, 0x08, 0xff, 0xff, 0xff, 0xff}, Kind::Mov, 8},
    {"movl $0x80000000,4(%rcx)", {0xc7, 0x41, 0x04, 0x00, 0x00, 0x00, 0x80}, Kind::Mov, 4},
    {"mov %esi,(%rdi)", {0x89, 0x37}, Kind::Mov, 4},
    {"mov %esi,4(%rdi)", {0x89, 0x77, 0x04}, Kind::Mov, 4},
    {"mov %si,2(%rdi)", {0x66, 0x89, 0x77, 0x02}, Kind::Mov, 2},
    {"mov %sil,1(%rdi)", {0x40, 0x88, 0x77, 0x01}, Kind::Mov, 1},
    {"mov %ah,3(%rdi)", {0x88, 0x67, 0x03}, Kind::Mov, 1},
    {"movb $0x5a,7(%rdi)", {0xc6, 0x47, 0x07, 0x5a}, Kind::Mov, 1},
    {"movw $0x1234,6(%rdi)", {0x66, 0xc7, 0x47, 0x06, 0x34, 0x12}, Kind::Mov, 2},
    {"xchg %ecx,(%rdi)", {0x87, 0x0f}, Kind::Xchg, 4},
    {"xchg %dh,5(%rdi)", {0x86, 0x77, 0x05}, Kind::Xchg, 1},
    {"xchg %r11b,(%rdi)", {0x44, 0x86, 0x1f}, Kind::Xchg, 1},
    {"lock cmpxchg %esi,4(%rdx)", {0xf0, 0x0f, 0xb1, 0x72, 0x04}, Kind::Cmpxchg, 4},
    {"lock cmpxchg %cl,1(%rdx)", {0xf0, 0x0f, 0xb0, 0x4a, 0x01}, Kind::Cmpxchg, 1},
    {"lock cmpxchg8b (%rdi)", {0xf0, 0x0f, 0xc7, 0x0f}, Kind::Cmpxchg8b, 8},
    {"lock cmpxchg16b (%rdi)", {0xf0, 0x48, 0x0f, 0xc7, 0x0f}, Kind::Cmpxchg16b, 16},
    {"lock or %rsi,(%rdi)", {0xf0, 0x48, 0x09, 0x37}, Kind::Or, 8},
    {"lock and %rsi,(%rdi)", {0xf0, 0x48, 0x21, 0x37}, Kind::And, 8},
    {"lock xor %rsi,(%rdi)", {0xf0, 0x48, 0x31, 0x37}, Kind::Xor, 8},
    {"lock add %rsi,(%rdi)", {0xf0, 0x48, 0x01, 0x37}, Kind::Add, 8},
    {"lock sub %rsi,(%rdi)", {0xf0, 0x48, 0x29, 0x37}, Kind::Sub, 8},
    {"orq $0x67,(%rdi)", {0x48, 0x83, 0x0f, 0x67}, Kind::Or, 8},
    {"andq $-0x3,(%rdi)", {0x48, 0x83, 0x27, 0xfd}, Kind::And, 8},
    {"andq $0x7fffffff,(%rdi)", {0x48, 0x81, 0x27, 0xff, 0xff, 0xff, 0x7f}, Kind::And, 8},
    {"xorq $0x100,(%rdi)", {0x48, 0x81, 0x37, 0x00, 0x01, 0x00, 0x00}, Kind::Xor, 8},
    {"addl $1,4(%rdi)", {0x83, 0x47, 0x04, 0x01}, Kind::Add, 4},
    {"subw $2,2(%rdi)", {0x66, 0x83, 0x6f, 0x02, 0x02}, Kind::Sub, 2},
    {"lock andb $0xfd,(%rdi)", {0xf0, 0x80, 0x27, 0xfd}, Kind::And, 1},
    {"lock orb $0x2,(%rdi)", {0xf0, 0x80, 0x0f, 0x02}, Kind::Or, 1},
    {"or %sil,1(%rdi)", {0x40, 0x08, 0x77, 0x01}, Kind::Or, 1},
    {"lock btsq $1,(%rdi)", {0xf0, 0x48, 0x0f, 0xba, 0x2f, 0x01}, Kind::Bts, 8},
    {"lock btrq $5,(%rdi)", {0xf0, 0x48, 0x0f, 0xba, 0x37, 0x05}, Kind::Btr, 8},
    {"btcq $63,(%rdi)", {0x48, 0x0f, 0xba, 0x3f, 0x3f}, Kind::Btc, 8},
    {"lock bts %rsi,(%rdi)", {0xf0, 0x48, 0x0f, 0xab, 0x37}, Kind::Bts, 8},
    {"lock btr %rsi,(%rdi)", {0xf0, 0x48, 0x0f, 0xb3, 0x37}, Kind::Btr, 8},
    {"btc %rsi,(%rdi)", {0x48, 0x0f, 0xbb, 0x37}, Kind::Btc, 8},
    {"btsl $3,4(%rdi)", {0x0f, 0xba, 0x6f, 0x04, 0x03}, Kind::Bts, 4},
    {"stosq", {0x48, 0xab}, Kind::Stos, 8},
    {"rep stosq", {0xf3, 0x48, 0xab}, Kind::Stos, 8},
    {"stosl", {0xab}, Kind::Stos, 4},
    {"stosb", {0xaa}, Kind::Stos, 1},
    {"rep stosw", {0x66, 0xf3, 0xab}, Kind::Stos, 2},
    {"movnti %rsi,(%rdi)", {0x48, 0x0f, 0xc3, 0x37}, Kind::Movnti, 8},
    {"movnti %esi,4(%rdi)", {0x0f, 0xc3, 0x77, 0x04}, Kind::Movnti, 4},
    {"mov %rsi,%fs:(%rdi)", {0x64, 0x48, 0x89, 0x37}, Kind::Mov, 8},
    {"mov %rsi,%gs:0x10", {0x65, 0x48, 0x89, 0x34, 0x25, 0x10, 0x00, 0x00, 0x00}, Kind::Mov, 8},
    {"mov %rsi,0x10(%rip)", {0x48, 0x89, 0x35, 0x10, 0x00, 0x00, 0x00}, Kind::Mov, 8},
    {"mov %rsi,(%edi)", {0x67, 0x48, 0x89, 0x37}, Kind::Mov, 8},
    {"mov %rsi,0x10(%eip)", {0x67, 0x48, 0x89, 0x35, 0x10, 0x00, 0x00, 0x00}, Kind::Mov, 8},
    {"mov %rsi,0x12345678", {0x48, 0x89, 0x34, 0x25, 0x78, 0x56, 0x34, 0x12}, Kind::Mov, 8},
    {"movq $0x12345678,0x10(%rip)", {0x48, 0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12}, Kind::Mov, 8},
    {"lock btsq $1,%gs:0x8(%rax)", {0x65, 0xf0, 0x48, 0x0f, 0xba, 0x68, 0x08, 0x01}, Kind::Bts, 8},
};

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
