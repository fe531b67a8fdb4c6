// physdev_op arguments (dom0: IRQs, PIRQ mapping, I/O privilege, PCI devices).
// Facts: shared/spec/xen-pv-abi.md §4.21.
//
// Invariant: fields marked "out" are written back only on success; a PIRQ number is the
// domain's own name for a physical IRQ and is what EVTCHNOP_bind_pirq takes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

// Xen: physdev_eoi.
struct PhysdevEoi {
    uint32_t irq;
};
static_assert(sizeof(PhysdevEoi) == 4);
static_assert(offsetof(PhysdevEoi, irq) == 0);

// Xen: physdev_pirq_eoi_gmfn (v1 and v2).
struct PhysdevPirqEoiGmfn {
    uint64_t gmfn;  // frame holding the needs-EOI bitmap
};
static_assert(sizeof(PhysdevPirqEoiGmfn) == 8);
static_assert(offsetof(PhysdevPirqEoiGmfn, gmfn) == 0);

namespace irqstat {
inline constexpr uint32_t needs_eoi = 1u << 0;
inline constexpr uint32_t shared = 1u << 1;
}  // namespace irqstat

// Xen: physdev_irq_status_query.
struct PhysdevIrqStatusQuery {
    uint32_t irq;
    uint32_t flags;  // out: irqstat::*
};
static_assert(sizeof(PhysdevIrqStatusQuery) == 8);
static_assert(offsetof(PhysdevIrqStatusQuery, irq) == 0);
static_assert(offsetof(PhysdevIrqStatusQuery, flags) == 4);

// Xen: physdev_set_iopl.
struct PhysdevSetIopl {
    uint32_t iopl;  // 0-3
};
static_assert(sizeof(PhysdevSetIopl) == 4);
static_assert(offsetof(PhysdevSetIopl, iopl) == 0);

// Xen: physdev_set_iobitmap.
struct PhysdevSetIobitmap {
    uint64_t bitmap;  // handle: uint8_t[nr_ports / 8]
    uint32_t nr_ports;
    uint32_t pad;
};
static_assert(sizeof(PhysdevSetIobitmap) == 16);
static_assert(offsetof(PhysdevSetIobitmap, bitmap) == 0);
static_assert(offsetof(PhysdevSetIobitmap, nr_ports) == 8);

// Xen: physdev_apic (apic_read, apic_write).
struct PhysdevApic {
    uint64_t apic_physbase;
    uint32_t reg;
    uint32_t value;  // out for apic_read
};
static_assert(sizeof(PhysdevApic) == 16);
static_assert(offsetof(PhysdevApic, apic_physbase) == 0);
static_assert(offsetof(PhysdevApic, reg) == 8);
static_assert(offsetof(PhysdevApic, value) == 12);

// Xen: physdev_irq (alloc_irq_vector, free_irq_vector).
struct PhysdevIrq {
    uint32_t irq;
    uint32_t vector;  // out
};
static_assert(sizeof(PhysdevIrq) == 8);
static_assert(offsetof(PhysdevIrq, irq) == 0);
static_assert(offsetof(PhysdevIrq, vector) == 4);

enum class MapPirqType : int32_t { msi = 0, gsi = 1, unknown = 2, msi_seg = 3, multi_msi = 4 };

// Xen: physdev_map_pirq.
struct PhysdevMapPirq {
    uint16_t domid;
    uint16_t pad0;
    int32_t type;  // MapPirqType
    int32_t index;
    int32_t pirq;  // in/out
    int32_t bus;
    int32_t devfn;
    int32_t entry_nr;
    uint32_t pad1;
    uint64_t table_base;
};
static_assert(sizeof(PhysdevMapPirq) == 40);
static_assert(offsetof(PhysdevMapPirq, domid) == 0);
static_assert(offsetof(PhysdevMapPirq, type) == 4);
static_assert(offsetof(PhysdevMapPirq, index) == 8);
static_assert(offsetof(PhysdevMapPirq, pirq) == 12);
static_assert(offsetof(PhysdevMapPirq, bus) == 16);
static_assert(offsetof(PhysdevMapPirq, devfn) == 20);
static_assert(offsetof(PhysdevMapPirq, entry_nr) == 24);
static_assert(offsetof(PhysdevMapPirq, table_base) == 32);

// Xen: physdev_unmap_pirq.
struct PhysdevUnmapPirq {
    uint16_t domid;
    uint16_t pad;
    int32_t pirq;
};
static_assert(sizeof(PhysdevUnmapPirq) == 8);
static_assert(offsetof(PhysdevUnmapPirq, domid) == 0);
static_assert(offsetof(PhysdevUnmapPirq, pirq) == 4);

