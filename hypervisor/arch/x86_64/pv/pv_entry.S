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
 * rflags (r11), cs and rip (rcx) and parked the guest's rax in CpuInfo::syscall_scratch. */
    .macro SYSCALL_COMMON vector
    pushq $0
    movl $\vector, 4(%rsp)
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    movq (HV_CPU_INFO_SCRATCH - REGS_RCX)(%rsp), %rax
    pushq %rax
    SAVE_GPRS_AFTER_RCX
    cld
    movq %rsp, %rdi
    subq $8, %rsp                             /* the frame starts 8 mod 16 (asm_defs.h) */
    call hv_handle_guest_syscall
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
