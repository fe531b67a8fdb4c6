#include "arch/x86_64/traps.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/pv/context.hpp"
#include "arch/x86_64/pv/guest_traps.hpp"
#include "kernel/extable.hpp"
#include "kernel/log.hpp"
#include "kernel/panic.hpp"
#include "lib/format.hpp"

namespace hv {
namespace {
bool report_caught_faults = false;
}

void extable_set_report(bool report) { report_caught_faults = report; }
bool extable_report() { return report_caught_faults; }

}  // namespace hv

extern "C" const hv::ExtableEntry hv_extable_start[], hv_extable_end[];

namespace hv {
uint64_t extable_lookup(uint64_t rip) {
    for (const ExtableEntry* e = hv_extable_start; e < hv_extable_end; ++e)
        if (e->fault_rip == rip)
            return e->fixup_rip;
    return 0;
}
}  // namespace hv

namespace hv::arch {
namespace {

InterruptHandler handlers[256];

constexpr const char* kExceptionNames[32] = {
    "divide error (#DE)", "debug (#DB)", "NMI", "breakpoint (#BP)", "overflow (#OF)", "bound range (#BR)",
    "invalid opcode (#UD)", "device not available (#NM)", "double fault (#DF)", "coprocessor segment overrun",
    "invalid TSS (#TS)", "segment not present (#NP)", "stack fault (#SS)", "general protection (#GP)",
    "page fault (#PF)", "reserved (15)", "x87 FP error (#MF)", "alignment check (#AC)", "machine check (#MC)",
    "SIMD FP exception (#XM)", "virtualization exception (#VE)", "control protection (#CP)", "reserved (22)",
    "reserved (23)", "reserved (24)", "reserved (25)", "reserved (26)", "reserved (27)",
    "hypervisor injection (#HV)", "VMM communication (#VC)", "security exception (#SX)", "reserved (31)",
};

constexpr unsigned kPageFault = 14, kGeneralProtection = 13, kNmi = 2;

// Decodes the #PF error code (SDM vol. 3, 4.7) into words for the report.
void describe_page_fault(uint32_t code, char* out, size_t size) {
    format(out, size, "%s %s in %s mode%s%s", (code & 1) ? "protection violation on" : "non-present page on",
           (code & 2) ? "write" : ((code & 16) ? "instruction fetch" : "read"), (code & 4) ? "user" : "supervisor",
           (code & 8) ? ", reserved bit set" : "", (code & 32) ? ", protection key" : "");
}

void handle_exception(CpuRegs& regs) {
    const unsigned vector = regs.entry_vector;
    // #NP/#SS/#GP/#PF may be expected: guest-memory copies, probes, guest selector loads.
    if (vector >= 11 && vector <= kPageFault) {
        if (const uint64_t fixup = extable_lookup(regs.rip)) {
            if (extable_report()) {
                LOG_INFO("caught expected %s at %#llx (fixup %#llx), cr2 %#llx", exception_name(vector),
                         static_cast<unsigned long long>(regs.rip), static_cast<unsigned long long>(fixup),
                         static_cast<unsigned long long>(read_cr2()));
                dump_registers(regs);
            }
            regs.rip = fixup;
            return;
        }
    }
    if (vector == kNmi) {
        // NMIs are only used to stop CPUs after a panic elsewhere.
        halt_forever();
    }
    char detail[128] = "";
    if (vector == kPageFault) {
        char what[96];
        describe_page_fault(regs.error_code, what, sizeof(what));
        format(detail, sizeof(detail), " at %#llx: %s", static_cast<unsigned long long>(read_cr2()), what);
    }
    panic_with_frame(regs, "FATAL TRAP: vector %u, %s, error code %#x%s", vector, exception_name(vector),
                     regs.error_code, detail);
}

}  // namespace

void set_interrupt_handler(uint8_t vector, InterruptHandler handler) { handlers[vector] = handler; }

const char* exception_name(unsigned vector) { return vector < 32 ? kExceptionNames[vector] : "interrupt"; }

}  // namespace hv::arch

extern "C" void hv_handle_trap(hv::arch::CpuRegs* regs) {
    using namespace hv::arch;
    const unsigned vector = regs->entry_vector;
    // From ring 3 means from a PV guest: its frame is CpuInfo::guest_regs, and the way
    // out goes through scheduling and event delivery.
    const bool from_guest = (regs->cs & 3) == 3;
    if (vector < 32) {
        if (from_guest)
            hv::pv_guest_exception(*regs);
        else
            handle_exception(*regs);
    } else if (vector == 0x80 && from_guest) {
        hv::pv_guest_int80(*regs);  // a software interrupt: no EOI
    } else if (vector != kVectorSpurious) {  // no EOI for spurious interrupts (SDM 10.9)
#if defined(HV_LOCK_CHECKS)
        hv::lock_checks::interrupt_enter();
#endif
        if (handlers[vector] != nullptr)
            handlers[vector](*regs);
        else
            LOG_WARN("unexpected interrupt vector %#x", vector);
#if defined(HV_LOCK_CHECKS)
        hv::lock_checks::interrupt_exit();
#endif
        lapic_eoi();
    }
    if (from_guest)
        hv::exit_to_guest();
}
