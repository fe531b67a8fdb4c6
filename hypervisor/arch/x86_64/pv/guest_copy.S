/* size_t hv_copy_guest(void* dst, const void* src, size_t n): copies with fault recovery;
 * returns the number of bytes NOT copied (0 = success). rep movsb leaves %rcx at the
 * remaining count when it faults, so the fixup just returns it. */
    .section .text, "ax"
    .globl hv_copy_guest
hv_copy_guest:
    movq %rdx, %rcx
1:  rep movsb
    xorl %eax, %eax
    ret
2:  movq %rcx, %rax
    ret

    .section .hv_extable, "a"
    .balign 8
    .quad 1b, 2b

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
