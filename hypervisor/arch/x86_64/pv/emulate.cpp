// Emulation of what a PV guest kernel cannot do itself at CPL 3 (spec §6): privileged
// instructions (#GP), the forced-emulation CPUID (#UD), and stores into its own
// read-only L1 page tables (#PF, the writable-page-tables assist). The instruction is
// always decoded from the guest's bytes (x86/decoder), never from what the CPU reported.
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/pv/context.hpp"
#include "arch/x86_64/pv/guest_traps.hpp"
#include "arch/x86_64/pv/pv_cpu.hpp"
#include "arch/x86_64/pv/upcall.hpp"
#include "domain/domain.hpp"
#include "domain/page_types_glue.hpp"
#include "hypercall/dispatch.hpp"
#include "kernel/memory.hpp"
#include "seam/guest_memory.hpp"
#include "x86/decoder.hpp"
#include "x86/privileged_op.hpp"
#include "x86/pte_write.hpp"

extern "C" bool hv_rdmsr_safe(uint32_t msr, uint64_t* value);

namespace hv {
namespace {

constexpr uint8_t kGeneralProtection = 13;
constexpr uint64_t kPresent = 1, kWritable = 2, kLarge = 1ull << 7, kAddressMask = 0x000ffffffffff000ull;
// CR4 bits the guest sees from the host, and the ones it controls (spec §2.6, §6.4).
constexpr uint64_t kCr4Mce = 1ull << 6, kCr4Tsd = 1ull << 2, kCr4De = 1ull << 3;
constexpr uint64_t kCr4FromHost = arch::kCr4Pae | kCr4Mce | arch::kCr4Osfxsr | arch::kCr4Osxmmexcpt;
constexpr uint64_t kCr4GuestControlled = kCr4Tsd | kCr4De | arch::kCr4Fsgsbase | arch::kCr4Osxsave;

// The segment bases matter only for memory operands with an FS/GS override (page-table
// store emulation); other emulations skip the two MSR reads.
x86::Registers to_registers(const arch::CpuRegs& f, bool with_segment_bases = false) {
    x86::Registers r{};
    r.gpr[0] = f.rax, r.gpr[1] = f.rcx, r.gpr[2] = f.rdx, r.gpr[3] = f.rbx;
    r.gpr[4] = f.rsp, r.gpr[5] = f.rbp, r.gpr[6] = f.rsi, r.gpr[7] = f.rdi;
    r.gpr[8] = f.r8, r.gpr[9] = f.r9, r.gpr[10] = f.r10, r.gpr[11] = f.r11;
    r.gpr[12] = f.r12, r.gpr[13] = f.r13, r.gpr[14] = f.r14, r.gpr[15] = f.r15;
    r.rip = f.rip;
    r.rflags = f.rflags;
    if (with_segment_bases) {
        r.fs_base = arch::rdmsr(arch::msr::kFsBase);
        r.gs_base = arch::rdmsr(arch::msr::kGsBase);
    }
    return r;
}

void from_registers(const x86::Registers& r, arch::CpuRegs& f) {
    f.rax = r.gpr[0], f.rcx = r.gpr[1], f.rdx = r.gpr[2], f.rbx = r.gpr[3];
    f.rsp = r.gpr[4], f.rbp = r.gpr[5], f.rsi = r.gpr[6], f.rdi = r.gpr[7];
    f.r8 = r.gpr[8], f.r9 = r.gpr[9], f.r10 = r.gpr[10], f.r11 = r.gpr[11];
    f.r12 = r.gpr[12], f.r13 = r.gpr[13], f.r14 = r.gpr[14], f.r15 = r.gpr[15];
    f.rip = r.rip;
    // Only arithmetic status flags and RF may change through emulation.
    constexpr uint64_t kEmulatedFlags = x86::kStatusFlags | x86::kResumeFlag;
    f.rflags = (f.rflags & ~kEmulatedFlags) | (r.rflags & kEmulatedFlags);
}

// Fetches and decodes the instruction at the guest RIP (up to 15 bytes, stopping early at
// an unreadable page so an instruction ending before it still decodes).
Result<x86::Instruction> fetch_and_decode(const arch::CpuRegs& frame) {
    uint8_t bytes[x86::kMaxInstructionLength];
    size_t have = 0;
    const uint64_t to_page_end = 4096 - (frame.rip & 4095);
    const size_t first = to_page_end < sizeof(bytes) ? to_page_end : sizeof(bytes);
    if (copy_from_guest(bytes, frame.rip, first) != Status::Ok)
        return Status::Fault;
    have = first;
    if (have < sizeof(bytes) && copy_from_guest(bytes + have, frame.rip + have, sizeof(bytes) - have) == Status::Ok)
        have = sizeof(bytes);
    return x86::decode({bytes, have});
}

// The page-table entry mapping `va` in the vCPU's current tables, or 0.
uint64_t lookup_pte(const Vcpu& v, uint64_t va) {
    const Pfn root = v.pv.kernel_mode || v.pv.guest_table_user == 0 ? v.pv.guest_table : v.pv.guest_table_user;
    Pfn table = root;
    for (unsigned level = 4; level >= 1; --level) {
        const auto* t = static_cast<const uint64_t*>(layout::phys_to_virt(table << kPageShift));
        const uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];
        if (!(e & kPresent) || (level > 1 && (e & kLarge)))
            return 0;
        if (level == 1)
            return e;
        table = (e & kAddressMask) >> kPageShift;
        if (table >= max_pfn())
            return 0;
    }
    return 0;
}

class KernelHostMsrs final : public pv::HostMsrs {
public:
    std::optional<uint64_t> read(uint32_t index) const override {
        uint64_t value;
        return hv_rdmsr_safe(index, &value) ? std::optional<uint64_t>(value) : std::nullopt;
    }
    uint64_t guest_tsc() const override { return arch::rdtsc(); }
};

// The guest's CR4 as it reads it.
uint64_t guest_cr4(const Vcpu& v) { return kCr4FromHost | (v.pv.virtual_cr4 & kCr4GuestControlled); }

bool emulate_msr(Vcpu& v, arch::CpuRegs& frame, const x86::Instruction& inst, x86::Registers& regs) {
    const KernelHostMsrs host;
    const pv::MsrContext ctx{v.domain().msr_policy, host, v.id(), v.pv.kernel_mode,
                             v.pv.trap_table[kGeneralProtection].address != 0};
    pv::MsrState& state = v.pv.msrs;
    state.fs_base = arch::rdmsr(arch::msr::kFsBase);
    const uint64_t active_gs = arch::rdmsr(arch::msr::kGsBase), inactive_gs = arch::rdmsr(arch::msr::kKernelGsBase);
    state.gs_base_kernel = v.pv.kernel_mode ? active_gs : inactive_gs;
    state.gs_base_user = v.pv.kernel_mode ? inactive_gs : active_gs;
    if (inst.kind == x86::Kind::Rdmsr) {
        auto value = pv::read_msr(x86::ecx_index(regs), state, ctx);
        if (!value.ok())
            return false;
        (void)x86::complete_edx_eax(inst, regs, *value);
    } else {
        const x86::IndexedValue w = x86::indexed_write(regs);
        if (pv::write_msr(w.index, w.value, state, ctx) != Status::Ok)
            return false;
        // Bases take effect in the hardware at once; the active GS base depends on mode.
        v.pv.fs_base = state.fs_base;
        v.pv.gs_base_kernel = state.gs_base_kernel;
        v.pv.gs_base_user = state.gs_base_user;
        arch::wrmsr(arch::msr::kFsBase, state.fs_base);
        arch::wrmsr(arch::msr::kGsBase, v.pv.kernel_mode ? state.gs_base_kernel : state.gs_base_user);
        arch::wrmsr(arch::msr::kKernelGsBase, v.pv.kernel_mode ? state.gs_base_user : state.gs_base_kernel);
        x86::retire(inst, regs);
    }
    from_registers(regs, frame);
    return true;
}

bool emulate_control_register(Vcpu& v, arch::CpuRegs& frame, const x86::Instruction& inst, x86::Registers& regs) {
    const unsigned cr = inst.control_register;
    if (inst.kind == x86::Kind::MovFromCr) {
        uint64_t value = 0;
        switch (cr) {
        case 0: value = (arch::read_cr0() & ~arch::kCr0Ts) | (v.pv.virtual_ts ? arch::kCr0Ts : 0); break;
        case 2: value = v.pv.cr2; break;
        case 3: value = (v.pv.kernel_mode ? v.pv.guest_table : v.pv.guest_table_user) << kPageShift; break;
        case 4: value = guest_cr4(v); break;
        case 8: value = 0; break;
        default: return false;
        }
        if (x86::complete_move_from_special(inst, regs, value) != Status::Ok)
            return false;
        from_registers(regs, frame);
        return true;
    }
    auto value = x86::move_to_special_value(inst, regs);
    if (!value.ok())
        return false;
    switch (cr) {
    case 0:  // only TS may change (Linux uses fpu_taskswitch anyway)
        v.pv.virtual_ts = *value & arch::kCr0Ts;
        load_guest_ts(v);
        break;
    case 3:
        return false;  // PV kernels switch page tables with MMUEXT_NEW_BASEPTR
    case 4:
        v.pv.virtual_cr4 = *value & kCr4GuestControlled;
        load_guest_cr4(v);
        break;
    default:
        return false;
    }
    x86::retire(inst, regs);
    from_registers(regs, frame);
    return true;
}

// Port I/O for a domain the virtual IOPL allows it: the hardware domain reaches real ports
// except those the hypervisor owns; everything else reads as all-ones and drops writes.
bool port_owned_by_hypervisor(uint16_t port, unsigned size) {
    auto overlaps = [&](uint16_t first, uint16_t last) { return port <= last && port + size - 1 >= first; };
    return overlaps(0x20, 0x21) || overlaps(0xa0, 0xa1) || overlaps(0x40, 0x43) || overlaps(0x61, 0x61) ||
           overlaps(0x3f8, 0x3ff);
}

bool io_permitted(const Vcpu& v) {
    // Guest kernel mode counts as ring 1, user mode as ring 3 (ring 0 with architectural IOPL).
    const unsigned cpl = v.pv.kernel_mode ? (v.domain().vm_assist_enabled(4) ? 0 : 1) : 3;
    return v.pv.iopl >= cpl;
}

bool emulate_port_io(Vcpu& v, arch::CpuRegs& frame, const x86::Instruction& inst, x86::Registers& regs) {
    if (!io_permitted(v))
        return false;
    auto io = x86::port_io(inst, regs);
    if (!io.ok())
        return false;
    const bool real = v.domain().privileged() && !port_owned_by_hypervisor(io->port, io->size);
    if (io->write) {
        if (real) {
            if (io->size == 1)
                arch::outb(io->port, static_cast<uint8_t>(io->value));
            else if (io->size == 2)
                arch::outw(io->port, static_cast<uint16_t>(io->value));
            else
                arch::outl(io->port, static_cast<uint32_t>(io->value));
        }
        x86::retire(inst, regs);
    } else {
        uint32_t value = 0xffffffff;
        if (real)
            value = io->size == 1 ? arch::inb(io->port) : io->size == 2 ? arch::inw(io->port) : arch::inl(io->port);
        if (x86::complete_in(inst, regs, value) != Status::Ok)
            return false;
    }
    from_registers(regs, frame);
    return true;
}

}  // namespace

