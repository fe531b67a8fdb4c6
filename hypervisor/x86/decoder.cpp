// Decoding follows the SDM Vol. 2, chapter 2 (instruction format) and appendix A (opcode
// maps), 64-bit mode only. The table of what is accepted is in decoder.hpp.
#include "x86/decoder.hpp"

namespace hv::x86 {
namespace {

// The forced-emulation prefix: ud2 followed by "xen", then the emulated cpuid.
constexpr uint8_t kForcedCpuid[] = {0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2};

// Hands out the instruction bytes in order. The 15-byte limit is checked before the end of
// the input, so an over-long instruction is reported as such whenever 15 bytes were given.
class ByteCursor {
public:
    explicit ByteCursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

    Status next(uint8_t& out) {
        if (position_ >= kMaxInstructionLength)
            return Status::InvalidArgument;
        if (position_ >= bytes_.size())
            return Status::Range;
        out = bytes_[position_++];
        return Status::Ok;
    }

    // `count` (1, 2 or 4) bytes, little-endian, sign-extended to 64 bits.
    Status next_signed(unsigned count, uint64_t& out) {
        uint64_t value = 0;
        for (unsigned i = 0; i < count; ++i) {
            uint8_t b = 0;
            HV_TRY(next(b));
            value |= uint64_t{b} << (8 * i);
        }
        const unsigned unused = 64 - 8 * count;
        out = static_cast<uint64_t>(static_cast<int64_t>(value << unused) >> unused);
        return Status::Ok;
    }

    size_t position() const { return position_; }
    std::span<const uint8_t> bytes() const { return bytes_; }

private:
    std::span<const uint8_t> bytes_;
    size_t position_ = 0;
};

struct Prefixes {
    bool lock = false;
    bool operand16 = false;   // 66
    bool address32 = false;   // 67
    RepPrefix rep = RepPrefix::None;
    Segment segment = Segment::None;
    uint8_t rex = 0;          // 0 when there is no REX before the opcode

    bool rex_w() const { return rex & 8; }
    uint8_t rex_r() const { return (rex & 4) ? 8 : 0; }
    uint8_t rex_x() const { return (rex & 2) ? 8 : 0; }
    uint8_t rex_b() const { return (rex & 1) ? 8 : 0; }
};

struct ModRm {
    uint8_t mod;
    uint8_t reg;   // ModRM.reg with REX.R
    uint8_t rm;    // ModRM.rm with REX.B; a register only when mod == 3
};

Gpr gpr(uint8_t n) { return static_cast<Gpr>(n & 15); }

class Decoder {
public:
    explicit Decoder(std::span<const uint8_t> bytes) : cursor_(bytes) {}

    Result<Instruction> run() {
        uint8_t opcode = 0;
        HV_TRY(read_prefixes(opcode));
        inst_.address_size = prefixes_.address32 ? 4 : 8;
        inst_.segment_override = prefixes_.segment;
        inst_.rep = prefixes_.rep;
        inst_.lock = prefixes_.lock;
        HV_TRY(opcode == 0x0f ? two_byte() : one_byte(opcode));
        if (inst_.lock && !lock_allowed(inst_.kind))
            return Status::InvalidArgument;
        inst_.length = static_cast<uint8_t>(cursor_.position());
        return inst_;
    }

private:
    static bool lock_allowed(Kind kind) {
        switch (kind) {
        case Kind::Add: case Kind::Or: case Kind::And: case Kind::Sub: case Kind::Xor:
        case Kind::Xchg: case Kind::Cmpxchg: case Kind::Cmpxchg8b: case Kind::Cmpxchg16b:
        case Kind::Bts: case Kind::Btr: case Kind::Btc:
            return true;  // all decoded with a memory destination only
        default:
            return false;
        }
    }

