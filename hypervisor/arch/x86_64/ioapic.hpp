// I/O APICs the firmware reported (MADT): register reads for PHYSDEVOP_apic_read and the
// redirection entries the hypervisor programs on dom0's behalf (irq/, domain/irq_glue).
// Every pin is masked at registration; callers serialize programming of one GSI (the
// IRQ layer's lock), the per-IOAPIC lock only keeps IOREGSEL/IOWIN pairs together.
#pragma once

#include <cstdint>

#include "lib/status.hpp"

namespace hv::arch {

[[nodiscard]] Status ioapic_register(uint64_t phys_base, uint32_t gsi_base);
// IOREGSEL/IOWIN access (82093AA datasheet); InvalidArgument for an unknown IOAPIC.
[[nodiscard]] Result<uint32_t> ioapic_read(uint64_t phys_base, uint32_t reg);

// The registered IOAPICs' MMIO bases (XENMEM_machine_memory_map reserves their pages).
unsigned ioapic_count();
uint64_t ioapic_base(unsigned index);  // index < ioapic_count()

// One past the highest GSI any registered IOAPIC serves (0 without IOAPICs).
uint32_t ioapic_gsi_limit();

struct IoApicRoute {
    uint8_t vector;
    bool level;
    bool active_low;
    bool masked;
    uint32_t destination;  // physical APIC ID
};
// Writes the redirection entry of `gsi` (fixed delivery, physical destination).
// NotFound when no IOAPIC serves the GSI.
[[nodiscard]] Status ioapic_program(uint32_t gsi, const IoApicRoute& route);
[[nodiscard]] Status ioapic_set_masked(uint32_t gsi, bool masked);

}  // namespace hv::arch
