#include "hypercall/physdev_pci.hpp"

#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/public/physdev.hpp"
#include "kernel/log.hpp"
#include "lib/spinlock.hpp"

namespace hv {
namespace {

// (segment << 16 | bus << 8 | devfn) + 1 of each recorded device; 0 is a free slot.
// Xen answers -ENOMEM when it cannot allocate a device; a full table answers the same.
constexpr unsigned kMaxDevices = 256;
uint32_t devices[kMaxDevices];
TicketLock devices_lock;

uint32_t key(uint16_t seg, uint8_t bus, uint8_t devfn) {
    return ((uint32_t{seg} << 16) | (uint32_t{bus} << 8) | devfn) + 1;
}

Status add_device(uint16_t seg, uint8_t bus, uint8_t devfn) {
    const uint32_t k = key(seg, bus, devfn);
    LockGuard guard(devices_lock);
    uint32_t* free_slot = nullptr;
    for (uint32_t& d : devices) {
        if (d == k)
            return Status::Ok;  // Xen: adding a known device again updates it, 0
        if (d == 0 && free_slot == nullptr)
            free_slot = &d;
    }
    if (free_slot == nullptr)
        return Status::OutOfMemory;
    *free_slot = k;
    LOG_INFO("PCI add device %04x:%02x:%02x.%u", seg, bus, devfn >> 3, devfn & 7);
    return Status::Ok;
}

Status remove_device(uint16_t seg, uint8_t bus, uint8_t devfn) {
    const uint32_t k = key(seg, bus, devfn);
    LockGuard guard(devices_lock);
    for (uint32_t& d : devices) {
        if (d == k) {
            d = 0;
            LOG_INFO("PCI remove device %04x:%02x:%02x.%u", seg, bus, devfn >> 3, devfn & 7);
            return Status::Ok;
        }
    }
    return Status::NoDevice;  // Xen: -ENODEV for a device it does not know
}

Status run(xen::PhysdevOp op, uint64_t arg) {
    switch (op) {
    case xen::PhysdevOp::manage_pci_add:
    case xen::PhysdevOp::manage_pci_remove: {
        xen::PhysdevManagePci m;
        HV_TRY(GuestIn<xen::PhysdevManagePci>(arg).read(m));
        return op == xen::PhysdevOp::manage_pci_add ? add_device(0, m.bus, m.devfn) : remove_device(0, m.bus, m.devfn);
    }
    case xen::PhysdevOp::manage_pci_add_ext: {
        xen::PhysdevManagePciExt m;
        HV_TRY(GuestIn<xen::PhysdevManagePciExt>(arg).read(m));
        return add_device(0, m.bus, m.devfn);
    }
    case xen::PhysdevOp::pci_device_add: {
        // The optional optarr[] (proximity domain) is not needed: no NUMA placement.
        xen::PhysdevPciDeviceAdd add;
        HV_TRY(GuestIn<xen::PhysdevPciDeviceAdd>(arg).read(add));
        return add_device(add.seg, add.bus, add.devfn);
    }
    case xen::PhysdevOp::pci_device_remove: {
        xen::PhysdevPciDevice dev;
        HV_TRY(GuestIn<xen::PhysdevPciDevice>(arg).read(dev));
        return remove_device(dev.seg, dev.bus, dev.devfn);
    }
    case xen::PhysdevOp::pci_mmcfg_reserved: {
        xen::PhysdevPciMmcfgReserved info;
        HV_TRY(GuestIn<xen::PhysdevPciMmcfgReserved>(arg).read(info));
        if ((info.flags & ~xen::pci_mmcfg_reserved_flag) != 0)
            return Status::InvalidArgument;
        return Status::Ok;  // the hypervisor uses port 0xcf8 config access only
    }
    default:
        return Status::NotSupported;
    }
}

}  // namespace

int64_t physdev_pci_op(HypercallContext& ctx, xen::PhysdevOp op, uint64_t arg) {
    if (!ctx.domain().privileged())
        return to_guest_errno(Status::Permission);  // Xen: hardware domain only
    return to_guest_errno(run(op, arg));
}

}  // namespace hv
