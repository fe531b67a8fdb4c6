// platform_op (hardware domain only): the interface-version handshake and the read-only
// queries Linux makes at boot. Firmware, power and microcode sub-operations arrive with
// the dom0 device work; until then they answer -ENOSYS, which Linux tolerates (spec §4.24).
#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/platform.hpp"
#include "kernel/percpu.hpp"

namespace hv {

HV_HYPERCALL(platform_op) {
    if (!ctx.domain().privileged())
        return to_guest_errno(Status::Permission);
    GuestInOut<xen::PlatformOp> uop(args.a[0]);
    xen::PlatformOp op;
    if (Status s = uop.read(op); s != Status::Ok)
        return to_guest_errno(s);
    if (op.interface_version != xen::platform_interface_version)
        return to_guest_errno(Status::AccessDenied);
    switch (static_cast<xen::PlatformCmd>(op.cmd)) {
    case xen::PlatformCmd::get_cpuinfo: {
        xen::PlatformPcpuInfo& info = op.u.pcpu_info;
        const unsigned cpus = cpus_possible();
        info.max_present = cpus - 1;
        PerCpu* cpu = info.xen_cpuid < cpus ? cpu_by_id(info.xen_cpuid) : nullptr;
        if (cpu == nullptr) {
            info.flags = xen::pcpu_flags::invalid;
        } else {
            info.apic_id = cpu->apic_id;
            info.acpi_id = cpu->apic_id;  // QEMU and most firmware number them alike
            info.flags = cpu->online.load() ? xen::pcpu_flags::online : 0;
        }
        return to_guest_errno(uop.write(op));
    }
    default:
        break;
    }
    return to_guest_errno(Status::NotSupported);
}

}  // namespace hv
