#include "arch/x86_64/pv/guest_traps.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/pv/context.hpp"
#include "arch/x86_64/pv/guest_store.hpp"
#include "arch/x86_64/pv/upcall.hpp"
#include "domain/domain.hpp"
#include "hypercall/dispatch.hpp"
#include "kernel/percpu.hpp"

namespace hv {
namespace {

constexpr uint8_t kDebug = 1, kNmi = 2, kBreakpoint = 3, kOverflow = 4, kInvalidOpcode = 6, kDeviceNotAvailable = 7,
                  kGeneralProtection = 13, kPageFault = 14, kInt80 = 0x80;
constexpr uint32_t kPfPresent = 1, kPfWrite = 2;
constexpr unsigned kVmassistWritablePagetables = 2;

// The common page fault, in guest kernel mode and not a write to a present page (which may
// be a page-table write to emulate): straight to the guest's handler with the one-step
// builder. False: nothing was changed but the guest stack below its rsp (a fault writing
// there), and the general path decides, with the same result or a crashed domain.
[[gnu::always_inline]] inline bool kernel_page_fault_fast(Vcpu& v, arch::CpuRegs& frame, uint64_t address) {
    xen::VcpuInfo* info = v.vcpu_info();
    if (!v.pv.kernel_mode || (frame.error_code & (kPfPresent | kPfWrite)) == (kPfPresent | kPfWrite) ||
        info == nullptr)
        return false;
    constexpr unsigned kVmassistArchitecturalIopl = 4;
    pv::KernelExceptionBounce b;
    if (!pv::build_kernel_exception_bounce(frame, kPageFault, frame.error_code, v.pv.trap_table[kPageFault],
                                           info->evtchn_upcall_mask,
                                           v.domain().vm_assist_enabled(kVmassistArchitecturalIopl), b) ||
        !store_guest_words8(b.frame_address, b.frame))  // the builder placed it in guest memory
        return false;
    v.pv.cr2 = address;
    info->arch.cr2 = address;
    __atomic_store_n(&info->evtchn_upcall_mask, b.upcall_mask, __ATOMIC_RELEASE);
    b.apply(frame);
    return true;
}

// The general page fault path: page-table write emulation, then the bounce.
[[gnu::noinline]] void page_fault_general(Vcpu& v, arch::CpuRegs& frame, uint64_t address) {
    if (v.pv.kernel_mode && (frame.error_code & (kPfPresent | kPfWrite)) == (kPfPresent | kPfWrite) &&
        v.domain().vm_assist_enabled(kVmassistWritablePagetables) && emulate_page_table_write(v, frame, address))
        return;
    v.pv.cr2 = address;
    if (v.vcpu_info() != nullptr)
        v.vcpu_info()->arch.cr2 = address;
    bounce_exception(v, frame, kPageFault, frame.error_code);
}

}  // namespace

void pv_guest_exception(arch::CpuRegs& frame) {
    Vcpu* current = this_cpu().current;
    if (current == nullptr)
        return;  // cannot happen: ring 3 runs only with a vCPU loaded
    Vcpu& v = *current;
    const uint8_t vector = static_cast<uint8_t>(frame.entry_vector);
    switch (vector) {
    case kPageFault:  // not reached: entry.S sends guest page faults to hv_guest_page_fault
        page_fault_general(v, frame, arch::read_cr2());
        return;
    case kGeneralProtection:
        if (!emulate_privileged_op(v, frame))
            bounce_exception(v, frame, vector, frame.error_code);
        return;
    case kInvalidOpcode:
        if (!emulate_invalid_opcode(v, frame))
            bounce_exception(v, frame, vector, 0);
        return;
    case kBreakpoint:
    case kOverflow:
        // int3/into from ring 3 reach us through DPL-3 gates: software interrupts, RIP
        // already past the instruction.
        bounce_exception(v, frame, vector, 0, pv::EventKind::SoftwareInterrupt);
        return;
    case kNmi:
        return;  // host NMIs are not forwarded to guests
    case kDeviceNotAvailable:
        // The guest set its virtual CR0.TS: deliver #NM and clear TS, as Xen does.
        v.pv.virtual_ts = false;
        load_guest_ts(v);
        bounce_exception(v, frame, vector, 0);
        return;
    case kDebug: {
        // The guest reads the cause through get_debugreg(6), as on Xen.
        uint64_t dr6;
        asm volatile("mov %%dr6, %0" : "=r"(dr6));
        v.pv.debugreg[6] = dr6;
        asm volatile("mov %0, %%dr6" : : "r"(uint64_t{0xffff0ff0}));
        bounce_exception(v, frame, vector, 0);
        return;
    }
    default:
        bounce_exception(v, frame, vector, frame.error_code);
        return;
    }
}

void pv_guest_int80(arch::CpuRegs& frame) {
    Vcpu* current = this_cpu().current;
    if (current == nullptr)
        return;
    Vcpu& v = *current;
    // Xen's fast path: a registered 0x80 handler gets the event whatever its DPL;
    // without one the `int` is refused with #GP, pointing at the instruction.
    if (v.pv.trap_table[kInt80].address != 0) {
        bounce_exception(v, frame, kInt80, 0, pv::EventKind::SoftwareInterrupt);
        return;
    }
    frame.rip -= 2;
    bounce_exception(v, frame, kGeneralProtection, (kInt80 << 3) | 2);
}

}  // namespace hv

