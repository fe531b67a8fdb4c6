/* Constants shared by assembly and C++ (C++ static_asserts them against the types). */
#pragma once

#define HV_BOOT_CS64 0x08
#define HV_BOOT_DS 0x10

/* Selectors in the reserved part of every GDT (entries >= 7168), as Xen lays them out. */
#define HV_CS64 0xe008
#define HV_DS 0xe010
#define HV_CS32 0xe018
#define HV_GUEST_CS32 0xe023
#define HV_GUEST_DS 0xe02b
#define HV_GUEST_CS64 0xe033
#define HV_TSS_SEL 0xe040
#define HV_LDT_SEL 0xe050

/* Per-CPU stack block: 8 pages, naturally aligned, CpuInfo at the very top.
 *   page 0: #DF IST stack   page 1: NMI IST stack   page 2: #MC IST stack
 *   page 3: unused (guard later)   pages 4-7: primary stack, CpuInfo at the top */
#define HV_STACK_ORDER 3
#define HV_STACK_SIZE 0x8000
/* CpuInfo size is 8 mod 16 so that TSS.RSP0 = &guest_regs.es (offset 168) is 16-byte
 * aligned: the CPU aligns RSP down to 16 before pushing an interrupt frame, and the frame
 * must land exactly in guest_regs. The initial stack pointer is CpuInfo rounded down to 16. */
#define HV_CPU_INFO_SIZE 504
#define HV_CPU_INFO_CPU 200
#define HV_CPU_INFO_SCRATCH 208
#define HV_CPU_INFO_IRET_SCRATCH 216
#define HV_STACK_RSP0_OFFSET (HV_STACK_SIZE - HV_CPU_INFO_SIZE + REGS_ES)
#define HV_STACK_INITIAL_RSP_OFFSET ((HV_STACK_SIZE - HV_CPU_INFO_SIZE) & ~15)

/* CpuRegs layout (Xen's cpu_user_regs order), offsets used by entry.S. */
#define REGS_R15 0
#define REGS_R14 8
#define REGS_R13 16
#define REGS_R12 24
#define REGS_RBP 32
#define REGS_RBX 40
#define REGS_R11 48
#define REGS_RCX 88
#define REGS_RAX 80
#define REGS_ERROR_CODE 120
#define REGS_ENTRY_VECTOR 124
#define REGS_RIP 128
#define REGS_CS 136
#define REGS_RFLAGS 144
#define REGS_RSP 152
#define REGS_SS 160
#define REGS_ES 168
#define REGS_SIZE 200

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_BOOTLOADER_MAGIC 0x36d76289
