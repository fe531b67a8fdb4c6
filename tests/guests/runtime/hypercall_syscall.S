/* Hypercall mechanism of the "syscall" variant (like Debian's XSA-466 kernel, which has
 * no hypercall page): a bare `syscall` in guest kernel mode with the number in eax and
 * arguments in rdi, rsi, rdx, r10, r8. rcx and r11 are clobbered by the instruction;
 * both are caller-saved in the SysV ABI, so callers need not know.
 *
 * int64_t guest_hypercall_raw(uint64_t nr, uint64_t a1, ..., uint64_t a5)
 */
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
    syscall
    ret
    .size guest_hypercall_raw, . - guest_hypercall_raw

    .section .rodata
    .globl guest_hypercall_mechanism
guest_hypercall_mechanism:
    .asciz "syscall"

    .section .note.GNU-stack, "", @progbits
