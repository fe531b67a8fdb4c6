/* Hypercall mechanism of the "hypercall page" variant: the image declares a page with
 * the HYPERCALL_PAGE note and the builder fills it with 128 stubs of 32 bytes
 * (push rcx; push r11; mov $nr, eax; syscall; pop r11; pop rcx; ret). We tail-call the
 * stub for `nr`; numbers beyond the page fall back to a bare syscall so a test can
 * still probe them.
 *
 * int64_t guest_hypercall_raw(uint64_t nr, uint64_t a1, ..., uint64_t a5)
 */
#include "elf_note_asm.h"

XEN_NOTE_U64 XEN_NOTE_HYPERCALL_PAGE, hypercall_page

    .text
    .globl guest_hypercall_raw
    .type guest_hypercall_raw, @function
guest_hypercall_raw:
    mov %rdi, %rax
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %r10
    mov %r9, %r8
    cmp $128, %rax
    jae 1f
    shl $5, %rax
    lea hypercall_page(%rip), %r11
    add %r11, %rax
    jmp *%rax
1:  syscall
    ret
    .size guest_hypercall_raw, . - guest_hypercall_raw

    /* Filled by the domain builder; int3 until then so a missing fill traps loudly. */
    .section .text.hypercall_page, "ax", @progbits
    .balign 4096
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xcc

    .section .rodata
    .globl guest_hypercall_mechanism
guest_hypercall_mechanism:
    .asciz "hypercall-page"

    .section .note.GNU-stack, "", @progbits
