// A virtual CPU of a PV domain.
//
// State split: while the vCPU runs, its general registers live in the running CPU's
// CpuInfo::guest_regs frame and its segment bases, FPU state and CR3 in hardware; while it
// does not run, they live here (context_switch moves them). Everything else (trap table,
// callbacks, page-table roots, virtual control registers) always lives here.
//
// Guest kernel and guest user both execute at CPL 3; `kernel_mode` is the software flag
// that says which one the vCPU is in (Xen's TF_kernel_mode). It selects the L4 loaded in
// CR3 (guest_table vs guest_table_user), which GS base is active, what `syscall` means
// (hypercall vs. bounce to the guest's syscall callback), and the RPL the guest sees.
//
// Locking: a vCPU's state is touched only by the CPU it runs on (or, while it is paused
// or not running, by a CPU holding its domain's lock); the scheduler owns `processor`.
#pragma once

#include <atomic>
#include <cstdint>

#include "arch/x86_64/regs.hpp"
#include "hypercall/public/shared_info.hpp"
#include "hypercall/public/trap.hpp"
#include "hypercall/public/vcpu.hpp"
#include "memory/frame.hpp"
#include "pv/msr_policy.hpp"
#include "sched/sched_unit.hpp"
#include "time/timer_queue.hpp"

namespace hv {

class Domain;

// A PV kernel runs at CPL 3: every code or stack selector it hands us gets RPL 3.
constexpr uint16_t guest_selector(uint16_t sel) { return sel == 0 ? sel : static_cast<uint16_t>(sel | 3); }

// FXSAVE image (x87 + SSE; XCR0 is fixed at x87|SSE for PV guests).
struct alignas(16) FpuState {
    uint8_t bytes[512];
};

struct PvVcpuState {
    arch::CpuRegs regs{};            // saved while not running
    bool kernel_mode = true;
    Pfn guest_table = 0;             // kernel L4 MFN (holds an L4 type reference)
    Pfn guest_table_user = 0;        // user L4 MFN, 0 = none
    uint64_t kernel_sp = 0;          // stack for user->kernel bounces (stack_switch)
    uint16_t kernel_ss = 0;

    xen::TrapInfo trap_table[256]{};
    uint64_t event_callback = 0, failsafe_callback = 0, syscall_callback = 0, syscall32_callback = 0,
             sysenter_callback = 0, nmi_callback = 0;
    bool event_masks = true, failsafe_masks = true, syscall_masks = true;

    uint64_t fs_base = 0, gs_base_kernel = 0, gs_base_user = 0;
    uint16_t ds = 0, es = 0, fs = 0, gs = 0;  // selectors, saved while not running

    Pfn gdt_frames[16] = {};
    unsigned gdt_entries = 0;
    uint64_t ldt_base = 0;
    unsigned ldt_entries = 0;

    bool virtual_ts = false;         // virtual CR0.TS (fpu_taskswitch)
    uint64_t virtual_cr4 = 0;        // guest-controllable CR4 bits
    uint64_t cr2 = 0;
    uint64_t debugreg[8] = {0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400};
    unsigned iopl = 0;               // virtual IOPL (physdev set_iopl)
    uint64_t tsc_aux = 0;
    uint64_t xcr0 = 3;

    FpuState fpu{};
    pv::MsrState msrs{};             // MSR state beyond the segment bases above
};

class Vcpu {
public:
    Vcpu(Domain& domain, unsigned id);
    Vcpu(const Vcpu&) = delete;
    Vcpu& operator=(const Vcpu&) = delete;

    Domain& domain() const { return *domain_; }
    unsigned id() const { return id_; }

    // vcpu_info: in shared_info until the guest registers its own (VCPUOP_register_vcpu_info).
    xen::VcpuInfo* vcpu_info() const { return vcpu_info_; }
    void set_vcpu_info(xen::VcpuInfo* info, Pfn mfn) {
        vcpu_info_ = info;
        vcpu_info_mfn_ = mfn;
    }
    Pfn vcpu_info_mfn() const { return vcpu_info_mfn_; }

    PvVcpuState pv;

    std::atomic<bool> online{false};
    std::atomic<bool> nmi_pending{false};  // VCPUOP_send_nmi, delivered on the way back in
    bool nmi_masked = false;               // an NMI handler runs until its iret
    bool initialised = false;             // has a context (built, or VCPUOP_initialise)
    bool vcpu_info_registered = false;    // VCPUOP_register_vcpu_info done (once only)
    std::atomic<bool> blocked{false};     // SCHEDOP_block: waiting for an event
    std::atomic<unsigned> processor{0};   // physical CPU it last ran / will run on
    // The CPU whose hardware holds this vCPU's state, -1 when saved here. A CPU about to
    // load the vCPU waits until the previous one has saved it (a migration race).
    std::atomic<int> loaded_on{-1};
    sched::SchedUnit sched_unit{this};

    // Timers (fire on the vCPU's processor): one-shot (VCPUOP_set_singleshot_timer /
    // set_timer_op) and periodic (default 10 ms until VCPUOP_stop_periodic_timer).
    Timer singleshot_timer;
    Timer periodic_timer;
    Timer poll_timer;
    uint64_t periodic_period_ns = 0;
    uint64_t runstate_area = 0;           // guest VA of vcpu_runstate_info, 0 = none
    uint64_t time_area = 0;               // guest VA of a secondary vcpu_time_info, 0 = none

private:
    friend struct AsmLayout;  // the offsets pv_entry.S reads (arch/x86_64/pv/asm_layout.cpp)
    Domain* domain_;
    unsigned id_;
    xen::VcpuInfo* vcpu_info_ = nullptr;
    Pfn vcpu_info_mfn_ = 0;
};

}  // namespace hv
