// physdev_op: the I/O privileges of a PV kernel and the hardware domain's device
// interrupts (spec §4.21). PIRQ mapping, GSI programming and EOIs go to the IRQ layer
// (domain/irq_glue); PCI device registration to physdev_pci.cpp. MSI-X entries are
// mapped (the hypervisor writes them, domain/msix); plain and multi-vector MSI are not
// (-ENOSYS): Linux then keeps such devices on INTx.
#include "arch/x86_64/ioapic.hpp"
#include "domain/domain.hpp"
#include "domain/irq_glue.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/physdev_pci.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/physdev.hpp"

namespace hv {
namespace {

// map_pirq/unmap_pirq name a domain: only the caller itself is supported (Xen also lets
// the hardware domain map for a domU it passes a device through to).
bool names_self(HypercallContext& ctx, uint16_t domid) {
    return domid == xen::domid_self || domid == ctx.domain().id();
}

int64_t map_pirq(HypercallContext& ctx, uint64_t arg) {
    GuestInOut<xen::PhysdevMapPirq> uop(arg);
    xen::PhysdevMapPirq map;
    if (Status s = uop.read(map); s != Status::Ok)
        return to_guest_errno(s);
    if (!names_self(ctx, map.domid))
        return to_guest_errno(Status::Permission);
    switch (static_cast<xen::MapPirqType>(map.type)) {
    case xen::MapPirqType::gsi: {
        if (map.index < 0)
            return to_guest_errno(Status::InvalidArgument);
        auto pirq = irq_map_gsi(ctx.domain(), static_cast<uint32_t>(map.index), map.pirq);
        if (!pirq.ok())
            return to_guest_errno(pirq.status());
        map.pirq = static_cast<int32_t>(*pirq);
        return to_guest_errno(uop.write(map));
    }
    case xen::MapPirqType::msi:
    case xen::MapPirqType::msi_seg: {
        // Xen: a table_base means MSI-X; plain MSI is not offered (Linux then uses INTx).
        if (map.table_base == 0)
            return to_guest_errno(Status::NotSupported);
        if (map.entry_nr < 0 || map.devfn < 0 || map.devfn > 0xff || map.bus < 0)
            return to_guest_errno(Status::InvalidArgument);
        const bool seg_form = static_cast<xen::MapPirqType>(map.type) == xen::MapPirqType::msi_seg;
        const uint32_t seg = seg_form ? static_cast<uint32_t>(map.bus) >> 16 : 0;
        const uint32_t bus = seg_form ? static_cast<uint32_t>(map.bus) & 0xffff : static_cast<uint32_t>(map.bus);
        if (bus > 0xff || seg > 0xffff)
            return to_guest_errno(Status::InvalidArgument);
        auto pirq = irq_map_msix(ctx.domain(), static_cast<uint16_t>(seg), static_cast<uint8_t>(bus),
                                 static_cast<uint8_t>(map.devfn), static_cast<uint32_t>(map.entry_nr), map.pirq);
        if (!pirq.ok())
            return to_guest_errno(pirq.status());
        map.pirq = static_cast<int32_t>(*pirq);
        return to_guest_errno(uop.write(map));
    }
    case xen::MapPirqType::multi_msi:
        return to_guest_errno(Status::NotSupported);
    default:
        return to_guest_errno(Status::InvalidArgument);  // Xen: unknown type
    }
}

}  // namespace

HV_HYPERCALL(physdev_op) {
    switch (static_cast<xen::PhysdevOp>(args.a[0])) {
    case xen::PhysdevOp::set_iopl: {
        xen::PhysdevSetIopl set;
        if (Status s = GuestIn<xen::PhysdevSetIopl>(args.a[1]).read(set); s != Status::Ok)
            return to_guest_errno(s);
        if (set.iopl > 3)
            return to_guest_errno(Status::InvalidArgument);
        ctx.vcpu().pv.iopl = set.iopl;
        return 0;
    }
    case xen::PhysdevOp::apic_read: {
        if (!ctx.domain().privileged())
            return to_guest_errno(Status::Permission);
        GuestInOut<xen::PhysdevApic> uop(args.a[1]);
        xen::PhysdevApic apic;
        if (Status s = uop.read(apic); s != Status::Ok)
            return to_guest_errno(s);
        auto value = arch::ioapic_read(apic.apic_physbase, apic.reg);
        if (!value.ok())
            return to_guest_errno(value.status());
        apic.value = *value;
        return to_guest_errno(uop.write(apic));
    }
    case xen::PhysdevOp::irq_status_query: {
        GuestInOut<xen::PhysdevIrqStatusQuery> uop(args.a[1]);
        xen::PhysdevIrqStatusQuery query;
        if (Status s = uop.read(query); s != Status::Ok)
            return to_guest_errno(s);
        auto flags = irq_status(ctx.domain(), query.irq);
        if (!flags.ok())
            return to_guest_errno(flags.status());
        query.flags = *flags;
        return to_guest_errno(uop.write(query));
    }
    case xen::PhysdevOp::alloc_irq_vector: {
        // Xen 4.17: a placeholder for the IOAPIC's owner; the vector is the hypervisor's
        // business, the answer is vector = irq.
        if (!ctx.domain().privileged())
            return to_guest_errno(Status::Permission);
        GuestInOut<xen::PhysdevIrq> uop(args.a[1]);
        xen::PhysdevIrq op;
        if (Status s = uop.read(op); s != Status::Ok)
            return to_guest_errno(s);
        op.vector = op.irq;
        return to_guest_errno(uop.write(op));
    }
    case xen::PhysdevOp::eoi: {
        xen::PhysdevEoi eoi;
        if (Status s = GuestIn<xen::PhysdevEoi>(args.a[1]).read(eoi); s != Status::Ok)
            return to_guest_errno(s);
        return to_guest_errno(irq_eoi(ctx.domain(), eoi.irq));
    }
    case xen::PhysdevOp::map_pirq:
        return map_pirq(ctx, args.a[1]);
    case xen::PhysdevOp::unmap_pirq: {
        xen::PhysdevUnmapPirq unmap;
        if (Status s = GuestIn<xen::PhysdevUnmapPirq>(args.a[1]).read(unmap); s != Status::Ok)
            return to_guest_errno(s);
        if (!names_self(ctx, unmap.domid))
            return to_guest_errno(Status::Permission);
        if (unmap.pirq < 0)
            return to_guest_errno(Status::InvalidArgument);
        return to_guest_errno(irq_unmap_pirq(ctx.domain(), static_cast<uint32_t>(unmap.pirq)));
    }
    case xen::PhysdevOp::setup_gsi: {
        if (!ctx.domain().privileged())
            return to_guest_errno(Status::Permission);
        xen::PhysdevSetupGsi setup;
        if (Status s = GuestIn<xen::PhysdevSetupGsi>(args.a[1]).read(setup); s != Status::Ok)
            return to_guest_errno(s);
        return to_guest_errno(irq_setup_gsi(ctx.domain(), setup.gsi, setup.triggering != 0, setup.polarity != 0));
    }
    case xen::PhysdevOp::pirq_eoi_gmfn_v2: {
        xen::PhysdevPirqEoiGmfn info;
        if (Status s = GuestIn<xen::PhysdevPirqEoiGmfn>(args.a[1]).read(info); s != Status::Ok)
            return to_guest_errno(s);
        return to_guest_errno(irq_register_eoi_map(ctx.domain(), info.gmfn));
    }
    case xen::PhysdevOp::manage_pci_add:
    case xen::PhysdevOp::manage_pci_remove:
    case xen::PhysdevOp::manage_pci_add_ext:
    case xen::PhysdevOp::pci_device_add:
    case xen::PhysdevOp::pci_device_remove:
    case xen::PhysdevOp::pci_mmcfg_reserved:
        return physdev_pci_op(ctx, static_cast<xen::PhysdevOp>(args.a[0]), args.a[1]);
    default:
        break;
    }
    return to_guest_errno(Status::NotSupported);
}

}  // namespace hv
