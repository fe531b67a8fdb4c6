/* Saving and restoring the general registers of a CpuRegs frame (regs.hpp) from
 * assembly: every entry path pushes them in this order after the error-code/vector
 * slot, and every exit pops them in reverse. */
#pragma once

/* The caller-saved half of the frame, rdi..r11, in push order. */
.macro PUSH_CALLER_SAVED
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rax
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
.endm

/* The callee-saved half, rbx..r15. */
.macro PUSH_CALLEE_SAVED
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

/* The callee-saved half written into its slots of the frame at %rsp (the hypercall entry
 * leaves room for it and fills it only when exit work runs, pv_entry.S). */
.macro STORE_CALLEE_SAVED
    movq %rbx, REGS_RBX(%rsp)
    movq %rbp, REGS_RBP(%rsp)
    movq %r12, REGS_R12(%rsp)
    movq %r13, REGS_R13(%rsp)
    movq %r14, REGS_R14(%rsp)
    movq %r15, REGS_R15(%rsp)
.endm

/* Pushes rdi..r15 so that %rsp points at a complete CpuRegs frame. */
.macro SAVE_GPRS
    PUSH_CALLER_SAVED
    PUSH_CALLEE_SAVED
.endm

/* Pops r11..rdi and drops the error-code/vector slot: %rsp then points at the hardware
 * part of the frame, ready for iretq. */
.macro POP_CALLER_SAVED_AND_ERROR_CODE
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rax
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
    addq $8, %rsp
.endm

/* Pops r15..rdi and drops the error-code/vector slot. */
.macro RESTORE_GPRS_AND_ERROR_CODE
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    POP_CALLER_SAVED_AND_ERROR_CODE
.endm