    Status read_prefixes(uint8_t& opcode) {
        for (;;) {
            uint8_t b = 0;
            HV_TRY(cursor_.next(b));
            bool legacy = true;
            switch (b) {
            case 0xf0: prefixes_.lock = true; break;
            case 0xf2: prefixes_.rep = RepPrefix::Repne; break;
            case 0xf3: prefixes_.rep = RepPrefix::Rep; break;
            case 0x26: prefixes_.segment = Segment::Es; break;
            case 0x2e: prefixes_.segment = Segment::Cs; break;
            case 0x36: prefixes_.segment = Segment::Ss; break;
            case 0x3e: prefixes_.segment = Segment::Ds; break;
            case 0x64: prefixes_.segment = Segment::Fs; break;
            case 0x65: prefixes_.segment = Segment::Gs; break;
            case 0x66: prefixes_.operand16 = true; break;
            case 0x67: prefixes_.address32 = true; break;
            default: legacy = false; break;
            }
            if (legacy) {
                prefixes_.rex = 0;  // a REX counts only right before the opcode
                continue;
            }
            if ((b & 0xf0) == 0x40) {
                prefixes_.rex = b;
                continue;
            }
            opcode = b;
            return Status::Ok;
        }
    }

    unsigned data_size() const { return prefixes_.rex_w() ? 8 : prefixes_.operand16 ? 2 : 4; }

    // Reads ModRM and, for a memory form, SIB and displacement into inst_.memory.
    Status read_modrm(ModRm& m) {
        uint8_t b = 0;
        HV_TRY(cursor_.next(b));
        m.mod = b >> 6;
        m.reg = static_cast<uint8_t>(((b >> 3) & 7) | prefixes_.rex_r());
        const uint8_t rm_low = b & 7;
        m.rm = static_cast<uint8_t>(rm_low | prefixes_.rex_b());
        if (m.mod == 3)
            return Status::Ok;

        MemoryOperand& mem = inst_.memory;
        inst_.has_memory = true;
        mem.scale = 1;
        unsigned displacement_size = m.mod == 1 ? 1 : m.mod == 2 ? 4 : 0;
        if (rm_low == 4) {
            uint8_t sib = 0;
            HV_TRY(cursor_.next(sib));
            mem.scale = static_cast<uint8_t>(1u << (sib >> 6));
            const uint8_t index = static_cast<uint8_t>(((sib >> 3) & 7) | prefixes_.rex_x());
            if (index != 4) {  // rsp cannot be an index; r12 (REX.X) can
                mem.has_index = true;
                mem.index = gpr(index);
            }
            if ((sib & 7) == 5 && m.mod == 0) {
                displacement_size = 4;  // no base, disp32 (also with REX.B: r13 needs mod 1)
            } else {
                mem.has_base = true;
                mem.base = gpr(static_cast<uint8_t>((sib & 7) | prefixes_.rex_b()));
            }
        } else if (rm_low == 5 && m.mod == 0) {
            mem.rip_relative = true;
            displacement_size = 4;
        } else {
            mem.has_base = true;
            mem.base = gpr(m.rm);
        }
        if (displacement_size != 0) {
            uint64_t displacement = 0;
            HV_TRY(cursor_.next_signed(displacement_size, displacement));
            mem.displacement = static_cast<int32_t>(displacement);
        }
        mem.segment = prefixes_.segment;
        if (mem.segment == Segment::None) {
            const bool stack = mem.has_base && (mem.base == Gpr::Rsp || mem.base == Gpr::Rbp);
            mem.segment = stack ? Segment::Ss : Segment::Ds;
        }
        return Status::Ok;
    }

    Status read_immediate(unsigned size) {
        inst_.has_immediate = true;
        return cursor_.next_signed(size, inst_.immediate);
    }

    void set_register(uint8_t reg, unsigned size) {
        inst_.has_register = true;
        if (size == 1 && prefixes_.rex == 0 && reg >= 4 && reg < 8) {
            inst_.gpr = gpr(static_cast<uint8_t>(reg - 4));  // AH, CH, DH, BH
            inst_.gpr_high_byte = true;
        } else {
            inst_.gpr = gpr(reg);
        }
    }

