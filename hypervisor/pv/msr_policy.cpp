// Guest RDMSR/WRMSR decisions; the table in msr_policy.hpp is the specification of this file.
#include "pv/msr_policy.hpp"

namespace hv::pv {
namespace {

constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }

// EFER (SDM vol. 3, 2.2.1; APM vol. 2, 3.1.7): SCE LME LMA NXE SVME FFXSR AUTOIBRS.
constexpr uint64_t kEferSvme = bit(12);
constexpr uint64_t kEferKnown = bit(0) | bit(8) | bit(10) | bit(11) | kEferSvme | bit(14) | bit(21);

// IA32_ARCH_CAPABILITIES bits offered to guests (Xen cpufeatureset.h word 16, 'A').
constexpr uint64_t kArchCapsRsba = bit(2);
constexpr uint64_t kArchCapsRrsba = bit(19);
constexpr uint64_t kArchCapsVisible = bit(0)     // RDCL_NO
                                      | bit(4)   // SSB_NO
                                      | bit(5)   // MDS_NO
                                      | bit(6)   // IF_PSCHANGE_MC_NO
                                      | bit(8)   // TAA_NO
                                      | bit(13)  // SBDR_SSDP_NO
                                      | bit(14)  // FBSDP_NO
                                      | bit(15)  // PSDP_NO
                                      | bit(17)  // FB_CLEAR
                                      | bit(20)  // BHI_NO
                                      | bit(24)  // PBRSB_NO
                                      | bit(26)  // GDS_NO
                                      | bit(27)  // RFDS_NO
                                      | bit(28); // RFDS_CLEAR

constexpr uint32_t kHypervisorMsrRangeTop = 0x4000;  // index >> 16 of 0x40000000-0x4000ffff

bool is_canonical(uint64_t address) {
    return static_cast<uint64_t>(static_cast<int64_t>(address << 16) >> 16) == address;
}

bool in_range(uint32_t index, uint32_t first, uint32_t last) { return index >= first && index <= last; }

Result<uint64_t> policy_read(uint32_t index, const MsrState& state, const MsrContext& c) {
    const CpuVendor vendor = c.policy.vendor;
    const bool amd = vendor == CpuVendor::Amd;
    if (in_range(index, msr::mc_ctl2_first, msr::mc_ctl2_last) ||
        in_range(index, msr::mc_bank_first, msr::mc_bank_last))
        return uint64_t{0};  // no machine-check banks
    switch (index) {
    case msr::p5_mc_addr:
    case msr::p5_mc_type:
    case msr::mcg_cap:
    case msr::mcg_ctl:
    case msr::platform_info:
    case msr::perf_capabilities:
        return uint64_t{0};
    case msr::mcg_status:
        return state.mcg_status;
    case msr::tsc:
        return c.host.guest_tsc();
    case msr::platform_id:
        if (vendor != CpuVendor::Intel)
            return Status::NotSupported;
        if (auto v = c.host.read(index))
            return *v;
        return Status::NotSupported;
    case msr::apic_base:
        return msr::apic_default_base | msr::apic_base_enable | (c.vcpu_id == 0 ? msr::apic_base_bsp : 0);
    case msr::feature_control:
        if (amd)
            return Status::NotSupported;
        return msr::feature_control_lock;
    case msr::ucode_rev:
        if (vendor == CpuVendor::Other)
            return Status::NotSupported;
        if (auto v = c.host.read(index))
            return *v;
        return Status::NotSupported;
    case msr::arch_capabilities:
        if (!c.policy.arch_capabilities_visible)
            return Status::NotSupported;
        return c.policy.arch_capabilities;
    case msr::misc_features_enables:
        return state.misc_features_enables;
    case msr::perf_status:
    case msr::perf_ctl:
        if (amd)
            return Status::NotSupported;
        return uint64_t{0};
    case msr::therm_status:
        if (vendor != CpuVendor::Intel)
            return Status::NotSupported;
        return uint64_t{0};
    case msr::misc_enable:
        if (auto v = c.host.read(index))
            return guest_misc_enable(*v);
        return Status::NotSupported;
    case msr::pat:
        return msr::xen_pat;
    case msr::xen_hypercall_page:
        return uint64_t{0};
    case msr::efer:
        if (auto v = c.host.read(index))
            return guest_efer(*v);
        return Status::NotSupported;
    case msr::fs_base:
        return state.fs_base;
    case msr::gs_base:
        return state.gs_base_kernel;
    case msr::kernel_gs_base:
        return state.gs_base_user;
    case msr::tsc_aux:
        if (!c.policy.tsc_aux_visible)
            return Status::NotSupported;
        return state.tsc_aux;
    case msr::amd_hwcr:
        if (!amd)
            return Status::NotSupported;
        return uint64_t{0};
    case msr::amd_de_cfg:
        if (!amd)
            return Status::NotSupported;
        return msr::amd_de_cfg_lfence_serialise;
    default:
        return Status::NotSupported;
    }
}

}  // namespace

