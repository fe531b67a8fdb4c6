/* Multiboot2 entry: GRUB leaves us in 32-bit protected mode, paging off, EAX = magic,
 * EBX = physical address of the boot information. We check the CPU can do long mode,
 * map the first GiB of physical memory twice (identity, and at the image's high-half
 * window 0xffff82d040000000 - see layout.hpp) with 2 MiB pages, enable PAE + LME + NXE +
 * paging, and jump to the 64-bit high-half entry, which calls hv_kernel_main(magic, info).
 * Failures before the console exists print a letter on COM1 and halt.
 */
#include "arch/x86_64/asm_defs.h"

#define L4_IMAGE_SLOT 261
#define L3_IMAGE_SLOT 321

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long 0                                   /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long 0x100000000 - (MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
    .balign 8                                 /* module alignment tag: modules page-aligned */
    .short 6, 0
    .long 8
    .balign 8                                 /* end tag */
    .short 0, 0
    .long 8
mb2_header_end:

    .section .text.boot, "ax"
    .code32
    .globl hv_start32
hv_start32:
    cli
    cld
    movl $boot_stack32_top, %esp
    movl %eax, boot_mb2_magic
    movl %ebx, boot_mb2_info

    cmpl $MB2_BOOTLOADER_MAGIC, %eax
    movb $'M', %al
    jne early_fail

    /* Long mode and NX are required (CPUID 0x80000001: EDX bit 29 LM, bit 20 NX). */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    movb $'L', %al
    jb early_fail
    movl $0x80000001, %eax
    cpuid
    btl $29, %edx
    movb $'L', %al
    jnc early_fail
    btl $20, %edx
    movb $'N', %al
    jnc early_fail

    /* Zero .bss (GRUB zero-fills too; this does not rely on it). */
    movl $hv_bss_phys_start, %edi
    movl $hv_bss_phys_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    /* boot_pd: 512 x 2 MiB pages covering physical [0, 1 GiB), present|rw|ps. */
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax
    movl %eax, boot_pd(, %ecx, 8)
    movl $0, boot_pd + 4(, %ecx, 8)
    incl %ecx
    cmpl $512, %ecx
    jb 1b
    movl $(boot_pd + 3), boot_pdpt_low
    movl $(boot_pd + 3), boot_pdpt_high + L3_IMAGE_SLOT * 8
    movl $(boot_pdpt_low + 3), boot_pml4
    movl $(boot_pdpt_high + 3), boot_pml4 + L4_IMAGE_SLOT * 8

    lgdt boot_gdt_ptr
    movl %cr4, %eax
    orl $(1 << 5), %eax                       /* CR4.PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx                    /* IA32_EFER */
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax         /* LME | NXE */
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax    /* PG | WP | PE */
    movl %eax, %cr0
    ljmp $HV_BOOT_CS64, $boot_start64

/* Print "hv: boot failed <AL>" on COM1 (default BIOS setup) and halt. */
early_fail:
    movb %al, %bl
    movl $early_fail_msg, %esi
2:  lodsb
    testb %al, %al
    jz 3f
    movw $0x3f8, %dx
    outb %al, %dx
    jmp 2b
3:  movb %bl, %al
    outb %al, %dx
4:  hlt
    jmp 4b

    .code64
boot_start64:
    movl $HV_BOOT_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movabsq $hv_start64, %rax
    jmp *%rax

    .section .data.boot, "aw"
early_fail_msg:
    .asciz "hv: boot failed: "
    .balign 8
    .globl boot_mb2_magic, boot_mb2_info
boot_mb2_magic: .long 0
boot_mb2_info: .long 0
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff                  /* 0x08: 64-bit code, ring 0 */
    .quad 0x00cf92000000ffff                  /* 0x10: data, ring 0 */
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
    .balign 16
boot_stack32:
    .fill 256, 1, 0
boot_stack32_top:

    /* Boot page tables; kept after boot: APs start on them (identity map needed while
     * they enable paging), see smp.cpp. */
    .section .pagetables.boot, "aw"
    .balign 4096
    .globl boot_pml4
boot_pml4: .fill 512, 8, 0
boot_pdpt_low: .fill 512, 8, 0
boot_pdpt_high: .fill 512, 8, 0
boot_pd: .fill 512, 8, 0

/* 64-bit, high half. */
    .section .text.entry, "ax"
    .globl hv_start64
hv_start64:
    leaq bsp_stack(%rip), %rsp
    addq $HV_STACK_INITIAL_RSP_OFFSET, %rsp
    xorl %ebp, %ebp
    movabsq $boot_mb2_magic, %rax
    movl (%rax), %edi
    movabsq $boot_mb2_info, %rax
    movl (%rax), %esi
    call hv_kernel_main
5:  cli
    hlt
    jmp 5b

    .section .bss.bsp_stack, "aw", @nobits
    .balign HV_STACK_SIZE
    .globl bsp_stack
bsp_stack:
    .skip HV_STACK_SIZE

    .section .note.GNU-stack, "", @progbits

/* Physical addresses of low (.boot-linked) symbols for C++, which cannot reach them
 * RIP-relatively from the high half. */
    .section .rodata, "a"
    .balign 8
    .globl hv_image_phys_start_addr, hv_image_phys_end_addr, boot_pml4_phys
hv_image_phys_start_addr: .quad hv_image_phys_start
hv_image_phys_end_addr: .quad hv_image_phys_end
boot_pml4_phys: .quad boot_pml4
    .section .note.GNU-stack, "", @progbits
