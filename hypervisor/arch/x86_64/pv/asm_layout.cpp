// Compile-time checks of arch/x86_64/pv/asm_layout.h against the C++ layout. Vcpu, Domain
// and PerCpu are not standard-layout (atomics, references to other objects); GCC still
// defines offsetof for them, which is all the assembly needs.
#include "arch/x86_64/pv/asm_layout.h"

#include <cstddef>

#include "arch/x86_64/asm_defs.h"
#include "arch/x86_64/layout.hpp"
#include "domain/domain.hpp"
#include "domain/vcpu.hpp"
#include "hypercall/public/shared_info.hpp"
#include "hypercall/public/trap.hpp"
#include "hypercall/public/x86_64.hpp"
#include "kernel/percpu.hpp"
#include "pv/bounce_frame.hpp"

namespace hv {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
struct AsmLayout {
    static_assert(offsetof(PerCpu, current) == PERCPU_CURRENT);
    static_assert(offsetof(PerCpu, need_resched) == PERCPU_NEED_RESCHED);
    static_assert(offsetof(PerCpu, softirq_pending) == PERCPU_NEED_RESCHED + 1);
    static_assert(offsetof(Vcpu, pv) + offsetof(PvVcpuState, kernel_mode) == VCPU_KERNEL_MODE);
    static_assert(offsetof(Vcpu, nmi_pending) == VCPU_NMI_PENDING);
    static_assert(offsetof(Vcpu, nmi_masked) == VCPU_NMI_MASKED);
    static_assert(offsetof(Vcpu, domain_) == VCPU_DOMAIN);
    static_assert(offsetof(Vcpu, vcpu_info_) == VCPU_VCPU_INFO);
    static_assert(offsetof(Domain, vm_assist) == DOMAIN_VM_ASSIST);
};
#pragma GCC diagnostic pop

static_assert(sizeof(bool) == 1 && sizeof(std::atomic<bool>) == 1);
static_assert(offsetof(CpuInfo, cpu) == HV_CPU_INFO_CPU);
static_assert(offsetof(CpuInfo, iret_scratch) == HV_CPU_INFO_IRET_SCRATCH);
static_assert(HV_HYPERVISOR_VIRT_END == layout::kHypervisorVirtEnd);
static_assert(VMASST_ARCHITECTURAL_IOPL_BIT == 1u << 4);
static_assert(VGCF_IN_SYSCALL_BYTE1 << 8 == xen::vgcf::in_syscall);
static_assert(RFLAGS_IF == pv::rflags::interrupt);
static_assert(RFLAGS_IRET_KEPT == (pv::rflags::all_defined & ~(pv::rflags::iopl | pv::rflags::virtual_8086)));
static_assert(offsetof(xen::VcpuInfo, evtchn_upcall_mask) == 1);
static_assert(offsetof(xen::IretContext, rax) == IRET_RAX && offsetof(xen::IretContext, r11) == IRET_R11 &&
              offsetof(xen::IretContext, rcx) == IRET_RCX && offsetof(xen::IretContext, flags) == IRET_FLAGS &&
              offsetof(xen::IretContext, rip) == IRET_RIP && offsetof(xen::IretContext, cs) == IRET_CS &&
              offsetof(xen::IretContext, rflags) == IRET_RFLAGS && offsetof(xen::IretContext, rsp) == IRET_RSP &&
              offsetof(xen::IretContext, ss) == IRET_SS && sizeof(xen::IretContext) == IRET_SIZE);

}  // namespace hv
