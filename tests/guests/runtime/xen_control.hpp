// The subset of Xen 4.17's domctl (hypercall 36) and sysctl (35) a test guest uses to
// build, watch and destroy a PV domU on Xen itself: our own minimal structs, with the
// numbers and byte layouts of RELEASE-4.17.x xen/include/public/{domctl,sysctl}.h.
//
// Invariants: both ops start with (cmd, interface_version) and Xen answers -EACCES to a
// version other than its own (0x15 for both in 4.17), so a mismatch fails loudly
// instead of being misread; Xen copies sizeof(its struct) bytes in, so our buffers are
// at least as large (the union is padded to 128 bytes in Xen); only fields we set or
// read are named, the rest stays zero. These layouts are Xen's, not our hypervisor's:
// ours answers hypercall 36 with its own ControlOp (hypercall/public/control.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace guest::xenctl {

inline constexpr uint32_t domctl_interface_version = 0x15;
inline constexpr uint32_t sysctl_interface_version = 0x15;

enum class DomctlCmd : uint32_t {
    createdomain = 1,
    destroydomain = 2,
    pausedomain = 3,
    unpausedomain = 4,
    getdomaininfo = 5,
    max_mem = 11,
    setvcpucontext = 12,
    max_vcpus = 15,
    set_address_size = 35,
};

enum class SysctlCmd : uint32_t {
    physinfo = 3,
};

// xen_domctl_createdomain (+ xen_arch_domainconfig for x86).
struct CreateDomain {
    uint32_t ssidref;
    uint8_t handle[16];
    uint32_t flags;  // XEN_DOMCTL_CDF_*; 0 = PV
    uint32_t iommu_opts;
    uint32_t max_vcpus;
    uint32_t max_evtchn_port;
    int32_t max_grant_frames;     // < 0: Xen's default
    int32_t max_maptrack_frames;  // < 0: Xen's default
    uint32_t grant_opts;          // low 4 bits: highest grant version allowed (>= 1)
    uint32_t vmtrace_size;
    uint32_t cpupool_id;
    uint32_t arch_emulation_flags;  // 0 for PV
    uint32_t arch_misc_flags;
};
static_assert(sizeof(CreateDomain) == 64);
static_assert(offsetof(CreateDomain, handle) == 4);
static_assert(offsetof(CreateDomain, flags) == 20);
static_assert(offsetof(CreateDomain, max_vcpus) == 28);
static_assert(offsetof(CreateDomain, max_evtchn_port) == 32);
static_assert(offsetof(CreateDomain, max_grant_frames) == 36);
static_assert(offsetof(CreateDomain, max_maptrack_frames) == 40);
static_assert(offsetof(CreateDomain, grant_opts) == 44);
static_assert(offsetof(CreateDomain, cpupool_id) == 52);
static_assert(offsetof(CreateDomain, arch_emulation_flags) == 56);

// xen_domctl_getdomaininfo. flags are XEN_DOMINF_* (the same bit values as
// xen::control::dominf).
struct GetDomainInfo {
    uint16_t domain;
    uint16_t pad1;
    uint32_t flags;
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t outstanding_pages;
    uint64_t shr_pages;
    uint64_t paged_pages;
    uint64_t shared_info_frame;  // MFN for a PV domain
    uint64_t cpu_time;
    uint32_t nr_online_vcpus;
    uint32_t max_vcpu_id;
    uint32_t ssidref;
    uint8_t handle[16];
    uint32_t cpupool;
    uint8_t gpaddr_bits;
    uint8_t pad2[7];
    uint32_t arch_emulation_flags;
    uint32_t arch_misc_flags;
};
static_assert(sizeof(GetDomainInfo) == 112);
static_assert(offsetof(GetDomainInfo, flags) == 4);
static_assert(offsetof(GetDomainInfo, tot_pages) == 8);
static_assert(offsetof(GetDomainInfo, max_pages) == 16);
static_assert(offsetof(GetDomainInfo, shared_info_frame) == 48);
static_assert(offsetof(GetDomainInfo, cpu_time) == 56);
static_assert(offsetof(GetDomainInfo, nr_online_vcpus) == 64);
static_assert(offsetof(GetDomainInfo, handle) == 76);
static_assert(offsetof(GetDomainInfo, cpupool) == 92);
static_assert(offsetof(GetDomainInfo, arch_emulation_flags) == 104);

// xen_domctl_vcpucontext: ctxt is a guest handle to a xen::VcpuGuestContext.
struct VcpuContext {
    uint32_t vcpu;
    uint32_t pad;
    uint64_t ctxt;
};
static_assert(sizeof(VcpuContext) == 16);
static_assert(offsetof(VcpuContext, ctxt) == 8);

struct Domctl {
    uint32_t cmd;  // DomctlCmd
    uint32_t interface_version;
    uint16_t domain;  // in/out for createdomain (0 = pick one)
    uint16_t pad[3];
    union {
        CreateDomain createdomain;
        GetDomainInfo getdomaininfo;
        VcpuContext vcpucontext;
        uint64_t max_memkb;     // xen_domctl_max_mem
        uint32_t max_vcpus;     // xen_domctl_max_vcpus
        uint32_t address_size;  // xen_domctl_address_size
        uint8_t raw[128];
    } u;
};
static_assert(sizeof(Domctl) == 144);
static_assert(offsetof(Domctl, interface_version) == 4);
static_assert(offsetof(Domctl, domain) == 8);
static_assert(offsetof(Domctl, u) == 16);

// xen_sysctl_physinfo.
struct PhysInfo {
    uint32_t threads_per_core;
    uint32_t cores_per_socket;
    uint32_t nr_cpus;
    uint32_t max_cpu_id;
    uint32_t nr_nodes;
    uint32_t max_node_id;
    uint32_t cpu_khz;
    uint32_t capabilities;
    uint32_t arch_capabilities;
    uint32_t pad;
    uint64_t total_pages;
    uint64_t free_pages;
    uint64_t scrub_pages;
    uint64_t outstanding_pages;
    uint64_t max_mfn;
    uint32_t hw_cap[8];
};
static_assert(sizeof(PhysInfo) == 112);
static_assert(offsetof(PhysInfo, cpu_khz) == 24);
static_assert(offsetof(PhysInfo, total_pages) == 40);
static_assert(offsetof(PhysInfo, free_pages) == 48);
static_assert(offsetof(PhysInfo, max_mfn) == 72);

struct Sysctl {
    uint32_t cmd;  // SysctlCmd
    uint32_t interface_version;
    union {
        PhysInfo physinfo;
        uint8_t raw[128];
    } u;
};
static_assert(sizeof(Sysctl) == 136);
static_assert(offsetof(Sysctl, u) == 8);

}  // namespace guest::xenctl
