// platform_op (hardware domain only): the interface-version handshake, the CPU and
// firmware queries Linux makes at boot, and setting the wall clock. Power management,
// microcode and EFI sub-operations answer -ENOSYS, which Linux tolerates (spec §4.24).
#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/platform.hpp"
#include "kernel/percpu.hpp"
#include "kernel/pv_time.hpp"

namespace hv {
namespace {

// XENPF_firmware_info on a BIOS boot with no EDD or MBR data collected (we do not run real-
// mode code at boot, so there is none to give): what Xen answers in that case.
Status firmware_info(xen::PlatformFirmwareInfo& fw) {
    using xen::FirmwareInfoType;
    switch (static_cast<FirmwareInfoType>(fw.type)) {
    case FirmwareInfoType::disk_info:
    case FirmwareInfoType::disk_mbr_signature:
        return Status::NoSuchDomain;  // Xen: -ESRCH past the last entry (here: none)
    case FirmwareInfoType::vbeddc_info:
        return Status::NoSuchDomain;  // no EDID collected (any index: -ESRCH, as Xen)
    case FirmwareInfoType::efi_info:
        return Status::NotSupported;  // not an EFI boot
    case FirmwareInfoType::kbd_shift_flags:
        if (fw.index != 0)
            return Status::NoSuchDomain;  // Xen: -ESRCH for an index other than 0
        fw.u.kbd_shift_flags = 0;  // the BIOS keyboard flags: nothing held at boot
        return Status::Ok;
    }
    return Status::InvalidArgument;
}

}  // namespace

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
    case xen::PlatformCmd::firmware_info:
        if (Status s = firmware_info(op.u.firmware_info); s != Status::Ok)
            return to_guest_errno(s);
        return to_guest_errno(uop.write(op));
    case xen::PlatformCmd::settime64: {
        const xen::PlatformSettime64& t = op.u.settime64;
        if (t.mbz != 0)
            return to_guest_errno(Status::InvalidArgument);
        pv_settime(t.secs * 1000000000ull + t.nsecs, t.system_time);
        return 0;
    }
    case xen::PlatformCmd::settime32: {
        const xen::PlatformSettime32& t = op.u.settime32;
        pv_settime(uint64_t{t.secs} * 1000000000ull + t.nsecs, t.system_time);
        return 0;
    }
    default:
        break;
    }
    return to_guest_errno(Status::NotSupported);
}

}  // namespace hv
