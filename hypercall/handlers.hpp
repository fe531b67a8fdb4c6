// Every hypercall handler, one per Xen hypercall number (the table is in dispatch.cpp).
// Grouped by file: traps.cpp (trap table, callbacks, stack, segment bases, FPU, debug
// registers, iret), mmu.cpp (mmu_update, mmuext_op, update_va_mapping), descriptors.cpp
// (set_gdt, update_descriptor), memory.cpp (memory_op), version.cpp (xen_version,
// vm_assist), console.cpp, sched.cpp (sched_op, set_timer_op), vcpu.cpp (vcpu_op),
// multicall.cpp, events.cpp (event_channel_op), platform.cpp (platform_op, physdev_op),
// grant_table_op in grant/ later.
#pragma once

#include "hypercall/dispatch.hpp"

namespace hv {

#define HV_HYPERCALL(name) int64_t hc_##name(HypercallContext& ctx, const HypercallArgs& args)
HV_HYPERCALL(set_trap_table);
HV_HYPERCALL(mmu_update);
HV_HYPERCALL(set_gdt);
HV_HYPERCALL(stack_switch);
HV_HYPERCALL(set_callbacks);
HV_HYPERCALL(fpu_taskswitch);
HV_HYPERCALL(platform_op);
HV_HYPERCALL(mca);
HV_HYPERCALL(set_debugreg);
HV_HYPERCALL(get_debugreg);
HV_HYPERCALL(update_descriptor);
HV_HYPERCALL(memory_op);
HV_HYPERCALL(multicall);
HV_HYPERCALL(update_va_mapping);
HV_HYPERCALL(set_timer_op);
HV_HYPERCALL(xen_version);
HV_HYPERCALL(console_io);
HV_HYPERCALL(grant_table_op);
HV_HYPERCALL(vm_assist);
HV_HYPERCALL(update_va_mapping_otherdomain);
HV_HYPERCALL(iret);
HV_HYPERCALL(vcpu_op);
HV_HYPERCALL(set_segment_base);
HV_HYPERCALL(mmuext_op);
HV_HYPERCALL(sched_op);
HV_HYPERCALL(callback_op);
HV_HYPERCALL(event_channel_op);
HV_HYPERCALL(physdev_op);
HV_HYPERCALL(control_op);  // control.cpp: our domctl-slot control operation

}  // namespace hv
