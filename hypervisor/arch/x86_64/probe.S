/* bool hv_probe_read_u64(uint64_t address, uint64_t* out): a load that may fault. */
    .section .text, "ax"
    .globl hv_probe_read_u64
hv_probe_read_u64:
1:  movq (%rdi), %rax
    movq %rax, (%rsi)
    movl $1, %eax
    ret
2:  xorl %eax, %eax
    ret

    .section .hv_extable, "a"
    .balign 8
    .quad 1b, 2b

    .section .note.GNU-stack, "", @progbits