    // Memory operand implied by string instructions: `base` with no displacement.
    void set_string_operand(Gpr base, Segment segment) {
        inst_.has_memory = true;
        inst_.memory.has_base = true;
        inst_.memory.base = base;
        inst_.memory.scale = 1;
        inst_.memory.segment = segment;
    }

    void set_simple(Kind kind, unsigned operand_size = 0) {
        inst_.kind = kind;
        inst_.operand_size = static_cast<uint8_t>(operand_size);
    }

    // "op m, r" with a memory destination; a register destination is NotSupported.
    Status memory_register(Kind kind, unsigned size) {
        ModRm m{};
        HV_TRY(read_modrm(m));
        if (m.mod == 3)
            return Status::NotSupported;
        set_simple(kind, size);
        set_register(m.reg, size);
        return Status::Ok;
    }

    Status port_io(Kind kind, unsigned size, bool immediate_port) {
        set_simple(kind, size);
        if (immediate_port) {
            uint8_t port = 0;
            HV_TRY(cursor_.next(port));
            inst_.port = port;
        } else {
            inst_.port_in_dx = true;
        }
        return Status::Ok;
    }

    // 80 /n ib, 81 /n iz, 83 /n ib with a memory destination.
    Status group1(uint8_t opcode) {
        ModRm m{};
        HV_TRY(read_modrm(m));
        Kind kind = Kind::Add;
        switch (m.reg & 7) {
        case 0: kind = Kind::Add; break;
        case 1: kind = Kind::Or; break;
        case 4: kind = Kind::And; break;
        case 5: kind = Kind::Sub; break;
        case 6: kind = Kind::Xor; break;
        default: return Status::NotSupported;  // adc, sbb (unused on PTEs), cmp (no write)
        }
        if (m.mod == 3)
            return Status::NotSupported;
        const unsigned size = opcode == 0x80 ? 1 : data_size();
        set_simple(kind, size);
        return read_immediate(opcode == 0x81 ? (size == 2 ? 2 : 4) : 1);
    }

    Status one_byte(uint8_t opcode) {
        const unsigned size = (opcode & 1) ? data_size() : 1;  // for the b/v opcode pairs
        switch (opcode) {
        case 0x00: case 0x01: return memory_register(Kind::Add, size);
        case 0x08: case 0x09: return memory_register(Kind::Or, size);
        case 0x20: case 0x21: return memory_register(Kind::And, size);
        case 0x28: case 0x29: return memory_register(Kind::Sub, size);
        case 0x30: case 0x31: return memory_register(Kind::Xor, size);
        case 0x86: case 0x87: return memory_register(Kind::Xchg, size);
        case 0x88: case 0x89: return memory_register(Kind::Mov, size);
        case 0x80: case 0x81: case 0x83: return group1(opcode);
        case 0xc6: case 0xc7: {
            ModRm m{};
            HV_TRY(read_modrm(m));
            if (m.mod == 3 || (m.reg & 7) != 0)
                return Status::NotSupported;
            set_simple(Kind::Mov, size);
            return read_immediate(size == 1 ? 1 : size == 2 ? 2 : 4);
        }
        case 0xaa: case 0xab:
            set_simple(Kind::Stos, opcode == 0xaa ? 1 : data_size());
            set_string_operand(Gpr::Rdi, Segment::Es);
            return Status::Ok;
        case 0x6c: case 0x6d:
            set_simple(Kind::Ins, opcode == 0x6c ? 1 : prefixes_.operand16 ? 2 : 4);
            inst_.port_in_dx = true;
            set_string_operand(Gpr::Rdi, Segment::Es);
            return Status::Ok;
        case 0x6e: case 0x6f:
            set_simple(Kind::Outs, opcode == 0x6e ? 1 : prefixes_.operand16 ? 2 : 4);
            inst_.port_in_dx = true;
            set_string_operand(Gpr::Rsi, prefixes_.segment == Segment::None ? Segment::Ds
                                                                            : prefixes_.segment);
            return Status::Ok;
        case 0xe4: case 0xe5: case 0xec: case 0xed: case 0xe6: case 0xe7: case 0xee: case 0xef: {
            const unsigned io_size = (opcode & 1) ? (prefixes_.operand16 ? 2 : 4) : 1;
            const Kind kind = (opcode & 2) ? Kind::Out : Kind::In;
            return port_io(kind, io_size, (opcode & 8) == 0);
        }
        case 0xcc: set_simple(Kind::Int3); return Status::Ok;
        case 0xcd:
            set_simple(Kind::Int);
            inst_.has_immediate = true;
            {
                uint8_t vector = 0;
                HV_TRY(cursor_.next(vector));
                inst_.immediate = vector;
            }
            return Status::Ok;
        case 0xce: set_simple(Kind::Into); return Status::Ok;
        case 0xcf: set_simple(Kind::Iret, data_size()); return Status::Ok;
        case 0xf1: set_simple(Kind::Int1); return Status::Ok;
        case 0xf4: set_simple(Kind::Hlt); return Status::Ok;
        case 0xfa: set_simple(Kind::Cli); return Status::Ok;
        case 0xfb: set_simple(Kind::Sti); return Status::Ok;
        case 0x9c: set_simple(Kind::Pushf, prefixes_.operand16 ? 2 : 8); return Status::Ok;
        case 0x9d: set_simple(Kind::Popf, prefixes_.operand16 ? 2 : 8); return Status::Ok;
        default: return Status::NotSupported;
        }
    }

