// Local APIC (xAPIC, memory-mapped; SDM vol. 3, chapter 10): EOI, IPIs, and the timer in
// one-shot or TSC-deadline mode. There is no periodic tick: the timer is armed only for
// the earliest software-timer deadline of the CPU.
#pragma once

#include <cstdint>

#include "lib/status.hpp"

namespace hv::arch {

[[nodiscard]] Status lapic_init_bsp(uint64_t phys_base);
void lapic_init_this_cpu();  // every CPU, BSP included, after lapic_init_bsp
uint32_t lapic_id();
void lapic_eoi();

void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t page);  // page = trampoline address >> 12
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_nmi_all_but_self();

// Timer. Calibration measures the APIC timer against the TSC once (on the BSP).
void lapic_timer_calibrate(uint64_t tsc_hz);
bool lapic_timer_uses_tsc_deadline();
// Fire kVectorTimer once the TSC reaches `tsc_deadline` (0 = disarm).
void lapic_timer_arm(uint64_t tsc_deadline);
uint64_t lapic_timer_frequency();  // APIC timer Hz after the divider (0 if TSC-deadline)

}  // namespace hv::arch
