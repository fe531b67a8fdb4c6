// mca (48): machine-check architecture. Only XEN_MC_physcpuinfo is offered: Linux's
// xen_mcelog driver (dom0) asks it for the number of physical CPUs and their logical
// CPU records, then binds VIRQ_MCA. The hypervisor never reports machine checks to dom0
// yet, so the other commands (fetch, notifydomain, inject) stay unsupported (-ENOSYS;
// Xen would answer them). Layouts: Xen's public/arch-x86/xen-mca.h.
#include <cstddef>
#include <cstring>

#include "arch/x86_64/cpu.hpp"
#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "kernel/percpu.hpp"

namespace hv {
namespace {

constexpr uint32_t kInterfaceVersion = 0x01ecc003;  // XEN_MCA_INTERFACE_VERSION
constexpr uint32_t kPhysCpuInfo = 3;                // XEN_MC_physcpuinfo

// The start of struct xen_mc with the xen_mc_physcpuinfo member of its union.
struct McPhysCpuInfo {
    uint32_t cmd;
    uint32_t interface_version;
    uint32_t ncpus;  // in: entries `info` holds; out: CPUs reported
    uint32_t pad0;
    uint64_t info;   // handle: McLogicalCpu[ncpus], or null to ask the count
};
static_assert(sizeof(McPhysCpuInfo) == 24);
static_assert(offsetof(McPhysCpuInfo, ncpus) == 8);
static_assert(offsetof(McPhysCpuInfo, info) == 16);

// struct mcinfo_logical_cpu.
struct McLogicalCpu {
    uint32_t cpunr;
    uint32_t chipid;
    uint16_t coreid;
    uint16_t threadid;
    uint32_t apicid;
    uint32_t clusterid;
    uint32_t ncores;
    uint32_t ncores_active;
    uint32_t nthreads;
    int32_t cpuid_level;
    uint32_t family;
    uint32_t vendor;
    uint32_t model;
    uint32_t step;
    char vendorid[16];
    char brandid[64];
    uint32_t cpu_caps[7];
    uint32_t cache_size;
    uint32_t cache_alignment;
    int32_t nmsrvals;
    struct {
        uint64_t reg;
        uint64_t value;
    } msrvalues[8];
};
static_assert(sizeof(McLogicalCpu) == 304);
static_assert(offsetof(McLogicalCpu, vendorid) == 52);
static_assert(offsetof(McLogicalCpu, msrvalues) == 176);

McLogicalCpu describe(const PerCpu& cpu, unsigned online) {
    McLogicalCpu out{};
    out.cpunr = cpu.id;
    out.coreid = static_cast<uint16_t>(cpu.id);
    out.apicid = cpu.apic_id;
    out.ncores = online;
    out.ncores_active = online;
    out.nthreads = 1;
    // Identification is the same on every CPU of the machine: read it here.
    const auto leaf0 = arch::cpuid(0);
    out.cpuid_level = static_cast<int32_t>(leaf0.eax);
    std::memcpy(out.vendorid + 0, &leaf0.ebx, 4);
    std::memcpy(out.vendorid + 4, &leaf0.edx, 4);
    std::memcpy(out.vendorid + 8, &leaf0.ecx, 4);
    const auto leaf1 = arch::cpuid(1);
    const uint32_t base_family = (leaf1.eax >> 8) & 0xf;
    out.family = base_family + (base_family == 0xf ? (leaf1.eax >> 20) & 0xff : 0);
    out.model = ((leaf1.eax >> 4) & 0xf) | ((base_family >= 6 ? (leaf1.eax >> 16) & 0xf : 0) << 4);
    out.step = leaf1.eax & 0xf;
    out.cpu_caps[0] = leaf1.edx;
    out.cpu_caps[4] = leaf1.ecx;
    return out;
}

}  // namespace

HV_HYPERCALL(mca) {
    McPhysCpuInfo op;
    if (Status s = GuestInOut<McPhysCpuInfo>(args.a[0]).read(op); s != Status::Ok)
        return to_guest_errno(s);
    if (op.interface_version != kInterfaceVersion)
        return to_guest_errno(Status::AccessDenied);  // Xen: -EACCES
    if (op.cmd != kPhysCpuInfo)
        return to_guest_errno(Status::NotSupported);
    if (!ctx.domain().privileged())
        return to_guest_errno(Status::Permission);
    const unsigned online = cpus_online();
    uint32_t reported = online;
    if (op.info != 0) {
        if (op.ncpus == 0)
            return to_guest_errno(Status::InvalidArgument);
        reported = op.ncpus < online ? op.ncpus : online;
        GuestOut<McLogicalCpu> info(op.info);
        uint32_t index = 0;
        for (unsigned id = 0; index < reported && id < kMaxCpus; ++id) {
            const PerCpu* cpu = cpu_by_id(id);
            if (cpu == nullptr || !cpu->online.load())
                continue;
            if (Status s = info.write(index++, describe(*cpu, online)); s != Status::Ok)
                return to_guest_errno(s);
        }
        reported = index;
    }
    op.ncpus = reported;
    return to_guest_errno(GuestInOut<McPhysCpuInfo>(args.a[0]).write(op));
}

}  // namespace hv