    // 0F 00 /0-/3: sldt, str, lldt, ltr on a register or memory word.
    Status group_0f00() {
        static constexpr Kind kKinds[4] = {Kind::Sldt, Kind::Str, Kind::Lldt, Kind::Ltr};
        ModRm m{};
        HV_TRY(read_modrm(m));
        if ((m.reg & 7) >= 4)
            return (m.reg & 7) >= 6 ? Status::InvalidArgument : Status::NotSupported;  // verr/verw
        set_simple(kKinds[m.reg & 7], 2);
        if (m.mod == 3) {
            set_register(m.rm, 2);
            const bool store = (m.reg & 7) < 2;
            if (store)
                inst_.operand_size = static_cast<uint8_t>(data_size());
        }
        return Status::Ok;
    }

    Status group_0f01() {
        ModRm m{};
        HV_TRY(read_modrm(m));
        const uint8_t reg = m.reg & 7;
        if (m.mod != 3) {
            switch (reg) {
            case 0: set_simple(Kind::Sgdt, 10); return Status::Ok;
            case 1: set_simple(Kind::Sidt, 10); return Status::Ok;
            case 2: set_simple(Kind::Lgdt, 10); return Status::Ok;
            case 3: set_simple(Kind::Lidt, 10); return Status::Ok;
            case 4: set_simple(Kind::Smsw, 2); return Status::Ok;
            case 6: set_simple(Kind::Lmsw, 2); return Status::Ok;
            case 7: set_simple(Kind::Invlpg); return Status::Ok;
            default: return Status::NotSupported;
            }
        }
        const uint8_t modrm = static_cast<uint8_t>(0xc0 | (reg << 3) | (m.rm & 7));
        switch (modrm) {
        case 0xc8: set_simple(Kind::Monitor); return Status::Ok;
        case 0xc9: set_simple(Kind::Mwait); return Status::Ok;
        case 0xca: set_simple(Kind::Clac); return Status::Ok;
        case 0xcb: set_simple(Kind::Stac); return Status::Ok;
        case 0xd0: set_simple(Kind::Xgetbv); return Status::Ok;
        case 0xd1: set_simple(Kind::Xsetbv); return Status::Ok;
        case 0xf8: set_simple(Kind::Swapgs); return Status::Ok;
        case 0xf9: set_simple(Kind::Rdtscp); return Status::Ok;
        default: break;
        }
        if (reg == 4 || reg == 6) {
            set_simple(reg == 4 ? Kind::Smsw : Kind::Lmsw, reg == 4 ? data_size() : 2);
            set_register(m.rm, 8);
            return Status::Ok;
        }
        return Status::NotSupported;
    }