bool emulate_invalid_opcode(Vcpu& v, arch::CpuRegs& frame) {
    // The forced-emulation prefix is exactly these 7 bytes (ud2; "xen"; cpuid): Linux
    // issues it constantly, so it is recognised without the general decoder.
    // Compared as one little-endian word: the 8-byte read is one load; only when it fails
    // (the sequence ends right at the end of a mapped page) are exactly 7 bytes read.
    constexpr uint64_t kForcedCpuid = 0x00a20f6e65780b0full;  // 0f 0b 78 65 6e 0f a2
    constexpr size_t kForcedCpuidLength = 7;
    uint64_t word = 0;
    if (copy_from_guest(&word, frame.rip, sizeof(word)) != Status::Ok &&
        copy_from_guest(&word, frame.rip, kForcedCpuidLength) != Status::Ok)
        return false;
    if ((word & ((uint64_t{1} << (8 * kForcedCpuidLength)) - 1)) != kForcedCpuid)
        return false;
    pv::CpuidCallContext call;
    call.guest_kernel_mode = v.pv.kernel_mode;
    call.forced_emulation = true;
    call.guest_cr4 = guest_cr4(v);
    const pv::CpuidLeaf out =
        v.domain().cpuid.guest_cpuid(static_cast<uint32_t>(frame.rax), static_cast<uint32_t>(frame.rcx), call);
    // CPUID writes the low halves and clears the high halves of RAX/RBX/RCX/RDX.
    frame.rax = out.eax;
    frame.rbx = out.ebx;
    frame.rcx = out.ecx;
    frame.rdx = out.edx;
    frame.rip += kForcedCpuidLength;
    frame.rflags &= ~x86::kResumeFlag;
    return true;
}