namespace hv {
namespace {

// A `syscall` from guest user mode (or a 32-bit one): bounced to the guest kernel's
// callback. Kept out of line so the hypercall path below stays small.
[[gnu::noinline]] void bounce_user_syscall(Vcpu& v, arch::CpuRegs& frame, bool syscall64) {
    const pv::BounceTarget target = syscall64 ? pv::BounceTarget{v.pv.syscall_callback, v.pv.syscall_masks}
                                              : pv::BounceTarget{v.pv.syscall32_callback, true};
    pv::Bounce b;
    if (pv::build_syscall_bounce(frame, target, v.pv.trap_table[6], guest_mode_of(v), b) == Status::Ok)
        (void)commit_bounce(v, frame, b);
    else
        crash_domain(v, frame, "user syscall with no syscall callback and no #UD handler");
}

}  // namespace
}  // namespace hv

extern "C" bool hv_guest_syscall(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5) {
    using namespace hv;
    CpuInfo& info = *cpu_info();
    arch::CpuRegs& frame = info.guest_regs;
    Vcpu& v = *info.cpu->current;
    constexpr uint32_t kSyscall64 = 0x100;
    const bool syscall64 = frame.entry_vector == kSyscall64;
    if (syscall64 && v.pv.kernel_mode) [[likely]] {
        // A hypercall: run with interrupts on (long batches are preemptible).
        arch::irq_enable();
        pv_hypercall(v, frame, HypercallArgs{{a0, a1, a2, a3, a4, a5}});
    } else {
        bounce_user_syscall(v, frame, syscall64);
    }
    arch::irq_disable();
    return exit_work_fast_check(this_cpu());  // no quiescent point here (kernel/quiesce.hpp)
}

extern "C" void hv_iret_fault() {
    using namespace hv;
    CpuInfo& info = *cpu_info();
    crash_domain(*info.cpu->current, info.guest_regs, "iret frame unreadable");
}

extern "C" void hv_guest_page_fault(hv::arch::CpuRegs* frame) {
    using namespace hv;
    Vcpu& v = *this_cpu().current;
    // Read first: a fault the fast path takes writing the guest stack changes CR2.
    const uint64_t address = arch::read_cr2();
    if (!kernel_page_fault_fast(v, *frame, address))
        page_fault_general(v, *frame, address);
    exit_to_guest();
}
