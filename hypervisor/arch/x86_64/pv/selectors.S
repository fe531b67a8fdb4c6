/* unsigned hv_load_data_selectors(u16 ds, u16 es, u16 fs, u16 gs): each load that faults
 * (stale guest descriptor) falls back to the null selector; returns a mask of the ones
 * that did (bit 0 ds, 1 es, 2 fs, 3 gs), so the caller can run the failsafe callback. */
    .section .text, "ax"
    .globl hv_load_data_selectors
hv_load_data_selectors:
    xorl %eax, %eax
1:  movw %di, %ds
2:  movw %si, %es
3:  movw %dx, %fs
4:  movw %cx, %gs
5:  ret
6:  xorl %edi, %edi
    orl $1, %eax
    jmp 1b
7:  xorl %esi, %esi
    orl $2, %eax
    jmp 2b
8:  xorl %edx, %edx
    orl $4, %eax
    jmp 3b
9:  xorl %ecx, %ecx
    orl $8, %eax
    jmp 4b

    .section .hv_extable, "a"
    .balign 8
    .quad 1b, 6b
    .quad 2b, 7b
    .quad 3b, 8b
    .quad 4b, 9b

    .section .note.GNU-stack, "", @progbits

/* void hv_load_user_gs_selector(u16 sel): load the guest-user %gs selector while in
 * guest kernel mode (SEGBASE_GS_USER_SEL): swapgs so the load lands in the user half,
 * a faulting selector becomes null. */
    .section .text, "ax"
    .globl hv_load_user_gs_selector
hv_load_user_gs_selector:
    swapgs
1:  movw %di, %gs
2:  swapgs
    ret
3:  xorl %edi, %edi
    movw %di, %gs
    jmp 2b

    .section .hv_extable, "a"
    .balign 8
    .quad 1b, 3b

    .section .note.GNU-stack, "", @progbits
