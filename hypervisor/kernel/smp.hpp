// Multiprocessor bring-up and cross-CPU calls.
//
// CPUs come from the ACPI MADT; the BSP starts each enabled AP in turn with
// INIT-SIPI-SIPI (one at a time, so the trampoline's variables need no locking) and waits
// for it to report online. Each AP gets its own stack block (CpuInfo at the top), GDT
// page, TSS and LAPIC setup, then idles (halted, no periodic tick).
#pragma once

#include <cstdint>

#include "acpi/tables.hpp"

namespace hv {

void smp_init_bsp(uint32_t apic_id);  // registers CPU 0 (the BSP) on its boot stack
void smp_boot_aps(const acpi::MadtInfo& madt, unsigned max_cpus);

// Runs fn(arg) on every online CPU (this one included) and waits for all of them.
void smp_call_all(void (*fn)(void*), void* arg);

// Prepares every AP for running PV guests (their syscall stubs); BSP calls it once.
void smp_start_pv_on_aps();

// Idle loop: never returns. Runs whatever vCPU the scheduler gives this CPU.
[[noreturn]] void idle_loop();

}  // namespace hv