bool emulate_privileged_op(Vcpu& v, arch::CpuRegs& frame) {
    auto inst = fetch_and_decode(frame);
    if (!inst.ok())
        return false;
    x86::Registers regs = to_registers(frame);
    switch (inst->kind) {
    case x86::Kind::Rdmsr:
    case x86::Kind::Wrmsr:
        return emulate_msr(v, frame, *inst, regs);
    case x86::Kind::MovFromCr:
    case x86::Kind::MovToCr:
        return emulate_control_register(v, frame, *inst, regs);
    case x86::Kind::In:
    case x86::Kind::Out:
        return emulate_port_io(v, frame, *inst, regs);
    case x86::Kind::Cli:
    case x86::Kind::Sti:
        // With enough virtual IOPL these do nothing (the virtual IF is the upcall mask,
        // which Linux changes directly), as on Xen.
        if (!io_permitted(v))
            return false;
        x86::retire(*inst, regs);
        from_registers(regs, frame);
        return true;
    case x86::Kind::Clts:
        if (!v.pv.kernel_mode)
            return false;
        v.pv.virtual_ts = false;
        load_guest_ts(v);
        x86::retire(*inst, regs);
        from_registers(regs, frame);
        return true;
    case x86::Kind::Wbinvd:
    case x86::Kind::Invd:
        if (!v.pv.kernel_mode)
            return false;
        if (v.domain().privileged())
            asm volatile("wbinvd" ::: "memory");
        x86::retire(*inst, regs);
        from_registers(regs, frame);
        return true;
    case x86::Kind::Xsetbv: {
        if (!v.pv.kernel_mode || x86::ecx_index(regs) != 0)
            return false;
        const uint64_t value = x86::indexed_write(regs).value;
        const uint64_t supported = v.domain().cpuid.supported_xcr0();
        if ((value & ~supported) != 0 || !(value & 1) || (value & 6) == 4)
            return false;
        asm volatile("xsetbv" : : "c"(0), "a"(static_cast<uint32_t>(value)), "d"(static_cast<uint32_t>(value >> 32)));
        v.pv.xcr0 = value;
        x86::retire(*inst, regs);
        from_registers(regs, frame);
        return true;
    }
    case x86::Kind::Int: {
        // `int n` refused by the IDT: deliver through the guest's trap table if that entry
        // allows this privilege level (kernel mode counts as ring 1), else #GP with the
        // selector error code the hardware should have reported.
        auto vector = x86::software_interrupt_vector(*inst);
        if (!vector.ok())
            return false;
        const xen::TrapInfo& entry = v.pv.trap_table[*vector];
        const unsigned dpl = entry.flags & xen::trap_info_dpl_mask;
        if (entry.address != 0 && dpl >= (v.pv.kernel_mode ? 1u : 3u)) {
            x86::retire(*inst, regs);
            from_registers(regs, frame);
            bounce_exception(v, frame, *vector, 0, pv::EventKind::SoftwareInterrupt);
            return true;
        }
        bounce_exception(v, frame, kGeneralProtection, x86::software_interrupt_error_code(*vector));
        return true;
    }
    default:
        return false;
    }
}

