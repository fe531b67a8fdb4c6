#include "arch/x86_64/pv/context.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/paging.hpp"
#include "arch/x86_64/pv/gdt.hpp"
#include "arch/x86_64/pv/pv_cpu.hpp"
#include "arch/x86_64/pv/upcall.hpp"
#include "domain/domain.hpp"
#include "domain/runstate.hpp"
#include "domain/scheduler.hpp"
#include "kernel/percpu.hpp"
#include "kernel/pv_time.hpp"
#include "kernel/quiesce.hpp"
#include "kernel/softirq.hpp"
#include "pv/bounce_frame.hpp"

namespace hv {
namespace {

#define HV_READ_SELECTOR(seg)                                  \
    [] {                                                       \
        uint16_t selector;                                     \
        asm volatile("mov %%" #seg ", %0" : "=r"(selector));   \
        return selector;                                       \
    }()

// Loads the data selectors the guest chose; a bad one (the guest changed its GDT or LDT
// under us) becomes the null selector instead of faulting in the hypervisor, and its bit
// (ds 1, es 2, fs 4, gs 8) is set in the result.
extern "C" unsigned hv_load_data_selectors(uint16_t ds, uint16_t es, uint16_t fs, uint16_t gs);

void save(Vcpu& v) {
    PvVcpuState& s = v.pv;
    s.regs = cpu_info()->guest_regs;
    s.ds = HV_READ_SELECTOR(ds);
    s.es = HV_READ_SELECTOR(es);
    s.fs = HV_READ_SELECTOR(fs);
    s.gs = HV_READ_SELECTOR(gs);
    s.fs_base = arch::rdmsr(arch::msr::kFsBase);
    const uint64_t active = arch::rdmsr(arch::msr::kGsBase);
    const uint64_t inactive = arch::rdmsr(arch::msr::kKernelGsBase);
    s.gs_base_kernel = s.kernel_mode ? active : inactive;
    s.gs_base_user = s.kernel_mode ? inactive : active;
    asm volatile("fxsave64 %0" : "=m"(s.fpu));
}

// As Xen's load_segments: selectors that no longer load send the vCPU to its failsafe
// callback with the failed values on the stack (the guest reloads or fixes them), or crash
// the domain when it registered none.
void deliver_failsafe(Vcpu& v, arch::CpuRegs& frame) {
    arch::CpuRegs with_selectors = frame;
    with_selectors.ds = v.pv.ds;
    with_selectors.es = v.pv.es;
    with_selectors.fs = v.pv.fs;
    with_selectors.gs = v.pv.gs;
    pv::Bounce b;
    if (pv::build_failsafe_bounce(with_selectors, {v.pv.failsafe_callback, v.pv.failsafe_masks}, guest_mode_of(v),
                                  b) == Status::Ok)
        (void)commit_bounce(v, frame, b);
    else
        crash_domain(v, frame, "a data segment selector no longer loads and there is no failsafe callback");
}

void load(Vcpu& v) {
    PvVcpuState& s = v.pv;
    cpu_info()->guest_regs = s.regs;
    load_guest_cr3(v);
    const unsigned failed = hv_load_data_selectors(s.ds, s.es, s.fs, s.gs);
    arch::wrmsr(arch::msr::kFsBase, s.fs_base);
    arch::wrmsr(arch::msr::kGsBase, s.kernel_mode ? s.gs_base_kernel : s.gs_base_user);
    arch::wrmsr(arch::msr::kKernelGsBase, s.kernel_mode ? s.gs_base_user : s.gs_base_kernel);
    asm volatile("clts; fxrstor64 %0" : : "m"(s.fpu));
    load_guest_ts(v);
    load_guest_cr4(v);
    load_guest_debugregs(v);
    if (failed != 0)
        deliver_failsafe(v, cpu_info()->guest_regs);
}

}  // namespace

void load_guest_cr3(const Vcpu& v) {
    const Pfn l4 = v.pv.kernel_mode || v.pv.guest_table_user == 0 ? v.pv.guest_table : v.pv.guest_table_user;
    arch::write_cr3(l4 << kPageShift);
}

void load_guest_debugregs(const Vcpu& v) {
    const uint64_t* dr = v.pv.debugreg;
    constexpr uint64_t kDr7Enables = 0xff;
    if (dr[7] & kDr7Enables) {
        asm volatile("mov %0, %%dr0" : : "r"(dr[0]));
        asm volatile("mov %0, %%dr1" : : "r"(dr[1]));
        asm volatile("mov %0, %%dr2" : : "r"(dr[2]));
        asm volatile("mov %0, %%dr3" : : "r"(dr[3]));
        asm volatile("mov %0, %%dr6" : : "r"(dr[6]));
        asm volatile("mov %0, %%dr7" : : "r"(dr[7]));
    } else {
        asm volatile("mov %0, %%dr7" : : "r"(uint64_t{0x400}));
    }
}

void load_guest_ts(const Vcpu& v) {
    const uint64_t cr0 = arch::read_cr0();
    const uint64_t want = v.pv.virtual_ts ? (cr0 | arch::kCr0Ts) : (cr0 & ~arch::kCr0Ts);
    if (want != cr0)
        arch::write_cr0(want);
}

void load_guest_cr4(const Vcpu& v) {
    const uint64_t cr4 = arch::read_cr4();
    const uint64_t want = (cr4 & ~arch::kCr4Fsgsbase) | (v.pv.virtual_cr4 & arch::kCr4Fsgsbase);
    if (want != cr4)
        arch::write_cr4(want);
}

void toggle_guest_mode(Vcpu& v) {
    // swapgs exchanges the active and inactive GS bases, which is exactly the
    // kernel<->user switch of a 64-bit PV guest.
    asm volatile("swapgs" ::: "memory");
    v.pv.kernel_mode = !v.pv.kernel_mode;
    load_guest_cr3(v);
}

void context_switch(PerCpu& cpu, Vcpu* prev, Vcpu* next) {
    if (prev != nullptr) {
        save(*prev);
        prev->loaded_on.store(-1, std::memory_order_release);
    }
    cpu.current = next;
    if (next == nullptr) {
        arch::paging_activate();
        return;
    }
    // It may still be in the middle of being saved by the CPU it last ran on.
    while (next->loaded_on.load(std::memory_order_acquire) != -1)
        cpu_relax();
    next->loaded_on.store(static_cast<int>(cpu.id), std::memory_order_relaxed);
    next->processor.store(cpu.id);
    gdt_load_guest(cpu, *next);
    load(*next);
    pv_time_update(*next);
    runstate_publish(*next);
}

}  // namespace hv

extern "C" void hv_exit_to_guest_work() {
    using namespace hv;
    PerCpu& cpu = this_cpu();
    for (;;) {
        arch::irq_disable();
        if (cpu.softirq_pending)
            softirq_run();
        quiesce_note(cpu);
        if (!exit_work_needed(cpu))
            return;
        Vcpu* current = cpu.current;
        if (cpu.need_resched || current == nullptr || !sched_runnable(*current)) {
            Vcpu* next = sched_pick_next(cpu);
            if (next != current)
                context_switch(cpu, current, next);
            current = next;
        }
        if (current == nullptr) {
            ++cpu.idle_halts;
            arch::safe_halt();  // an interrupt (timer, wake-up IPI) brings us back here
            continue;
        }
        if (!deliver_pending_upcall(*current))
            continue;  // delivery crashed the domain: pick again
        return;
    }
}
