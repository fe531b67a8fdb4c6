// MSI-X for the hardware domain's devices (Xen: arch/x86/msi.c). The hypervisor, not
// dom0, writes a vector's table entry: address = the boot CPU's local APIC in physical
// mode, data = a hypervisor vector, edge, fixed delivery; the entry's mask bit is the
// line's mask. Dom0 keeps enabling MSI-X and clearing the function mask in config space
// itself (Linux PV does, with pci_msi_ignore_mask set so it never touches entries).
//
// Config space is read through ECAM (the MCFG windows), never ports 0xcf8/0xcfc, so the
// hypervisor shares no address latch with dom0's own port-based config accesses.
#pragma once

#include <cstdint>

#include "lib/status.hpp"

namespace hv {

namespace acpi {
struct Mcfg;
}

// Boot, after the ACPI tables are known: the ECAM windows config reads go through.
void pci_ecam_init(const acpi::Mcfg& mcfg);

// One MSI-X table entry, mapped uncached.
struct MsixEntry {
    volatile uint32_t* words = nullptr;  // address low, address high, data, vector control
};

// Finds entry `entry_nr` of the MSI-X table of (seg, bus, devfn): the capability from
// config space, the table's BAR from the device (not the guest's table_base). NoDevice
// when the function has no config space or no MSI-X capability, InvalidArgument for an
// entry beyond the table, NoSuchAddress when the BAR is unassigned (Xen: -ENXIO) or
// places the table in RAM (the firmware map's non-reserved ranges), OutOfMemory when it cannot be mapped.
[[nodiscard]] Result<MsixEntry> msix_locate(uint16_t seg, uint8_t bus, uint8_t devfn, uint32_t entry_nr);
// Writes address/data for `vector` at APIC `destination`; the entry is left masked or not.
void msix_program(const MsixEntry& entry, uint8_t vector, uint32_t destination, bool masked);
void msix_set_masked(const MsixEntry& entry, bool masked);

}  // namespace hv
