// RDMSR/WRMSR from a 64-bit PV guest. Both run at CPL3, fault (#GP) into the hypervisor, and
// are answered here. Facts: shared/spec/xen-pv-abi.md §6.3; Xen 4.17's guest_rdmsr/guest_wrmsr
// and the PV privileged-op emulator.
//
// Contract: read_msr()/write_msr() are pure decisions over MsrState (per vCPU), MsrPolicy (per
// domain) and the host (seam). Every non-Ok status means "inject #GP(0) into the guest"; Ok
// means "done, skip the instruction". A write that Ok's has already been recorded in MsrState;
// the caller loads FS/GS bases and TSC_AUX into the hardware when the vCPU is current. Only the
// guest kernel may use RDMSR/WRMSR: from guest user mode every access is #GP (Status::Permission).
//
// Faking RDMSR (Xen): while the guest has no #GP handler registered, a read that would #GP
// returns 0 instead, provided the host itself has the MSR and it is not a hypervisor MSR
// (0x4000xxxx). This keeps pre-trap-table probes (Windows, early Linux) alive.
//
// MSR                         read                              write
// 0x00/0x01 P5_MC_ADDR/TYPE   0                                 #GP
// 0x10  TSC                   host TSC (the HostMsrs seam)      #GP
// 0x17  PLATFORM_ID           host value (Intel), else #GP      #GP
// 0x1B  APIC_BASE             0xFEE00900 vCPU0, 0xFEE00800      #GP
// 0x3A  FEATURE_CONTROL       1 (locked, no VMX) on non-AMD;    #GP
//                             #GP on AMD
// 0x48/0x49/0x10B SPEC_CTRL/  #GP (not virtualised; the CPUID   #GP
//   PRED_CMD/FLUSH_CMD        policy hides IBRS/IBPB/L1D_FLUSH)
// 0x79  UCODE_WRITE           #GP                               #GP
// 0x8B  UCODE_REV (BIOS_SIGN) host value (Intel/AMD), else #GP  0 accepted on Intel, else #GP
// 0xCE  PLATFORM_INFO         0 (no CPUID faulting offered)     #GP
// 0x10A ARCH_CAPABILITIES     policy value if CPUID 7.EDX[29],  #GP
//                             else #GP
// 0x140 MISC_FEATURES_ENABLES stored value (always 0)           0 accepted, any bit -> #GP
// 0x179 MCG_CAP               0 (no banks, no MCG_CTL)          ignored
// 0x17A MCG_STATUS            stored value                      stored
// 0x17B MCG_CTL               0                                 ignored
// 0x198 PERF_STATUS           0 on non-AMD, #GP on AMD          #GP
// 0x199 PERF_CTL              0 on non-AMD, #GP on AMD          ignored on non-AMD, #GP on AMD
// 0x19A/0x1B0 THERM_CONTROL/  #GP                               ignored on Intel, else #GP
//   ENERGY_PERF_BIAS
// 0x19C THERM_STATUS          0 on Intel, else #GP              #GP
// 0x1A0 MISC_ENABLE           host & ~(PERF_MON|MONITOR)        the same value accepted, any
//                             | BTS_UNAVAIL|PEBS_UNAVAIL|       other ignored; #GP if the host
//                             XTPR_DISABLE (TCG: 0x801801);     lacks the MSR
//                             #GP if the host lacks it
// 0x277 PAT                   0x0000050100070406 (Xen's PAT)    the same value accepted, any
//                                                               other #GP (Xen: every write #GP)
// 0x280-0x29F MCi_CTL2,       0 (no banks)                      ignored
//   0x400-0x47F MCi_*
// 0x345 PERF_CAPABILITIES     0                                 #GP
// 0x4D0 MCG_EXT_CTL           #GP (no LMCE)                     #GP
// 0xE7/0xE8 MPERF/APERF       #GP                               ignored on Intel/AMD, else #GP
// 0x40000000 (hypercall page) 0                                 #GP (Xen would fill a hypercall
//                                                               page; PV Linux never asks)
// 0x40000001-0x400002FF       #GP, never faked                  #GP
// 0xC0000080 EFER             host EFER, known bits, no SVME    the same value accepted, else #GP
// 0xC0000100 FS_BASE          fs_base                           canonical -> fs_base, else #GP
// 0xC0000101 GS_BASE          gs_base_kernel (the active base:  canonical -> gs_base_kernel,
//                             only kernel mode reaches here)    else #GP
// 0xC0000102 KERNEL_GS_BASE   gs_base_user                      canonical -> gs_base_user, else #GP
// 0xC0000103 TSC_AUX          tsc_aux if RDTSCP/RDPID visible,  < 2^32 -> tsc_aux, else #GP
//                             else #GP
// 0xC0010015 HWCR             0 on AMD, else #GP                ignored on AMD, else #GP
// 0xC0011029 DE_CFG           LFENCE_SERIALISE (2) on AMD,      ignored on AMD, else #GP
//                             else #GP
// everything else             #GP (SMI_COUNT, STAR/LSTAR/CSTAR/SFMASK, SYSENTER_*, MTRRs, PMU,
//                             x2APIC, XSS, TSX_CTRL, MCU_OPT_CTRL, CORE_CAPABILITIES, ...)
//
// Differences from Xen 4.17: no vMCE banks (Xen emulates two; with MCG_CAP = 0 Linux skips bank
// setup); SPEC_CTRL/PRED_CMD not virtualised; the AMD northbridge/P-state MSRs Xen emulates for
// dom0 (K8 PSTATE*, NB_CFG, MMIO_CONF_BASE, SYSCFG/TOP_MEM/IORR/TSEG) are #GP; `msr_relaxed` is
// not offered; a same-value PAT write succeeds.
#pragma once