uint64_t guest_efer(uint64_t host_efer) { return host_efer & kEferKnown & ~kEferSvme; }

uint64_t guest_misc_enable(uint64_t host_misc_enable) {
    uint64_t v = host_misc_enable & ~(msr::misc_enable_perf_available | msr::misc_enable_monitor);
    return v | msr::misc_enable_bts_unavailable | msr::misc_enable_pebs_unavailable | msr::misc_enable_xtpr_disable;
}

MsrPolicy MsrPolicy::for_domain(const CpuidPolicy& cpuid, uint64_t host_arch_capabilities) {
    MsrPolicy p;
    p.vendor = cpuid.vendor();
    p.arch_capabilities_visible = cpuid.arch_capabilities_visible();
    if (p.arch_capabilities_visible) {
        p.arch_capabilities = host_arch_capabilities & kArchCapsVisible;
        if (host_arch_capabilities & (kArchCapsRsba | kArchCapsRrsba))
            p.arch_capabilities |= kArchCapsRsba;  // without eIBRS, RRSBA is reported as RSBA
    }
    p.tsc_aux_visible = cpuid.tsc_aux_visible();
    return p;
}

Result<uint64_t> read_msr(uint32_t index, const MsrState& state, const MsrContext& context) {
    if (!context.guest_kernel_mode)
        return Status::Permission;  // RDMSR is CPL0-only; guest user space never gets it
    Result<uint64_t> r = policy_read(index, state, context);
    if (r.ok())
        return r;
    // Xen's "faking RDMSR": before a #GP handler exists, a fault would kill the guest.
    if (!context.guest_has_gp_handler && (index >> 16) != kHypervisorMsrRangeTop && context.host.read(index))
        return uint64_t{0};
    return r;
}

Status write_msr(uint32_t index, uint64_t value, MsrState& state, const MsrContext& context) {
    if (!context.guest_kernel_mode)
        return Status::Permission;
    const MsrPolicy& policy = context.policy;
    const CpuVendor vendor = policy.vendor;
    const bool amd = vendor == CpuVendor::Amd;
    if (in_range(index, msr::mc_ctl2_first, msr::mc_ctl2_last) ||
        in_range(index, msr::mc_bank_first, msr::mc_bank_last))
        return Status::Ok;  // no banks: writes are dropped
    switch (index) {
    case msr::fs_base:
    case msr::gs_base:
    case msr::kernel_gs_base:
        if (!is_canonical(value))
            return Status::InvalidArgument;
        (index == msr::fs_base ? state.fs_base : index == msr::gs_base ? state.gs_base_kernel : state.gs_base_user) =
            value;
        return Status::Ok;
    case msr::tsc_aux:
        if (!policy.tsc_aux_visible)
            return Status::NotSupported;
        if (value >> 32)
            return Status::InvalidArgument;
        state.tsc_aux = value;
        return Status::Ok;
    case msr::efer: {
        // Linux writes back the value it read; any change is refused.
        auto host = context.host.read(index);
        if (!host || value != guest_efer(*host))
            return Status::InvalidArgument;
        return Status::Ok;
    }
    case msr::misc_enable: {
        auto host = context.host.read(index);
        if (!host)
            return Status::NotSupported;
        return Status::Ok;  // a different value is ignored (Xen logs it), not faulted
    }
    case msr::pat:
        return value == msr::xen_pat ? Status::Ok : Status::InvalidArgument;
    case msr::misc_features_enables:
        if (value != 0)
            return Status::InvalidArgument;  // CPUID faulting is not offered
        state.misc_features_enables = value;
        return Status::Ok;
    case msr::ucode_rev:
        // Intel's "write 0, CPUID, read" microcode-revision protocol.
        return vendor == CpuVendor::Intel && value == 0 ? Status::Ok : Status::InvalidArgument;
    case msr::mcg_status:
        state.mcg_status = value;
        return Status::Ok;
    case msr::mcg_cap:  // read-only, but the SDM leaves writes undefined: Xen ignores them
    case msr::mcg_ctl:  // no MCG_CTL_P
        return Status::Ok;
    case msr::perf_ctl:
        return amd ? Status::NotSupported : Status::Ok;
    case msr::therm_control:
    case msr::energy_perf_bias:
        return vendor == CpuVendor::Intel ? Status::Ok : Status::NotSupported;
    case msr::mperf:
    case msr::aperf:
        return vendor == CpuVendor::Other ? Status::NotSupported : Status::Ok;
    case msr::amd_hwcr:
    case msr::amd_de_cfg:
        return amd ? Status::Ok : Status::NotSupported;
    default:
        // Read-only MSRs (TSC, APIC_BASE, PLATFORM_INFO, ARCH_CAPABILITIES, FEATURE_CONTROL,
        // PLATFORM_ID, ...), the hypercall-page MSR, and everything unknown.
        return Status::NotSupported;
    }
}

}  // namespace hv::pv
