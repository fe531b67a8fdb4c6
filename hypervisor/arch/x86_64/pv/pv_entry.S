/* Entries from and exits to PV guests.
 *
 * Every guest entry builds its register frame in CpuInfo::guest_regs at the top of the
 * CPU's stack block (asm_defs.h): exceptions and interrupts from ring 3 because TSS.RSP0
 * points just past that frame, `syscall` because the per-CPU stub (syscall_stub.cpp)
 * switches to exactly that place. Every exit goes through restore_guest_frame with %rsp
 * at the frame: whatever vCPU the frame describes by then is the one that runs.
 */
#include "arch/x86_64/asm_defs.h"
#include "arch/x86_64/regs_asm.h"

#define TRAP_SYSCALL 0x100
#define TRAP_SYSCALL32 0x101

    .section .text, "ax"

/* syscall from a guest, continued from the per-CPU stub, which has pushed ss, rsp,
 * rflags (r11), cs and rip (rcx) and parked the guest's rax in CpuInfo::syscall_scratch.
 *
 * The frame is built without the callee-saved registers (rbx, rbp, r12-r15): the C++
 * code preserves them, so they still hold the guest's values when it returns. Their
 * slots are written only when hv_guest_syscall reports exit work (scheduling, softirqs,
 * event delivery): invariant, everything that reads a whole frame (context switch,
 * bounces, the debug keys) runs there, never inside a hypercall handler. The guest's
 * argument registers are passed on in the C calling convention (r10 -> rcx). SFMASK has
 * cleared DF, so no cld. */
    .macro SYSCALL_COMMON vector
    pushq $0
    movl $\vector, 4(%rsp)
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    movq (HV_CPU_INFO_SCRATCH - REGS_RCX)(%rsp), %rax
    pushq %rax
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    subq $(REGS_R11 + 8), %rsp                /* rbx..r15 slots, and 8: the frame starts 8 mod 16 */
    movq %r10, %rcx
    call hv_guest_syscall
    addq $8, %rsp
    testb %al, %al
    jnz 1f
    addq $REGS_R11, %rsp
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
    iretq
1:  movq %rbx, REGS_RBX(%rsp)
    movq %rbp, REGS_RBP(%rsp)
    movq %r12, REGS_R12(%rsp)
    movq %r13, REGS_R13(%rsp)
    movq %r14, REGS_R14(%rsp)
    movq %r15, REGS_R15(%rsp)
    subq $8, %rsp
    call hv_exit_to_guest_work
    addq $8, %rsp
    jmp hv_restore_guest_frame
    .endm

    .globl hv_syscall64_common, hv_syscall32_common
hv_syscall64_common:
    SYSCALL_COMMON TRAP_SYSCALL
hv_syscall32_common:
    SYSCALL_COMMON TRAP_SYSCALL32

/* %rsp = frame (CpuInfo::guest_regs): restore it and return to ring 3. */
    .globl hv_restore_guest_frame
hv_restore_guest_frame:
    RESTORE_GPRS_AND_ERROR_CODE
    iretq

/* void hv_enter_guest(CpuRegs* frame) [[noreturn]]: abandon the current stack, do the
 * exit work (scheduling, event delivery) and run whatever vCPU the frame then holds. */
    .globl hv_enter_guest
hv_enter_guest:
    movq %rdi, %rsp
    subq $8, %rsp
    call hv_exit_to_guest_work
    addq $8, %rsp
    jmp hv_restore_guest_frame

    .section .note.GNU-stack, "", @progbits