#include <cstdint>
#include <optional>

#include "lib/status.hpp"
#include "pv/cpuid_policy.hpp"

namespace hv::pv {

namespace msr {
inline constexpr uint32_t p5_mc_addr = 0x0;
inline constexpr uint32_t p5_mc_type = 0x1;
inline constexpr uint32_t tsc = 0x10;
inline constexpr uint32_t platform_id = 0x17;
inline constexpr uint32_t apic_base = 0x1b;
inline constexpr uint32_t smi_count = 0x34;
inline constexpr uint32_t feature_control = 0x3a;
inline constexpr uint32_t spec_ctrl = 0x48;
inline constexpr uint32_t pred_cmd = 0x49;
inline constexpr uint32_t ucode_write = 0x79;
inline constexpr uint32_t ucode_rev = 0x8b;
inline constexpr uint32_t platform_info = 0xce;
inline constexpr uint32_t mperf = 0xe7;
inline constexpr uint32_t aperf = 0xe8;
inline constexpr uint32_t arch_capabilities = 0x10a;
inline constexpr uint32_t flush_cmd = 0x10b;
inline constexpr uint32_t misc_features_enables = 0x140;
inline constexpr uint32_t sysenter_cs = 0x174;
inline constexpr uint32_t mcg_cap = 0x179;
inline constexpr uint32_t mcg_status = 0x17a;
inline constexpr uint32_t mcg_ctl = 0x17b;
inline constexpr uint32_t perf_status = 0x198;
inline constexpr uint32_t perf_ctl = 0x199;
inline constexpr uint32_t therm_control = 0x19a;
inline constexpr uint32_t therm_status = 0x19c;
inline constexpr uint32_t misc_enable = 0x1a0;
inline constexpr uint32_t energy_perf_bias = 0x1b0;
inline constexpr uint32_t pat = 0x277;
inline constexpr uint32_t mc_ctl2_first = 0x280;
inline constexpr uint32_t mc_ctl2_last = 0x29f;
inline constexpr uint32_t perf_capabilities = 0x345;
inline constexpr uint32_t mc_bank_first = 0x400;
inline constexpr uint32_t mc_bank_last = 0x47f;
inline constexpr uint32_t mcg_ext_ctl = 0x4d0;
inline constexpr uint32_t xen_hypercall_page = 0x40000000;
inline constexpr uint32_t efer = 0xc0000080;
inline constexpr uint32_t star = 0xc0000081;
inline constexpr uint32_t lstar = 0xc0000082;
inline constexpr uint32_t fs_base = 0xc0000100;
inline constexpr uint32_t gs_base = 0xc0000101;
inline constexpr uint32_t kernel_gs_base = 0xc0000102;
inline constexpr uint32_t tsc_aux = 0xc0000103;
inline constexpr uint32_t amd_hwcr = 0xc0010015;
inline constexpr uint32_t amd_de_cfg = 0xc0011029;

// Values the guest sees.
inline constexpr uint64_t xen_pat = 0x0000050100070406;  // WB WT UC- UC WC WP UC UC
inline constexpr uint64_t apic_default_base = 0xfee00000;
inline constexpr uint64_t apic_base_bsp = 1u << 8;
inline constexpr uint64_t apic_base_enable = 1u << 11;
inline constexpr uint64_t feature_control_lock = 1u << 0;
inline constexpr uint64_t amd_de_cfg_lfence_serialise = 1u << 1;
// IA32_MISC_ENABLE bits (SDM vol. 4, table 2-2).
inline constexpr uint64_t misc_enable_perf_available = 1u << 7;
inline constexpr uint64_t misc_enable_bts_unavailable = 1u << 11;
inline constexpr uint64_t misc_enable_pebs_unavailable = 1u << 12;
inline constexpr uint64_t misc_enable_monitor = 1u << 18;
inline constexpr uint64_t misc_enable_xtpr_disable = 1u << 23;
}  // namespace msr

// Seam: the host's MSRs as seen while the guest's vCPU runs.
class HostMsrs {
public:
    // The host's value, or nullopt if RDMSR of it faults.
    virtual std::optional<uint64_t> read(uint32_t index) const = 0;
    // The TSC as this guest reads it (native, or the domain's emulated TSC).
    virtual uint64_t guest_tsc() const = 0;

protected:
    ~HostMsrs() = default;
};

// Per-domain facts, fixed when the domain's CPUID policy is.
struct MsrPolicy {
    CpuVendor vendor = CpuVendor::Other;
    bool arch_capabilities_visible = false;
    uint64_t arch_capabilities = 0;  // guest value of IA32_ARCH_CAPABILITIES
    bool tsc_aux_visible = false;