    // 0F 20-23: the register operands are in a ModRM whose mod field is ignored.
    Status move_special(uint8_t opcode) {
        uint8_t b = 0;
        HV_TRY(cursor_.next(b));
        const uint8_t number = static_cast<uint8_t>(((b >> 3) & 7) | prefixes_.rex_r());
        const bool debug = opcode & 1;
        if (debug ? number > 7 : !(number == 0 || number == 2 || number == 3 || number == 4 ||
                                   number == 8))
            return Status::InvalidArgument;
        static constexpr Kind kKinds[4] = {Kind::MovFromCr, Kind::MovFromDr, Kind::MovToCr,
                                           Kind::MovToDr};
        set_simple(kKinds[opcode & 3], 8);
        inst_.control_register = number;
        set_register(static_cast<uint8_t>((b & 7) | prefixes_.rex_b()), 8);
        return Status::Ok;
    }

    Status undefined_or_forced_cpuid() {
        set_simple(Kind::Ud2);
        if (cursor_.position() != 2)
            return Status::Ok;  // prefixed: not the signature
        const std::span<const uint8_t> bytes = cursor_.bytes();
        for (size_t i = 2; i < sizeof(kForcedCpuid); ++i) {
            if (i >= bytes.size())
                return Status::Range;  // matches so far; the rest is beyond the input
            if (bytes[i] != kForcedCpuid[i])
                return Status::Ok;
        }
        for (size_t i = 2; i < sizeof(kForcedCpuid); ++i) {
            uint8_t b = 0;
            HV_TRY(cursor_.next(b));
        }
        set_simple(Kind::ForcedCpuid);
        return Status::Ok;
    }

    Status two_byte() {
        uint8_t opcode = 0;
        HV_TRY(cursor_.next(opcode));
        const unsigned size = (opcode & 1) ? data_size() : 1;
        switch (opcode) {
        case 0x00: return group_0f00();
        case 0x01: return group_0f01();
        case 0x06: set_simple(Kind::Clts); return Status::Ok;
        case 0x07: set_simple(Kind::Sysret, prefixes_.rex_w() ? 8 : 4); return Status::Ok;
        case 0x08: set_simple(Kind::Invd); return Status::Ok;
        case 0x09: set_simple(Kind::Wbinvd); return Status::Ok;
        case 0x0b: return undefined_or_forced_cpuid();
        case 0x20: case 0x21: case 0x22: case 0x23: return move_special(opcode);
        case 0x30: set_simple(Kind::Wrmsr); return Status::Ok;
        case 0x31: set_simple(Kind::Rdtsc); return Status::Ok;
        case 0x32: set_simple(Kind::Rdmsr); return Status::Ok;
        case 0x33: set_simple(Kind::Rdpmc); return Status::Ok;
        case 0xa2: set_simple(Kind::Cpuid); return Status::Ok;
        case 0xab: return memory_register(Kind::Bts, data_size());
        case 0xb3: return memory_register(Kind::Btr, data_size());
        case 0xbb: return memory_register(Kind::Btc, data_size());
        case 0xb0: case 0xb1: return memory_register(Kind::Cmpxchg, size);
        case 0xba: {
            ModRm m{};
            HV_TRY(read_modrm(m));
            const uint8_t reg = m.reg & 7;
            if (m.mod == 3 || reg < 5)  // /4 is bt (no write), /0-/3 are undefined
                return reg < 4 ? Status::InvalidArgument : Status::NotSupported;
            set_simple(reg == 5 ? Kind::Bts : reg == 6 ? Kind::Btr : Kind::Btc, data_size());
            HV_TRY(read_immediate(1));
            inst_.immediate &= 0xff;
            return Status::Ok;
        }
        case 0xc3:
            if (prefixes_.operand16 || prefixes_.rep != RepPrefix::None)
                return Status::InvalidArgument;
            return memory_register(Kind::Movnti, prefixes_.rex_w() ? 8 : 4);
        case 0xc7: {
            ModRm m{};
            HV_TRY(read_modrm(m));
            if ((m.reg & 7) != 1)
                return Status::NotSupported;  // rdrand, rdseed, vmptrld, ...
            if (m.mod == 3)
                return Status::InvalidArgument;
            if (prefixes_.rex_w())
                set_simple(Kind::Cmpxchg16b, 16);
            else
                set_simple(Kind::Cmpxchg8b, 8);
            return Status::Ok;
        }
        default: return Status::NotSupported;
        }
    }

