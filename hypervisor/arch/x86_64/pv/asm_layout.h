/* Offsets of C++ objects that pv_entry.S reads on the direct iret path. Hand-kept:
 * asm_layout.cpp checks every one against the compiler's layout, so a change to Vcpu,
 * Domain or PerCpu that moves a field fails the build until this file follows. */
#pragma once

#define PERCPU_CURRENT 256        /* PerCpu::current */
#define PERCPU_NEED_RESCHED 264   /* PerCpu::need_resched; softirq_pending is the next byte */
#define VCPU_KERNEL_MODE 200      /* Vcpu::pv.kernel_mode */
#define VCPU_NMI_PENDING 5249     /* Vcpu::nmi_pending */
#define VCPU_NMI_MASKED 5250      /* Vcpu::nmi_masked */
#define VCPU_DOMAIN 5656          /* Vcpu::domain_ */
#define VCPU_VCPU_INFO 5672       /* Vcpu::vcpu_info_ */
#define DOMAIN_VM_ASSIST 24       /* Domain::vm_assist */

#define HV_HYPERVISOR_VIRT_END 0xffff880000000000  /* layout::kHypervisorVirtEnd */

#define VMASST_ARCHITECTURAL_IOPL_BIT 0x10  /* 1 << VMASST_TYPE_architectural_iopl (4) */
#define VGCF_IN_SYSCALL_BYTE1 0x01          /* VGCF_in_syscall (1 << 8), in byte 1 of flags */
#define RFLAGS_IF 0x200
/* RFLAGS bits an iret keeps from the guest's frame: every defined bit but IOPL and VM. */
#define RFLAGS_IRET_KEPT 0x3d4fd5

/* xen::IretContext (public ABI) */
#define IRET_RAX 0
#define IRET_R11 8
#define IRET_RCX 16
#define IRET_FLAGS 24
#define IRET_RIP 32
#define IRET_CS 40
#define IRET_RFLAGS 48
#define IRET_RSP 56
#define IRET_SS 64
#define IRET_SIZE 72