    // host_arch_capabilities: the host's IA32_ARCH_CAPABILITIES (0 if absent). The guest gets
    // the "not vulnerable to X" and "VERW clears Y" bits, plus RSBA if the host has RSBA or
    // RRSBA (eIBRS is not offered, see cpuid_policy.hpp).
    static MsrPolicy for_domain(const CpuidPolicy& cpuid, uint64_t host_arch_capabilities);
};

// Per-vCPU MSR state. Invariant: the three bases are canonical and tsc_aux < 2^32 (write_msr
// refuses anything else); misc_features_enables is 0 (no feature is offered).
struct MsrState {
    uint64_t fs_base = 0;
    uint64_t gs_base_kernel = 0;
    uint64_t gs_base_user = 0;
    uint64_t tsc_aux = 0;
    uint64_t misc_features_enables = 0;
    uint64_t mcg_status = 0;
};

struct MsrContext {
    const MsrPolicy& policy;
    const HostMsrs& host;
    uint32_t vcpu_id;
    bool guest_kernel_mode;
    bool guest_has_gp_handler;  // trap-table entry 13 registered
};

// The caller refreshes fs_base/gs_base_kernel from the hardware first if the guest may have
// changed them behind the hypervisor's back (WRFSBASE/WRGSBASE, or a selector load).
[[nodiscard]] Result<uint64_t> read_msr(uint32_t index, const MsrState& state, const MsrContext& context);
[[nodiscard]] Status write_msr(uint32_t index, uint64_t value, MsrState& state, const MsrContext& context);

// The EFER a 64-bit PV guest sees, derived from the host's: known bits only, SVME hidden.
uint64_t guest_efer(uint64_t host_efer);
// The IA32_MISC_ENABLE a guest sees, derived from the host's.
uint64_t guest_misc_enable(uint64_t host_misc_enable);

}  // namespace hv::pv
