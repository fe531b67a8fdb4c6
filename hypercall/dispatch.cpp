#include "hypercall/dispatch.hpp"

#include <atomic>

#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "kernel/percpu.hpp"

namespace hv {
namespace {

using xen::Hypercall;

constexpr HypercallEntry entry(const char* name, HypercallHandler h) { return {name, h}; }

// The ABI table. Index = Xen's hypercall number; a null handler means -ENOSYS.
constexpr auto kTable = [] {
    struct Table {
        HypercallEntry e[kHypercallCount];
    } t{};
    auto set = [&](Hypercall nr, const char* name, HypercallHandler h) { t.e[xen::raw(nr)] = entry(name, h); };
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

std::atomic<uint64_t> counts[kHypercallCount];

}  // namespace

Domain& HypercallContext::domain() const { return vcpu_.domain(); }

bool HypercallContext::should_preempt() const {
    // Pending work on this CPU = an interrupt is waiting (the timer raised need_resched)
    // or the scheduler wants this CPU.
    return this_cpu().need_resched;
}

const char* hypercall_name(uint64_t nr) {
    return nr < kHypercallCount && kTable.e[nr].name ? kTable.e[nr].name : "unknown";
}

uint64_t hypercall_count(uint64_t nr) { return nr < kHypercallCount ? counts[nr].load() : 0; }

int64_t hypercall_dispatch(HypercallContext& ctx, uint64_t nr, const HypercallArgs& args) {
    if (nr >= kHypercallCount || kTable.e[nr].handler == nullptr)
        return to_guest_errno(Status::NotSupported);
    counts[nr].fetch_add(1, std::memory_order_relaxed);
    return kTable.e[nr].handler(ctx, args);
}

void pv_hypercall(Vcpu& vcpu, arch::CpuRegs& frame) {
    // Linux passes a 32-bit hypercall number in eax; the upper half is ignored (spec §3.1).
    const uint64_t nr = static_cast<uint32_t>(frame.rax);
    const HypercallArgs args{{frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9}};
    HypercallContext ctx(vcpu, frame, false);
    const int64_t result = hypercall_dispatch(ctx, nr, args);
    if (result == kNoReturnValue)
        return;
    if (result == kContinuation) {
        const HypercallArgs& next = ctx.continuation();
        frame.rdi = next.a[0];
        frame.rsi = next.a[1];
        frame.rdx = next.a[2];
        frame.r10 = next.a[3];
        frame.r8 = next.a[4];
        frame.rip -= 2;  // re-execute the `syscall` (0f 05)
        return;
    }
    frame.rax = static_cast<uint64_t>(result);
}

}  // namespace hv
