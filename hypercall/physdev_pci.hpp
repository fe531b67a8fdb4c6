// PCI devices the hardware domain reports (PHYSDEVOP_pci_device_add/remove, the older
// manage_pci_* forms, pci_mmcfg_reserved). The hypervisor does no passthrough or MSI
// yet, so it only records which (segment, bus, devfn) exist, for remove's -ENODEV and
// for the MSI work to come. Facts: Xen 4.17 physdev.c, drivers/passthrough/pci.c.
#pragma once

#include <cstdint>

#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"

namespace hv {

int64_t physdev_pci_op(HypercallContext& ctx, xen::PhysdevOp op, uint64_t arg);

}  // namespace hv
