// I/O APICs the firmware reported (MADT), reachable by their physical base: register
// reads for PHYSDEVOP_apic_read now; the interrupt routing dom0 needs comes later.
#pragma once

#include <cstdint>

#include "lib/status.hpp"

namespace hv::arch {

[[nodiscard]] Status ioapic_register(uint64_t phys_base, uint32_t gsi_base);
// IOREGSEL/IOWIN access (82093AA datasheet); InvalidArgument for an unknown IOAPIC.
[[nodiscard]] Result<uint32_t> ioapic_read(uint64_t phys_base, uint32_t reg);

}  // namespace hv::arch