    ByteCursor cursor_;
    Prefixes prefixes_{};
    Instruction inst_{};
};

}  // namespace

Result<Instruction> decode(std::span<const uint8_t> bytes) {
    return Decoder(bytes).run();
}

Result<uint64_t> effective_address(const Instruction& inst, const Registers& regs) {
    if (!inst.has_memory)
        return Status::InvalidArgument;
    const MemoryOperand& mem = inst.memory;
    uint64_t address = static_cast<uint64_t>(static_cast<int64_t>(mem.displacement));
    if (mem.rip_relative)
        address += regs.rip + inst.length;
    if (mem.has_base)
        address += regs[mem.base];
    if (mem.has_index)
        address += regs[mem.index] * mem.scale;
    const bool bit_string = inst.kind == Kind::Bts || inst.kind == Kind::Btr || inst.kind == Kind::Btc;
    if (bit_string && !inst.has_immediate && inst.has_register) {
        // The register offset is signed and selects the operand-size word holding the bit.
        const unsigned size = inst.operand_size;
        const unsigned unused = 64 - 8 * size;
        const int64_t offset =
            static_cast<int64_t>(read_gpr(regs, inst.gpr, size) << unused) >> unused;
        const unsigned word_shift = size == 8 ? 6 : size == 4 ? 5 : 4;
        address += static_cast<uint64_t>(offset >> word_shift) * size;
    }
    if (inst.address_size == 4)
        address &= 0xffffffffull;
    if (mem.segment == Segment::Fs)
        address += regs.fs_base;
    else if (mem.segment == Segment::Gs)
        address += regs.gs_base;
    return address;
}

bool is_memory_write(Kind kind) {
    switch (kind) {
    case Kind::Mov: case Kind::Movnti: case Kind::Xchg: case Kind::Add: case Kind::Or:
    case Kind::And: case Kind::Sub: case Kind::Xor: case Kind::Cmpxchg: case Kind::Cmpxchg8b:
    case Kind::Cmpxchg16b: case Kind::Bts: case Kind::Btr: case Kind::Btc: case Kind::Stos:
        return true;
    default:
        return false;
    }
}

const char* kind_name(Kind kind) {
    static constexpr const char* kNames[] = {
        "in", "out", "ins", "outs",
        "rdmsr", "wrmsr", "cpuid", "forced-cpuid", "rdtsc", "rdtscp", "rdpmc", "xgetbv", "xsetbv",
        "mov-from-cr", "mov-to-cr", "mov-from-dr", "mov-to-dr", "clts", "smsw", "lmsw",
        "invd", "wbinvd", "invlpg",
        "sgdt", "sidt", "lgdt", "lidt", "sldt", "str", "lldt", "ltr",
        "cli", "sti", "hlt", "monitor", "mwait", "clac", "stac",
        "int", "int3", "int1", "into", "iret", "sysret", "swapgs", "pushf", "popf", "ud2",
        "mov", "movnti", "xchg", "add", "or", "and", "sub", "xor", "cmpxchg", "cmpxchg8b",
        "cmpxchg16b", "bts", "btr", "btc", "stos",
    };
    static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(Kind::Stos) + 1);
    const auto index = static_cast<size_t>(kind);
    return index < sizeof(kNames) / sizeof(kNames[0]) ? kNames[index] : "?";
}

}  // namespace hv::x86
