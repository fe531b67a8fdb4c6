// The CPUID view of a 64-bit PV guest: what `ud2; .ascii "xen"; cpuid` (and a faulted native
// CPUID) returns. Facts: shared/spec/xen-pv-abi.md §6.1, §12; Xen 4.17's default PV policy.
//
// A CpuidPolicy is computed once per domain from the host's CPUID (through the HostCpuid seam)
// and is then an immutable value: guest_cpuid() never queries the host again, so every vCPU
// of a domain sees one consistent view. It is a *whitelist*: a host feature bit reaches the
// guest only if it is named in cpuid_policy.cpp; unknown and future bits stay hidden.
//
// What the guest sees (Xen 4.17 on an Intel host, reproduced bit for bit in the §6.1 test):
//  - basic leaves clamped to 0xd; extended leaves clamped to 0x80000008; hypervisor leaves
//    0x40000000-0x40000005 (Xen signature, version 4.17, PV flags, TSC info, address width).
//  - hidden: VME PSE PGE PSE36 MTRR DS HTT TM PBE (leaf 1 EDX); DTES64 MONITOR DS_CPL VMX SMX
//    EIST TM2 XTPR PDCM PCID DCA X2APIC TSC_DEADLINE (leaf 1 ECX); all of AVX and everything
//    that depends on it (FMA F16C AVX2 AVX-512 VAES VPCLMULQDQ XOP FMA4, XCR0 = x87|SSE only,
//    as Xen does under its GDS mitigation when virtualised); SMEP SMAP INVPCID PKU OSPKE LA57
//    UMIP CET MPX HLE RTM SGX PT; the speculation controls that need a virtual SPEC_CTRL
//    (IBRS/IBPB/STIBP/SSBD/PSFD/L1D_FLUSH: this hypervisor does not virtualise SPEC_CTRL, like
//    Xen with `spec-ctrl=no-msr-sc-pv`); PDPE1GB; leaves 5, 6, 8, 9, 0xa (no vPMU), 0xb, 0xc.
//  - forced: HYPERVISOR (leaf 1 ECX 31); ARCH_CAPS (leaf 7 EDX 29) on Intel hosts.
//  - leaf 1 EBX keeps only the brand index and CLFLUSH size (APIC ID and the logical-processor
//    count are cleared: HTT is hidden, so the count would be meaningless).
//  - dynamic (per call): OSXSAVE; the hardware domain's kernel additionally sees the host's
//    MTRR (leaf 1 and 0x80000001 EDX 12) and EIST bits, and on a *faulted* CPUID also MONITOR
//    and the host's leaf 5 (Xen keeps these legacy leaks for dom0's power management); the
//    hardware domain also sees the host's invariant-TSC bit (Xen: dom0 does not migrate).
//  - out of range: any leaf above the maximum of its range, any subleaf beyond a leaf's
//    subleaf count, and any leaf outside 0-0xd, 0x40000000-0x400001ff and 0x80000000-0x80000008
//    returns all zeros (Xen follows the AMD model here, not Intel's "repeat the highest basic
//    leaf" rule).
//
// Deliberate differences from Xen 4.17: HTT (and leaf 1 EBX[23:16]) is always hidden (Xen
// passes the host's HTT through); AMD extended leaves above 0x80000008 (0x80000021 &c.) are not
// offered; DBEXT (AMD debug-address masks) is hidden because its MSRs are not emulated.
#pragma once

#include <array>
#include <cstdint>

