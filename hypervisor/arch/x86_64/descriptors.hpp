// GDT, TSS and IDT.
//
// Every CPU's GDT follows Xen's split: entries 0-7167 (14 pages) will hold the running PV
// guest's own descriptors, entries 7168-7679 (one page, the "reserved page") are ours:
//   0xe008 hypervisor CS64, 0xe010 hypervisor DS, 0xe018 hypervisor CS32,
//   0xe023/0xe02b/0xe033 flat ring-3 CS32/DS/CS64 for PV guests, 0xe040 TSS (16 bytes).
// Until guest GDT frames exist, GDTR.base points 14 pages below the reserved page: only
// selectors >= 0xe000 are ever loaded, so the entries below are never read.
// The IDT is shared by all CPUs; #DF, NMI and #MC run on IST stacks in the CPU's stack
// block (asm_defs.h), so they work even on a corrupted kernel stack.
#pragma once

#include <cstdint>

namespace hv::arch {

struct [[gnu::packed]] Tss {
    uint32_t reserved0;
    uint64_t rsp0, rsp1, rsp2;
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t io_bitmap_offset;
};
static_assert(sizeof(Tss) == 104);

inline constexpr unsigned kFirstReservedGdtEntry = 7168;
inline constexpr unsigned kIstDoubleFault = 1, kIstNmi = 2, kIstMachineCheck = 3;

struct CpuDescriptors {
    alignas(64) Tss tss;
    uint64_t* gdt_reserved_page;  // 512 entries: selector 0xe000 + 8*i
};

// Fills the shared IDT (once, on the BSP, before any exception can be handled usefully).
void idt_init();
// Builds this CPU's reserved GDT page and TSS, then loads GDTR, segment registers, TR and
// IDTR. `stack_block` is the CPU's naturally aligned HV_STACK_SIZE block.
void load_cpu_descriptors(CpuDescriptors& desc, uint64_t* gdt_reserved_page, uint64_t stack_block);

}  // namespace hv::arch
