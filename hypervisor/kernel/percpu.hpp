// Per-CPU state.
//
// Each CPU runs on a naturally aligned HV_STACK_SIZE block whose top HV_CPU_INFO_SIZE
// bytes hold its CpuInfo; the current CPU is found from %rsp alone (as Xen does), never
// from %gs, because PV guests own both GS bases while they run. IST stacks are inside the
// same block, so NMI/#DF/#MC handlers find their CPU the same way.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "arch/x86_64/asm_defs.h"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/regs.hpp"
#include "memory/frame.hpp"
#include "time/timer_queue.hpp"

namespace hv {

class Vcpu;

inline constexpr unsigned kMaxCpus = 64;

struct PerCpu {
    unsigned id = 0;
    uint32_t apic_id = 0;
    uint64_t stack_block = 0;             // VA of this CPU's stack block
    std::atomic<bool> online{false};
    arch::CpuDescriptors descriptors{};
    TimerQueue timers;                    // software timers that fire on this CPU
    uint64_t timer_interrupts = 0;
    uint64_t idle_halts = 0;

    Vcpu* current = nullptr;               // the vCPU whose state is loaded, nullptr = idle
    volatile bool need_resched = false;    // set by interrupts; checked on the way to a guest
    volatile bool softirq_pending = false; // this CPU's softirq queue is not empty (kernel/softirq)
    uint64_t syscall_stub = 0;             // VA of this CPU's syscall entry stubs
    Pfn gdt_mapped[14] = {};               // guest GDT frames in this CPU's window (0 = zero page)
    std::atomic<uint64_t> quiescent{0};    // quiescent points passed (kernel/quiesce); written by this CPU only
};

struct CpuInfo {
    arch::CpuRegs guest_regs;  // PV: the guest frame every guest entry builds (TSS.rsp0 = &guest_regs.es)
    PerCpu* cpu;
    uint64_t syscall_scratch;  // the syscall stub parks the guest's %rax here (asm_defs.h)
    uint64_t iret_scratch[2];  // pv_entry.S's direct iret keeps the guest's rdx, rsi here
    uint8_t pad[HV_CPU_INFO_SIZE - sizeof(arch::CpuRegs) - sizeof(PerCpu*) - 3 * sizeof(uint64_t)];
};
static_assert(sizeof(CpuInfo) == HV_CPU_INFO_SIZE);
// The exit path reads both flags with one 16-bit load (exit_work_fast_check). PerCpu is
// not standard-layout (atomics, TimerQueue), where GCC still defines offsetof.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
static_assert(offsetof(PerCpu, softirq_pending) == offsetof(PerCpu, need_resched) + 1);
#pragma GCC diagnostic pop
static_assert(offsetof(CpuInfo, syscall_scratch) == HV_CPU_INFO_SCRATCH);
static_assert((HV_STACK_RSP0_OFFSET & 15) == 0);

inline CpuInfo* cpu_info() {
    uint64_t rsp;
    asm("mov %%rsp, %0" : "=r"(rsp));
    return reinterpret_cast<CpuInfo*>((rsp | (HV_STACK_SIZE - 1)) + 1 - HV_CPU_INFO_SIZE);
}
inline PerCpu& this_cpu() { return *cpu_info()->cpu; }

// All CPUs found in the MADT that we brought up (index = CPU id).
PerCpu* cpu_by_id(unsigned id);
unsigned cpus_online();
unsigned cpus_possible();

}  // namespace hv
