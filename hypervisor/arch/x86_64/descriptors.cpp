#include "arch/x86_64/descriptors.hpp"

#include "arch/x86_64/asm_defs.h"
#include "arch/x86_64/cpu.hpp"

extern "C" const uint64_t hv_trap_stubs[256];

namespace hv::arch {
namespace {

struct [[gnu::packed]] IdtGate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;  // P | DPL | type (0xE = 64-bit interrupt gate)
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16);

alignas(4096) IdtGate idt[256];

constexpr uint8_t kInterruptGate = 0x8e;  // present, DPL 0, 64-bit interrupt gate

// Descriptor values (SDM vol. 3, 3.4.5), identical to the ones Xen installs.
constexpr uint64_t kHvCode64 = 0x00af9b000000ffff;
constexpr uint64_t kHvData = 0x00cf93000000ffff;
constexpr uint64_t kHvCode32 = 0x00cf9b000000ffff;
constexpr uint64_t kGuestCode32 = 0x00cffb000000ffff;
constexpr uint64_t kGuestData = 0x00cff3000000ffff;
constexpr uint64_t kGuestCode64 = 0x00affb000000ffff;

constexpr unsigned slot(unsigned selector) { return (selector >> 3) - kFirstReservedGdtEntry; }

void set_gate(unsigned vector, uint64_t handler, uint8_t ist) {
    IdtGate& g = idt[vector];
    g.offset_low = handler & 0xffff;
    g.selector = HV_CS64;
    g.ist = ist;
    g.type_attr = kInterruptGate;
    g.offset_mid = (handler >> 16) & 0xffff;
    g.offset_high = static_cast<uint32_t>(handler >> 32);
    g.reserved = 0;
}

}  // namespace

void idt_init() {
    for (unsigned v = 0; v < 256; ++v)
        set_gate(v, hv_trap_stubs[v], 0);
    idt[2].ist = kIstNmi;
    idt[8].ist = kIstDoubleFault;
    idt[18].ist = kIstMachineCheck;
    // int3 and into may be executed by PV guests (ring 3) and reach their trap table;
    // every other vector raised by `int n` in ring 3 faults with #GP and is decoded.
    idt[3].type_attr = kInterruptGate | (3 << 5);
    idt[4].type_attr = kInterruptGate | (3 << 5);
    idt[0x80].type_attr = kInterruptGate | (3 << 5);  // PV guests' int $0x80 fast path
}

void load_cpu_descriptors(CpuDescriptors& desc, uint64_t* gdt, uint64_t stack_block) {
    desc.gdt_reserved_page = gdt;
    for (unsigned i = 0; i < 512; ++i)
        gdt[i] = 0;
    gdt[slot(HV_CS64)] = kHvCode64;
    gdt[slot(HV_DS)] = kHvData;
    gdt[slot(HV_CS32)] = kHvCode32;
    gdt[slot(HV_GUEST_CS32)] = kGuestCode32;
    gdt[slot(HV_GUEST_DS)] = kGuestData;
    gdt[slot(HV_GUEST_CS64)] = kGuestCode64;

    Tss& tss = desc.tss;
    tss = Tss{};
    tss.rsp0 = stack_block + HV_STACK_RSP0_OFFSET;  // guest entries build their frame in CpuInfo::guest_regs
    tss.ist[kIstDoubleFault - 1] = stack_block + 1 * 4096;
    tss.ist[kIstNmi - 1] = stack_block + 2 * 4096;
    tss.ist[kIstMachineCheck - 1] = stack_block + 3 * 4096;
    tss.io_bitmap_offset = sizeof(Tss);  // no I/O bitmap: every port access from ring 3 faults

    // 64-bit available TSS descriptor (type 9), 16 bytes.
    const uint64_t base = reinterpret_cast<uint64_t>(&tss);
    const uint64_t limit = sizeof(Tss) - 1;
    gdt[slot(HV_TSS_SEL)] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                            (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[slot(HV_TSS_SEL) + 1] = base >> 32;

    const DescriptorPointer gdtr{
        static_cast<uint16_t>((kFirstReservedGdtEntry + 512) * 8 - 1),
        reinterpret_cast<uint64_t>(gdt) - kFirstReservedGdtEntry * 8,
    };
    lgdt(gdtr);
    // Reload CS with a far return, then the data segments.
    asm volatile(
        "pushq %[cs]\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movl %[ds], %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "movl %%eax, %%ss\n\t"
        "xorl %%eax, %%eax\n\t"
        "movl %%eax, %%fs\n\t"
        "movl %%eax, %%gs\n\t"
        :
        : [cs] "i"(HV_CS64), [ds] "i"(HV_DS)
        : "rax", "memory");
    ltr(HV_TSS_SEL);
    const DescriptorPointer idtr{sizeof(idt) - 1, reinterpret_cast<uint64_t>(idt)};
    lidt(idtr);
}

}  // namespace hv::arch
