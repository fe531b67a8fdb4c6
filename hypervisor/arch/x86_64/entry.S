/* Exception and interrupt entry: one stub per vector pushes a zero error code where the
 * CPU does not, records the vector in the upper half of that slot, and joins a common
 * path that saves the general registers as an arch::CpuRegs frame, calls
 * hv_handle_trap(CpuRegs*) with a 16-byte aligned stack, and returns with iretq. */
#include "arch/x86_64/asm_defs.h"
#include "arch/x86_64/regs_asm.h"

/* The CPU pushes an error code for vectors 8, 10-14, 17, 21, 29, 30 (SDM vol. 3, table 6-1). */
    .section .text, "ax"
    .balign 16
trap_common:
    SAVE_GPRS
    cld
    movq %rsp, %rdi
    movq %rsp, %rbx                           /* callee-saved: the frame */
    andq $-16, %rsp
    call hv_handle_trap
    movq %rbx, %rsp
    RESTORE_GPRS_AND_ERROR_CODE
    iretq

/* Page faults: from a guest (ring 3) straight to hv_guest_page_fault, the hottest guest
 * exception; from the hypervisor itself through hv_handle_trap like every other vector. */
    .balign 16
page_fault_common:
    SAVE_GPRS
    cld
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    testb $3, REGS_CS(%rdi)
    jz 1f
    call hv_guest_page_fault
    jmp 2f
1:  call hv_handle_trap
2:  movq %rbx, %rsp
    RESTORE_GPRS_AND_ERROR_CODE
    iretq

    /* 256 stubs, 16 bytes apart (each is at most 2 + 8 + 5 bytes). */
    .balign 16
trap_stubs_base:
    .set vec, 0
    .rept 256
    .balign 16
    .if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
    .else
    pushq $0
    .endif
    movl $vec, 4(%rsp)
    .if vec == 14
    jmp page_fault_common
    .else
    jmp trap_common
    .endif
    .set vec, vec + 1
    .endr

    .section .rodata, "a"
    .balign 8
    .globl hv_trap_stubs
hv_trap_stubs:
    .set vec, 0
    .rept 256
    .quad trap_stubs_base + vec * 16
    .set vec, vec + 1
    .endr

    .section .note.GNU-stack, "", @progbits
