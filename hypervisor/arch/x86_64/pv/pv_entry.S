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
#include "arch/x86_64/pv/asm_layout.h"

#define TRAP_SYSCALL 0x100
#define TRAP_SYSCALL32 0x101
#define HYPERCALL_IRET 23
#define F(slot) ((slot) - REGS_RIP)               /* frame offset relative to &frame.rip */
#define SCRATCH_RDX F(HV_CPU_INFO_IRET_SCRATCH)
#define SCRATCH_RSI F(HV_CPU_INFO_IRET_SCRATCH + 8)

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
    movq F(HV_CPU_INFO_SCRATCH)(%rsp), %rax   /* the guest's rax, parked by the stub */
    pushq $0
    movl $\vector, 4(%rsp)
    PUSH_CALLER_SAVED
    subq $(REGS_R11 + 8), %rsp                /* rbx..r15 slots, and 8: the frame starts 8 mod 16 */
    movq %r10, %rcx
    call hv_guest_syscall
    addq $8, %rsp
    testb %al, %al
    jnz 1f
    addq $REGS_R11, %rsp
    POP_CALLER_SAVED_AND_ERROR_CODE
    iretq
1:  STORE_CALLEE_SAVED
    jmp exit_work_and_restore
    .endm

    .globl hv_syscall64_common, hv_syscall32_common
hv_syscall64_common:
    cmpl $HYPERCALL_IRET, F(HV_CPU_INFO_SCRATCH)(%rsp)
    je iret_direct
syscall64_full:
    SYSCALL_COMMON TRAP_SYSCALL
hv_syscall32_common:
    SYSCALL_COMMON TRAP_SYSCALL32

/* HYPERVISOR_iret from guest kernel mode back to guest kernel mode: every interrupt and
 * exception return of a PV kernel. It is done here without building a frame.
 *
 * On entry %rsp = &frame.rip (the stub pushed the hardware part), the guest's rax is in
 * CpuInfo::syscall_scratch, rcx and r11 hold what `syscall` put there (equal to the rip
 * and rflags slots), every other register is the guest's, and interrupts are off.
 *
 * Phase 1 checks and writes nothing: a user-mode vCPU, architectural IOPL, no vcpu_info,
 * a stack outside guest memory, a return to user mode (RPL 3: page tables to switch), a
 * non-canonical rip (#GP to deliver) or a fault reading the frame all go to the C++
 * hypercall (hv_guest_syscall -> pv_iret) with the registers as they came, which handles
 * them or crashes the domain exactly as for any other hypercall. Faults are caught by the
 * exception table; the hardware frame of such a fault lands just below %rsp, which is why
 * rdx and rsi are kept in CpuInfo::iret_scratch rather than in their frame slots.
 *
 * Phase 2 writes the new rip, cs, rflags, rsp, ss into the frame and the upcall mask
 * (= !RFLAGS.IF) into vcpu_info, clears nmi_masked, and loads rax, rcx, r11 (with
 * VGCF_in_syscall rcx = rip and r11 = rflags, what Xen's SYSRET exit leaves there). A fault
 * now can only mean that another vCPU unmapped the stack meanwhile: the domain is crashed
 * (hv_iret_fault), as Xen crashes it for an unreadable iret frame. Then the exit check of
 * exit_work_fast_check (context.hpp), and iretq or the exit work with a full frame. */

iret_direct:
    movq F(HV_CPU_INFO_CPU)(%rsp), %rax
    movq PERCPU_CURRENT(%rax), %rax           /* rax = the running vCPU */
    cmpb $0, VCPU_KERNEL_MODE(%rax)
    je syscall64_full                         /* a user `syscall` with eax = 23: bounced */
    movq VCPU_DOMAIN(%rax), %rcx
    testb $VMASST_ARCHITECTURAL_IOPL_BIT, DOMAIN_VM_ASSIST(%rcx)
    jnz iret_full_rcx
    cmpq $0, VCPU_VCPU_INFO(%rax)
    je iret_full_rcx
    movq %rdx, SCRATCH_RDX(%rsp)
    movq %rsi, SCRATCH_RSI(%rsp)
    movq F(REGS_RSP)(%rsp), %rsi              /* rsi = the guest's iret_context */
    /* [rsi, rsi + 72) must be guest memory: below 2^47, or from HYPERVISOR_VIRT_END up
     * without wrapping (seam/guest_memory.hpp's rule). */
    movabs $HV_HYPERVISOR_VIRT_END, %rcx
    cmpq %rcx, %rsi
    jae 1f
    movabs $((1 << 47) - IRET_SIZE), %rcx
    cmpq %rcx, %rsi
    ja iret_full_saved
    jmp 2f
1:  cmpq $-IRET_SIZE, %rsi
    ja iret_full_saved
2:
10: movq IRET_CS(%rsi), %rdx
    leal 1(%rdx), %ecx
    testb $3, %cl
    jz iret_full_saved                        /* RPL 3: back to guest user mode */