bool emulate_page_table_write(Vcpu& v, arch::CpuRegs& frame, uint64_t fault_address) {
    if (!guest_range_ok(fault_address, 1))
        return false;
    const uint64_t pte = lookup_pte(v, fault_address);
    if (!(pte & kPresent) || (pte & kWritable))
        return false;
    const Pfn table = (pte & kAddressMask) >> kPageShift;
    Domain& d = v.domain();
    if (table >= max_pfn() || page_types().type_of(table) != pv::PageType::L1 || page_types().owner_of(table) != d.id())
        return false;
    auto inst = fetch_and_decode(frame);
    if (!inst.ok() || !x86::is_memory_write(inst->kind))
        return false;
    const unsigned index = static_cast<unsigned>((fault_address & 4095) >> 3);
    const auto* entries = static_cast<const uint64_t*>(layout::phys_to_virt(table << kPageShift));
    const uint64_t old_value = __atomic_load_n(&entries[index], __ATOMIC_ACQUIRE);
    x86::Registers regs = to_registers(frame, true);
    auto effect = x86::emulate_pte_write(*inst, regs, fault_address, old_value);
    if (!effect.ok())
        return false;
    if (effect->writes_memory &&
        page_types().update_entry(table, index, effect->new_value, d.id(), false) != Status::Ok)
        return false;  // the guest sees its #PF, as on Xen
    from_registers(effect->registers, frame);
    return true;
}

}  // namespace hv