// Xen: physdev_manage_pci, physdev_restore_msi.
struct PhysdevManagePci {
    uint8_t bus;
    uint8_t devfn;
};
static_assert(sizeof(PhysdevManagePci) == 2);
static_assert(offsetof(PhysdevManagePci, bus) == 0);
static_assert(offsetof(PhysdevManagePci, devfn) == 1);

// Xen: physdev_manage_pci_ext.
struct PhysdevManagePciExt {
    uint8_t bus;
    uint8_t devfn;
    uint16_t pad0;
    uint32_t is_extfn;
    uint32_t is_virtfn;
    struct {
        uint8_t bus;
        uint8_t devfn;
    } physfn;
    uint16_t pad1;
};
static_assert(sizeof(PhysdevManagePciExt) == 16);
static_assert(offsetof(PhysdevManagePciExt, bus) == 0);
static_assert(offsetof(PhysdevManagePciExt, devfn) == 1);
static_assert(offsetof(PhysdevManagePciExt, is_extfn) == 4);
static_assert(offsetof(PhysdevManagePciExt, is_virtfn) == 8);
static_assert(offsetof(PhysdevManagePciExt, physfn) == 12);

// Xen: physdev_setup_gsi.
struct PhysdevSetupGsi {
    int32_t gsi;
    uint8_t triggering;  // 0 edge, 1 level
    uint8_t polarity;    // 0 active high, 1 active low
    uint16_t pad;
};
static_assert(sizeof(PhysdevSetupGsi) == 8);
static_assert(offsetof(PhysdevSetupGsi, gsi) == 0);
static_assert(offsetof(PhysdevSetupGsi, triggering) == 4);
static_assert(offsetof(PhysdevSetupGsi, polarity) == 5);

// Xen: physdev_get_free_pirq.
struct PhysdevGetFreePirq {
    int32_t type;   // MapPirqType
    uint32_t pirq;  // out
};
static_assert(sizeof(PhysdevGetFreePirq) == 8);
static_assert(offsetof(PhysdevGetFreePirq, type) == 0);
static_assert(offsetof(PhysdevGetFreePirq, pirq) == 4);

inline constexpr uint32_t pci_mmcfg_reserved_flag = 1;

// Xen: physdev_pci_mmcfg_reserved.
struct PhysdevPciMmcfgReserved {
    uint64_t address;
    uint16_t segment;
    uint8_t start_bus;
    uint8_t end_bus;
    uint32_t flags;  // pci_mmcfg_reserved_flag
};
static_assert(sizeof(PhysdevPciMmcfgReserved) == 16);
static_assert(offsetof(PhysdevPciMmcfgReserved, address) == 0);
static_assert(offsetof(PhysdevPciMmcfgReserved, segment) == 8);
static_assert(offsetof(PhysdevPciMmcfgReserved, start_bus) == 10);
static_assert(offsetof(PhysdevPciMmcfgReserved, end_bus) == 11);
static_assert(offsetof(PhysdevPciMmcfgReserved, flags) == 12);

namespace pci_dev {
inline constexpr uint32_t extfn = 1u << 0;
inline constexpr uint32_t virtfn = 1u << 1;
inline constexpr uint32_t pxm = 1u << 2;  // optarr[0] holds the proximity domain
}  // namespace pci_dev

// Xen: physdev_pci_device_add; optional uint32_t optarr[] follows the fixed part.
struct PhysdevPciDeviceAdd {
    uint16_t seg;
    uint8_t bus;
    uint8_t devfn;
    uint32_t flags;  // pci_dev::*
    struct {
        uint8_t bus;
        uint8_t devfn;
    } physfn;
    uint16_t pad;
};
static_assert(sizeof(PhysdevPciDeviceAdd) == 12);
static_assert(offsetof(PhysdevPciDeviceAdd, seg) == 0);
static_assert(offsetof(PhysdevPciDeviceAdd, bus) == 2);
static_assert(offsetof(PhysdevPciDeviceAdd, devfn) == 3);
static_assert(offsetof(PhysdevPciDeviceAdd, flags) == 4);
static_assert(offsetof(PhysdevPciDeviceAdd, physfn) == 8);

// Xen: physdev_pci_device (pci_device_remove, restore_msi_ext, prepare/release_msix).
struct PhysdevPciDevice {
    uint16_t seg;
    uint8_t bus;
    uint8_t devfn;
};
static_assert(sizeof(PhysdevPciDevice) == 4);
static_assert(offsetof(PhysdevPciDevice, seg) == 0);
static_assert(offsetof(PhysdevPciDevice, bus) == 2);
static_assert(offsetof(PhysdevPciDevice, devfn) == 3);

}  // namespace xen