11: movq IRET_RIP(%rsi), %rcx
    movq %rcx, %r11
    shlq $16, %r11
    sarq $16, %r11
    cmpq %rcx, %r11
    jne iret_full_saved                       /* non-canonical */
12: cmpq $0, IRET_RAX(%rsi)                   /* both ends readable: phase 2 cannot fault */
13: movq IRET_SS(%rsi), %r11

    /* Phase 2. */
    movq %rcx, (%rsp)
    orl $3, %edx
    movw %dx, F(REGS_CS)(%rsp)
    orl $3, %r11d
    movw %r11w, F(REGS_SS)(%rsp)
20: movq IRET_RSP(%rsi), %rcx
    movq %rcx, F(REGS_RSP)(%rsp)
21: movq IRET_RFLAGS(%rsi), %rcx
    movq VCPU_VCPU_INFO(%rax), %rdx
    testl $RFLAGS_IF, %ecx
    setz 1(%rdx)                              /* evtchn_upcall_mask */
    andl $RFLAGS_IRET_KEPT, %ecx
    orl $(RFLAGS_IF | 2), %ecx
    movq %rcx, F(REGS_RFLAGS)(%rsp)
    movb $0, VCPU_NMI_MASKED(%rax)
    movq F(HV_CPU_INFO_CPU)(%rsp), %rcx
    cmpw $0, PERCPU_NEED_RESCHED(%rcx)        /* need_resched or softirq_pending */
    jne 5f
    cmpb $0, VCPU_NMI_PENDING(%rax)
    jne 5f
    movzwl (%rdx), %ecx                       /* upcall pending and unmasked? */
    decl %ecx
    cmpw $0xff, %cx
    jb 5f
    call iret_result_registers
    iretq
5:  call iret_result_registers
    pushq $0
    movl $TRAP_SYSCALL, 4(%rsp)
    SAVE_GPRS
    jmp exit_work_and_restore

/* rax, rcx, r11 from the iret_context (%rsi), then the guest's rdx and rsi back. Called
 * with %rsp = &frame.rip - 8, so its own F() offsets are 8 further. */
iret_result_registers:
30: testb $VGCF_IN_SYSCALL_BYTE1, IRET_FLAGS + 1(%rsi)
    jz 1f
    movq 8(%rsp), %rcx                        /* the new rip */
    movq 8 + F(REGS_RFLAGS)(%rsp), %r11       /* the new rflags */
    jmp 2f
1:
31: movq IRET_RCX(%rsi), %rcx
32: movq IRET_R11(%rsi), %r11
2:
33: movq IRET_RAX(%rsi), %rax
    movq 8 + SCRATCH_RDX(%rsp), %rdx
    movq 8 + SCRATCH_RSI(%rsp), %rsi
    ret

iret_full_saved:
    movq SCRATCH_RDX(%rsp), %rdx
    movq SCRATCH_RSI(%rsp), %rsi
iret_full_rcx:
    movq (%rsp), %rcx
    movq F(REGS_RFLAGS)(%rsp), %r11
    jmp syscall64_full

/* A fault in phase 2 (%rsp = &frame.rip, or 8 below inside iret_result_registers). */
iret_fault_in_call:
    addq $8, %rsp
iret_fault:
    movq SCRATCH_RDX(%rsp), %rdx
    movq SCRATCH_RSI(%rsp), %rsi
    pushq $0
    movl $TRAP_SYSCALL, 4(%rsp)
    SAVE_GPRS
    subq $8, %rsp
    call hv_iret_fault
    addq $8, %rsp
    jmp exit_work_and_restore

    .section .hv_extable, "a"
    .balign 8
    .quad 10b, iret_full_saved
    .quad 11b, iret_full_saved
    .quad 12b, iret_full_saved
    .quad 13b, iret_full_saved
    .quad 20b, iret_fault
    .quad 21b, iret_fault
    .quad 30b, iret_fault_in_call
    .quad 31b, iret_fault_in_call
    .quad 32b, iret_fault_in_call
    .quad 33b, iret_fault_in_call
    .previous

/* void hv_enter_guest(CpuRegs* frame) [[noreturn]]: abandon the current stack, do the
 * exit work (scheduling, event delivery) and run whatever vCPU the frame then holds. */
    .globl hv_enter_guest
hv_enter_guest:
    movq %rdi, %rsp
/* %rsp = a complete frame (CpuInfo::guest_regs): the exit work, then that frame. */
exit_work_and_restore:
    subq $8, %rsp                             /* the frame starts 8 mod 16 */
    call hv_exit_to_guest_work
    addq $8, %rsp
/* %rsp = frame (CpuInfo::guest_regs): restore it and return to ring 3. */
    .globl hv_restore_guest_frame
hv_restore_guest_frame:
    RESTORE_GPRS_AND_ERROR_CODE
    iretq

    .section .note.GNU-stack, "", @progbits
