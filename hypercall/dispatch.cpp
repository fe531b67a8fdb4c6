#include "hypercall/dispatch.hpp"

#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "kernel/percpu.hpp"

namespace hv {

using xen::Hypercall;

// The ABI table (STYLE.md rule 3).
constexpr HypercallTable kHypercallTable = [] {
    HypercallTable t{};
    auto set = [&](Hypercall nr, const char* name, HypercallHandler h) {
        t.handler[xen::raw(nr)] = h;
        t.name[xen::raw(nr)] = name;
    };
    set(Hypercall::set_trap_table, "set_trap_table", hc_set_trap_table);
    set(Hypercall::mmu_update, "mmu_update", hc_mmu_update);
    set(Hypercall::set_gdt, "set_gdt", hc_set_gdt);
    set(Hypercall::stack_switch, "stack_switch", hc_stack_switch);
    set(Hypercall::set_callbacks, "set_callbacks", hc_set_callbacks);
    set(Hypercall::fpu_taskswitch, "fpu_taskswitch", hc_fpu_taskswitch);
    set(Hypercall::platform_op, "platform_op", hc_platform_op);
    set(Hypercall::mca, "mca", hc_mca);
    set(Hypercall::set_debugreg, "set_debugreg", hc_set_debugreg);
    set(Hypercall::get_debugreg, "get_debugreg", hc_get_debugreg);
    set(Hypercall::update_descriptor, "update_descriptor", hc_update_descriptor);
    set(Hypercall::memory_op, "memory_op", hc_memory_op);
    set(Hypercall::multicall, "multicall", hc_multicall);
    set(Hypercall::update_va_mapping, "update_va_mapping", hc_update_va_mapping);
    set(Hypercall::set_timer_op, "set_timer_op", hc_set_timer_op);
    set(Hypercall::xen_version, "xen_version", hc_xen_version);
    set(Hypercall::console_io, "console_io", hc_console_io);
    set(Hypercall::grant_table_op, "grant_table_op", hc_grant_table_op);
    set(Hypercall::vm_assist, "vm_assist", hc_vm_assist);
    set(Hypercall::update_va_mapping_otherdomain, "update_va_mapping_otherdomain", hc_update_va_mapping_otherdomain);
    set(Hypercall::iret, "iret", hc_iret);
    set(Hypercall::vcpu_op, "vcpu_op", hc_vcpu_op);
    set(Hypercall::set_segment_base, "set_segment_base", hc_set_segment_base);
    set(Hypercall::mmuext_op, "mmuext_op", hc_mmuext_op);
    set(Hypercall::sched_op, "sched_op", hc_sched_op);
    set(Hypercall::callback_op, "callback_op", hc_callback_op);
    set(Hypercall::event_channel_op, "event_channel_op", hc_event_channel_op);
    set(Hypercall::physdev_op, "physdev_op", hc_physdev_op);
    set(Hypercall::domctl, "control_op", hc_control_op);
    return t;
}();

Domain& HypercallContext::domain() const { return vcpu_.domain(); }

bool HypercallContext::should_preempt() const {
    // Pending work on this CPU = an interrupt is waiting (the timer raised need_resched)
    // or the scheduler wants this CPU.
    return this_cpu().need_resched;
}

const char* hypercall_name(uint64_t nr) {
    return nr < kHypercallCount && kHypercallTable.name[nr] ? kHypercallTable.name[nr] : "unknown";
}

int64_t hypercall_dispatch(HypercallContext& ctx, uint64_t nr, const HypercallArgs& args) {
    const HypercallHandler handler = hypercall_handler(nr);
    return handler != nullptr ? handler(ctx, args) : to_guest_errno(Status::NotSupported);
}

void hypercall_finish_special(arch::CpuRegs& frame, const HypercallContext& ctx, int64_t result) {
    if (result != kContinuation)
        return;  // kNoReturnValue: the handler rewrote the frame
    const HypercallArgs& next = ctx.continuation();
    frame.rdi = next.a[0];
    frame.rsi = next.a[1];
    frame.rdx = next.a[2];
    frame.r10 = next.a[3];
    frame.r8 = next.a[4];
    frame.rip -= 2;  // re-execute the `syscall` (0f 05)
}

}  // namespace hv
