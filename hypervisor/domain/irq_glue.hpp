// Device interrupts for the hardware domain: the kernel side of irq/pirq_table (IOAPIC
// programming, one vector per GSI, the interrupt handler, delivery to event channels at
// the next safe point) and of PHYSDEVOP's PIRQ sub-operations (hypercall/physdev.cpp).
//
// Delivery path: GSI fires -> vector kGsiVectorBase + gsi on the boot CPU -> the table
// masks a level pin and marks the pirq pending -> the local APIC is EOIed by the trap
// dispatcher -> at the next safe point (softirq_run) the pirq's port is raised in the
// domain. A level pin is unmasked when the domain EOIs the pirq (PHYSDEVOP_eoi).
#pragma once

#include <cstdint>

#include "lib/status.hpp"

namespace hv {

namespace acpi {
struct MadtInfo;
}
namespace evtchn {
class PirqHook;
}
class Domain;

inline constexpr uint8_t kGsiVectorBase = 0x30;  // GSIs 0..79 -> vectors 0x30..0x7f (below int 0x80)
inline constexpr uint8_t kMsiVectorBase = 0x90;  // MSI lines 0..63 -> vectors 0x90..0xcf

// Once, on the boot CPU, after the IOAPICs are registered and before events_init.
void irq_init(const acpi::MadtInfo& madt);
// The PirqHook the event-channel core is built with (valid before irq_init: it then
// answers as an IRQ layer with nothing mapped).
evtchn::PirqHook& irq_pirq_hook();
// Domain destruction: drops the EOI bitmap page reference.
void irq_domain_destroyed(Domain& d);

// PHYSDEVOP sub-operations (errors as the Status the hypercall converts).
[[nodiscard]] Result<uint32_t> irq_map_gsi(Domain& caller, uint32_t gsi, int32_t pirq);
// MAP_PIRQ_TYPE_MSI(_SEG) for MSI-X entry `entry_nr` of a function: the hypervisor
// writes the entry (masked until the pirq is bound). Errors: Permission, NoDevice (no
// MSI-X), InvalidArgument, NoSuchAddress, Exists (entry already mapped), NoSpace.
[[nodiscard]] Result<uint32_t> irq_map_msix(Domain& caller, uint16_t seg, uint8_t bus, uint8_t devfn,
                                            uint32_t entry_nr, int32_t pirq);
[[nodiscard]] Status irq_unmap_pirq(Domain& caller, uint32_t pirq);
[[nodiscard]] Status irq_setup_gsi(Domain& caller, int32_t gsi, bool level, bool active_low);
[[nodiscard]] Status irq_eoi(Domain& caller, uint32_t pirq);
// irq_status_query flags (xen::irqstat): needs_eoi always, as Xen answers.
[[nodiscard]] Result<uint32_t> irq_status(Domain& caller, uint32_t pirq);
// PHYSDEVOP_pirq_eoi_gmfn_v2: `mfn` becomes the domain's needs-EOI bitmap.
[[nodiscard]] Status irq_register_eoi_map(Domain& caller, uint64_t mfn);

}  // namespace hv
