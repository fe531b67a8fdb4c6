/* Exception and callback entry points of a PV test guest, and the way back.
 *
 * The hypervisor bounces a guest fault to the trap-table handler with RSP pointing at
 * {rcx, r11, [error code], rip, cs, rflags, rsp, ss} (shared/spec/xen-pv-abi.md §6.6);
 * event and syscall callbacks get the same frame without an error code, the failsafe
 * callback one with ds, es, fs, gs between r11 and rip. Every entry normalises that into
 * a guest::TrapFrame (all GPRs, vector, error code, hardware frame), calls
 * guest_trap_dispatch(TrapFrame*), which may edit the frame, and returns with
 * HYPERVISOR_iret built from the (possibly edited) frame: push the iret_context
 * {rax, r11, rcx, flags = 0, rip, cs, rflags, rsp, ss} and `mov $23, %eax; syscall`
 * (§3.4). iret never returns to the instruction after the syscall.
 *
 * Invariant: TrapFrame's layout below matches traps.hpp (lowest address first:
 * r15 ... rax, vector, error_code, rip, cs, rflags, rsp, ss).
 */
#define VECTOR_EVENT 0x100
#define VECTOR_SYSCALL 0x101
#define VECTOR_FAILSAFE 0x102
#define HYPERCALL_IRET 23

    .text
.macro TRAP_STUB vec:req, has_error:req
    .balign 16
trap_stub_\vec:
    pop %rcx
    pop %r11
    .if \has_error == 0
    push $0
    .endif
    push $\vec
    jmp trap_common
.endm

TRAP_STUB 0, 0
TRAP_STUB 1, 0
TRAP_STUB 2, 0
TRAP_STUB 3, 0
TRAP_STUB 4, 0
TRAP_STUB 5, 0
TRAP_STUB 6, 0
TRAP_STUB 7, 0
TRAP_STUB 8, 1
TRAP_STUB 9, 0
TRAP_STUB 10, 1
TRAP_STUB 11, 1
TRAP_STUB 12, 1
TRAP_STUB 13, 1
TRAP_STUB 14, 1
TRAP_STUB 15, 0
TRAP_STUB 16, 0
TRAP_STUB 17, 1
TRAP_STUB 18, 0
TRAP_STUB 19, 0
TRAP_STUB 20, 0
TRAP_STUB 21, 1
TRAP_STUB 22, 0
TRAP_STUB 23, 0
TRAP_STUB 24, 0
TRAP_STUB 25, 0
TRAP_STUB 26, 0
TRAP_STUB 27, 0
TRAP_STUB 28, 0
TRAP_STUB 29, 1
TRAP_STUB 30, 1
TRAP_STUB 31, 0
/* Software-interrupt vectors the cases install with different DPLs. */
TRAP_STUB 128, 0
TRAP_STUB 129, 0

    .balign 16
    .globl guest_event_callback
guest_event_callback:
    pop %rcx
    pop %r11
    push $0
    push $VECTOR_EVENT
    jmp trap_common

    .balign 16
    .globl guest_syscall_callback
guest_syscall_callback:
    pop %rcx
    pop %r11
    push $0
    push $VECTOR_SYSCALL
    jmp trap_common

    /* The selectors the hypervisor could not load are dropped: the guest runs with
     * null data selectors, which always load. */
    .balign 16
    .globl guest_failsafe_callback
guest_failsafe_callback:
    pop %rcx
    pop %r11
    add $32, %rsp
    push $0
    push $VECTOR_FAILSAFE
    jmp trap_common

    .balign 16
trap_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    mov %rsp, %rdi
    mov %rsp, %rbx
    and $-16, %rsp
    call guest_trap_dispatch
    mov %rbx, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp           /* vector, error code: RSP now at rip, cs, rflags, rsp, ss */
    .globl guest_iret_from_frame
guest_iret_from_frame:
    push $0                 /* iret_context.flags: restore rcx and r11 */
    push %rcx
    push %r11
    push %rax
    mov $HYPERCALL_IRET, %eax
    syscall
    ud2

/* bool guest_catch_call(void (*fn)(void*), void* ctx)
 * Calls fn(ctx) with guest_catch_rsp recording a resumption point. A trap the
 * dispatcher catches resumes at guest_catch_landing with RSP = guest_catch_rsp and
 * RAX = 1, which unwinds to our caller as if fn had returned; a normal return gives 0.
 * Callee-saved registers come back from this frame either way. */
    .globl guest_catch_call
    .type guest_catch_call, @function
guest_catch_call:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    sub $8, %rsp
    mov %rsp, guest_catch_rsp(%rip)
    mov %rdi, %rax
    mov %rsi, %rdi
    call *%rax
    xor %eax, %eax
    jmp 1f
    .globl guest_catch_landing
guest_catch_landing:
    mov $1, %eax
1:  add $8, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    .size guest_catch_call, . - guest_catch_call

/* [[noreturn]] void guest_enter_user(uint64_t rip, uint64_t rsp, uint64_t rflags, uint64_t rax)
 * HYPERVISOR_iret to guest user mode (an RPL-3 CS switches to the user L4). Only a
 * trap or callback the catcher handles brings control back to the kernel. */
    .globl guest_enter_user
    .type guest_enter_user, @function
guest_enter_user:
    mov %rcx, %rax
    push $0xe02b            /* FLAT_USER_SS */
    push %rsi
    push %rdx
    push $0xe033            /* FLAT_USER_CS: RPL 3 */
    push %rdi
    push $0
    push %rcx
    push %r11
    push %rax
    mov $HYPERCALL_IRET, %eax
    syscall
    ud2
    .size guest_enter_user, . - guest_enter_user

    .section .rodata
    .balign 8
    .globl guest_trap_stubs
guest_trap_stubs:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad trap_stub_\vec
    .endr
    .globl guest_trap_stubs_soft
guest_trap_stubs_soft:
    .quad trap_stub_128
    .quad trap_stub_129

    .section .bss
    .balign 8
    .globl guest_catch_rsp
guest_catch_rsp:
    .skip 8

    .section .note.GNU-stack, "", @progbits
