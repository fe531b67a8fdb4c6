/* Entry point of a PV test guest. The builder enters at the ELF note ENTRY in guest
 * kernel mode (ring 3, FLAT_KERNEL_CS) with RSI = VA of start_info and RSP at the end of
 * its boot stack page; every other register is 0 and events are masked. We move to our
 * own stack, clear .bss (the loader already zero-fills memsz, but the runtime must not
 * depend on that), and hand start_info to the C++ runtime, which never returns.
 */
    .section .text.entry, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    cld
    mov %rsi, %r12
    lea __bss_start(%rip), %rdi
    lea __bss_end(%rip), %rcx
    sub %rdi, %rcx
    xor %eax, %eax
    rep stosb
    lea guest_stack_top(%rip), %rsp
    xor %ebp, %ebp
    mov %r12, %rdi
    call guest_runtime_start
1:  jmp 1b
    .size _start, . - _start

    .section .bss
    .balign 16
guest_stack:
    .skip 32768
    .globl guest_stack_top
guest_stack_top:

    .section .note.GNU-stack, "", @progbits
