/* size_t hv_copy_guest(void* dst, const void* src, size_t n): copies with fault recovery;
 * returns the number of bytes NOT copied (0 = success). Quadwords first, then the tail;
 * a faulting rep string instruction leaves %rcx at the elements still to go, from which
 * the fixups compute the bytes not copied. */
    .section .text, "ax"
    .globl hv_copy_guest
hv_copy_guest:
    movq %rdx, %rcx
    shrq $3, %rcx
    andl $7, %edx
1:  rep movsq
    movq %rdx, %rcx
2:  rep movsb
    xorl %eax, %eax
    ret
3:  leaq (%rdx, %rcx, 8), %rax
    ret
4:  movq %rcx, %rax
    ret

    .section .hv_extable, "a"
    .balign 8
    .quad 1b, 3b
    .quad 2b, 4b

    .section .note.GNU-stack, "", @progbits

/* bool hv_rdmsr_safe(uint32_t msr, uint64_t* value): rdmsr that returns false instead of
 * faulting on an MSR the CPU does not have. */
    .section .text, "ax"
    .globl hv_rdmsr_safe
hv_rdmsr_safe:
    movq %rsi, %r8
    movl %edi, %ecx
1:  rdmsr
    shlq $32, %rdx
    orq %rdx, %rax
    movq %rax, (%r8)
    movl $1, %eax
    ret
2:  xorl %eax, %eax
    ret

    .section .hv_extable, "a"
    .balign 8
    .quad 1b, 2b

    .section .note.GNU-stack, "", @progbits
