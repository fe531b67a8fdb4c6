// physdev_op: the I/O privileges of a PV kernel. Interrupt routing (PIRQs, MSI, IOAPIC)
// and PCI registration arrive with the hardware domain's device work; until then those
// sub-operations answer -ENOSYS, which Linux tolerates (spec §4.21, §4.24).
#include "arch/x86_64/ioapic.hpp"
#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/physdev.hpp"

namespace hv {

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
    default:
        break;
    }
    return to_guest_errno(Status::NotSupported);
}

}  // namespace hv
