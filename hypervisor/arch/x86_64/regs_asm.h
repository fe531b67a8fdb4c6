/* Saving and restoring the general registers of a CpuRegs frame (regs.hpp) from
 * assembly: every entry path pushes them in this order after the error-code/vector
 * slot, and every exit pops them in reverse. */
#pragma once

/* Pushes rdi..r15 so that %rsp points at a complete CpuRegs frame. */
.macro SAVE_GPRS_AFTER_RCX
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro SAVE_GPRS
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rax
    SAVE_GPRS_AFTER_RCX
.endm

/* Pops r15..rdi and drops the error-code/vector slot: %rsp then points at the
 * hardware part of the frame, ready for iretq. */
.macro RESTORE_GPRS_AND_ERROR_CODE
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
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