namespace hv::pv {

struct CpuidLeaf {
    uint32_t eax = 0;
    uint32_t ebx = 0;
    uint32_t ecx = 0;
    uint32_t edx = 0;
    friend bool operator==(const CpuidLeaf&, const CpuidLeaf&) = default;
};

// Seam: the real CPUID instruction (arch code) or a recorded CPU model (host tests).
class HostCpuid {
public:
    virtual CpuidLeaf query(uint32_t leaf, uint32_t subleaf) const = 0;

protected:
    ~HostCpuid() = default;
};

enum class CpuVendor : uint8_t { Intel, Amd, Other };  // Amd includes Hygon

// Inputs to hypervisor leaf 0x40000003 (Xen's TSC information leaf).
struct TscLeafInfo {
    bool virtual_tsc = false;      // RDTSC is emulated for this domain
    bool host_tsc_is_safe = false; // host TSC is constant and synchronised across CPUs
    uint32_t tsc_mode = 0;         // Xen TSC_MODE_* (0 = default)
    uint32_t tsc_khz = 0;          // the domain's TSC frequency
    uint32_t incarnation = 0;      // bumped on migration; 0 for a domain that never moved
    uint64_t tsc_offset = 0;       // only reported when virtual_tsc is false
    uint32_t tsc_to_ns_mul_frac = 0;
    int8_t tsc_to_ns_shift = 0;
    uint32_t cpu_khz = 0;          // physical CPU frequency
};

struct CpuidDomainFacts {
    bool hardware_domain = false;   // dom0: gets Xen's legacy dom0 leaks (see top of file)
    uint64_t max_machine_frame = 0; // highest MFN the domain may ever see (leaf 0x40000005)
    uint16_t version_major = 4;     // reported in leaf 0x40000001
    uint16_t version_minor = 17;
    TscLeafInfo tsc{};
};

// Per-call state of the vCPU executing the CPUID.
struct CpuidCallContext {
    bool guest_kernel_mode = true;
    // true: reached through the forced-emulation prefix (a #UD); false: a native CPUID that
    // faulted (#GP, CPUID faulting enabled by the hypervisor).
    bool forced_emulation = true;
    uint64_t guest_cr4 = 0;         // the guest's virtual CR4 (OSXSAVE, PKE)
    bool host_cr4_osxsave = true;   // hardware CR4.OSXSAVE while the guest runs
};

class CpuidPolicy {
public:
    static CpuidPolicy build(const HostCpuid& host, const CpuidDomainFacts& facts);

    CpuidLeaf guest_cpuid(uint32_t leaf, uint32_t subleaf, const CpuidCallContext& call) const;

    CpuVendor vendor() const { return vendor_; }
    bool xsave_visible() const;
    // XCR0 bits the guest may set with XSETBV (0 when XSAVE is hidden).
    uint64_t supported_xcr0() const;
    bool arch_capabilities_visible() const;  // IA32_ARCH_CAPABILITIES exists for the guest
    bool tsc_aux_visible() const;            // RDTSCP or RDPID visible: IA32_TSC_AUX exists
    bool hardware_domain() const { return facts_.hardware_domain; }

    static constexpr uint32_t max_basic_leaf = 0xd;
    static constexpr uint32_t max_extended_index = 8;  // 0x80000008
    static constexpr uint32_t cache_subleaves = 6;     // leaf 4
    static constexpr uint32_t feature_subleaves = 3;   // leaf 7
    static constexpr uint32_t xstate_subleaves = 2;    // leaf 0xd: x87|SSE need only 0 and 1

private:
    CpuidLeaf hypervisor_leaf(uint32_t leaf, uint32_t subleaf) const;

    CpuVendor vendor_ = CpuVendor::Other;
    CpuidDomainFacts facts_{};
    // Leaves 0..max_basic_leaf; entries 4, 7, 0xb and 0xd are unused (see the arrays below).
    std::array<CpuidLeaf, max_basic_leaf + 1> basic_{};
    std::array<CpuidLeaf, cache_subleaves> cache_{};
    std::array<CpuidLeaf, feature_subleaves> feature_{};
    std::array<CpuidLeaf, xstate_subleaves> xstate_{};
    std::array<CpuidLeaf, max_extended_index + 1> extended_{};
    // Host facts behind the dynamic adjustments.
    CpuidLeaf host_monitor_leaf_{};
    bool host_monitor_ = false;
    bool host_eist_ = false;
    bool host_mtrr_ = false;
    bool host_rdtscp_ = false;
};

}  // namespace hv::pv
