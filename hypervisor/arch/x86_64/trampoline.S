/* AP start-up trampoline. smp.cpp copies [ap_trampoline_start, ap_trampoline_end) to
 * physical 0x8000 and sends INIT-SIPI-SIPI with vector 0x08: the AP starts here in real
 * mode at CS:IP = 0800:0000, goes through 32-bit protected mode to long mode on the boot
 * page tables (boot_pml4: identity + image window), and jumps to hv_ap_start64 in the
 * high half, which switches to the master page tables and the AP's own stack. */
#include "arch/x86_64/asm_defs.h"

#define TRAMPOLINE_BASE 0x8000
#define TRAMP(sym) (TRAMPOLINE_BASE + (sym) - ap_trampoline_start)

    .section .rodata, "a"
    .balign 16
    .globl ap_trampoline_start, ap_trampoline_end, ap_trampoline_cr3
    .code16
ap_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl tramp_gdt_ptr - ap_trampoline_start
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x18, $TRAMP(tramp32)

    .code32
tramp32:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax                       /* PAE */
    movl %eax, %cr4
    movl TRAMP(ap_trampoline_cr3), %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax         /* LME | NXE */
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax
    movl %eax, %cr0
    ljmp $0x08, $TRAMP(tramp64)

    .code64
tramp64:
    movabsq $hv_ap_start64, %rax
    jmp *%rax

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00af9a000000ffff                  /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff                  /* 0x10: data */
    .quad 0x00cf9a000000ffff                  /* 0x18: 32-bit code */
tramp_gdt_end:
tramp_gdt_ptr:
    .short tramp_gdt_end - tramp_gdt - 1
    .long TRAMP(tramp_gdt)
    .balign 4
ap_trampoline_cr3:
    .long 0
ap_trampoline_end:

/* High half: master page tables, then the stack smp.cpp prepared for this AP. */
    .section .text, "ax"
    .globl hv_ap_start64
hv_ap_start64:
    movq ap_boot_cr3(%rip), %rax
    movq %rax, %cr3
    movq ap_boot_stack(%rip), %rsp
    xorl %ebp, %ebp
    call hv_ap_main
1:  cli
    hlt
    jmp 1b

    .section .data, "aw"
    .balign 8
    .globl ap_boot_cr3, ap_boot_stack
ap_boot_cr3: .quad 0
ap_boot_stack: .quad 0

    .section .note.GNU-stack, "", @progbits
