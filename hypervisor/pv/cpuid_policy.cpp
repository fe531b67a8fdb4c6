// Guest CPUID policy: the whitelist and the per-call adjustments. Bit positions are from the
// Intel SDM vol. 2A (CPUID), the AMD APM vol. 3 (appendix E) and Xen's public
// arch-x86/cpufeatureset.h; which of them a PV guest may see follows Xen 4.17's default PV
// policy (attribute 'A') minus the AVX family and TSX (see cpuid_policy.hpp).
#include "pv/cpuid_policy.hpp"

#include <bit>

namespace hv::pv {
namespace {

constexpr uint32_t bit(unsigned n) { return uint32_t{1} << n; }

// ---- leaf 1 EDX ----
constexpr uint32_t k1dFpu = bit(0), k1dDe = bit(2), k1dTsc = bit(4), k1dMsr = bit(5);
constexpr uint32_t k1dPae = bit(6), k1dMce = bit(7), k1dCx8 = bit(8), k1dApic = bit(9);
constexpr uint32_t k1dSep = bit(11), k1dMtrr = bit(12), k1dMca = bit(14), k1dCmov = bit(15);
constexpr uint32_t k1dPat = bit(16), k1dClflush = bit(19), k1dAcpi = bit(22), k1dMmx = bit(23);
constexpr uint32_t k1dFxsr = bit(24), k1dSse = bit(25), k1dSse2 = bit(26), k1dSelfSnoop = bit(27);
constexpr uint32_t kLeaf1EdxVisible = k1dFpu | k1dDe | k1dTsc | k1dMsr | k1dPae | k1dMce | k1dCx8 |
                                      k1dApic | k1dSep | k1dMca | k1dCmov | k1dPat | k1dClflush |
                                      k1dAcpi | k1dMmx | k1dFxsr | k1dSse | k1dSse2 | k1dSelfSnoop;

// ---- leaf 1 ECX ----
constexpr uint32_t k1cSse3 = bit(0), k1cPclmulqdq = bit(1), k1cMonitor = bit(3), k1cEist = bit(7);
constexpr uint32_t k1cSsse3 = bit(9), k1cCx16 = bit(13), k1cSse41 = bit(19), k1cSse42 = bit(20);
constexpr uint32_t k1cMovbe = bit(22), k1cPopcnt = bit(23), k1cAes = bit(25), k1cXsave = bit(26);
constexpr uint32_t k1cOsxsave = bit(27), k1cRdrand = bit(30), k1cHypervisor = bit(31);
constexpr uint32_t kLeaf1EcxVisible = k1cSse3 | k1cPclmulqdq | k1cSsse3 | k1cCx16 | k1cSse41 |
                                      k1cSse42 | k1cMovbe | k1cPopcnt | k1cAes | k1cXsave | k1cRdrand;

// Leaf 1 EAX: the processor-type field (bits 13:12) is cleared, as Xen does on Intel.
constexpr uint32_t kLeaf1EaxVisible = 0x0fff0fff;
// Leaf 1 EBX: brand index (7:0) and CLFLUSH line size (15:8); no HTT count, no APIC ID.
constexpr uint32_t kLeaf1EbxVisible = 0x0000ffff;

// ---- leaf 7 subleaf 0 ----
constexpr uint32_t k7bFsgsbase = bit(0), k7bBmi1 = bit(3), k7bFdpExcpOnly = bit(6);
constexpr uint32_t k7bBmi2 = bit(8), k7bErms = bit(9), k7bNoFpuSel = bit(13), k7bRdseed = bit(18);
constexpr uint32_t k7bAdx = bit(19), k7bClflushopt = bit(23), k7bClwb = bit(24), k7bSha = bit(29);
constexpr uint32_t kLeaf7EbxVisible = k7bFsgsbase | k7bBmi1 | k7bBmi2 | k7bErms | k7bRdseed | k7bAdx |
                                      k7bClflushopt | k7bClwb | k7bSha |
                                      // FPU behaviour facts, always the host's
                                      k7bFdpExcpOnly | k7bNoFpuSel;
constexpr uint32_t k7cPrefetchwt1 = bit(0), k7cGfni = bit(8), k7cRdpid = bit(22), k7cCldemote = bit(25);
constexpr uint32_t kLeaf7EcxVisible = k7cPrefetchwt1 | k7cGfni | k7cRdpid | k7cCldemote;
constexpr uint32_t k7dFsrm = bit(4), k7dMdClear = bit(10), k7dSerialize = bit(14), k7dArchCaps = bit(29);
constexpr uint32_t kLeaf7EdxVisible = k7dFsrm | k7dMdClear | k7dSerialize;
// Subleaf 1 EAX: fast zero-length MOVSB, fast short STOSB, fast short CMPSB/SCASB.
constexpr uint32_t kLeaf7s1EaxVisible = bit(10) | bit(11) | bit(12);
// Subleaf 2 EDX: MCDT_NO.
constexpr uint32_t kLeaf7s2EdxVisible = bit(5);

// ---- leaf 0xd ----
constexpr uint64_t kXcr0X87 = 1u << 0, kXcr0Sse = 1u << 1;
constexpr uint64_t kPolicyXcr0 = kXcr0X87 | kXcr0Sse;
constexpr uint32_t kXsaveLegacyAndHeaderBytes = 512 + 64;  // the whole area for x87|SSE
constexpr uint32_t kXsaveopt = bit(0), kXsavec = bit(1), kXgetbv1 = bit(2);
constexpr uint32_t kLeafDs1EaxVisible = kXsaveopt | kXsavec | kXgetbv1;

// ---- extended leaves ----
constexpr uint32_t kExtendedBase = 0x80000000;
constexpr uint32_t kE1dSyscall = bit(11), kE1dMtrr = bit(12), kE1dNx = bit(20), kE1dMmxext = bit(22);
constexpr uint32_t kE1dFfxsr = bit(25), kE1dRdtscp = bit(27), kE1dLm = bit(29), kE1d3dnowext = bit(30);
constexpr uint32_t kE1d3dnow = bit(31);
constexpr uint32_t kExt1EdxVisible =
    kE1dSyscall | kE1dNx | kE1dMmxext | kE1dFfxsr | kE1dRdtscp | kE1dLm | kE1d3dnowext | kE1d3dnow;
// AMD mirrors these leaf 1 EDX bits in 0x80000001 EDX (Xen: CPUID_COMMON_1D_FEATURES).
constexpr uint32_t kCommon1dFeatures = 0x0183f3ff;
constexpr uint32_t kE1cLahfLm = bit(0), kE1cCmpLegacy = bit(1), kE1cAbm = bit(5), kE1cSse4a = bit(6);
constexpr uint32_t kE1cMisalignSse = bit(7), kE1c3dnowPrefetch = bit(8), kE1cTbm = bit(21);
constexpr uint32_t kExt1EcxVisible =
    kE1cLahfLm | kE1cAbm | kE1cSse4a | kE1cMisalignSse | kE1c3dnowPrefetch | kE1cTbm;
constexpr uint32_t kExt1EcxAmdOnly = kE1cCmpLegacy;  // topology hint, host value on AMD
constexpr uint32_t kE7dInvariantTsc = bit(8);
// 0x80000008 EBX: CLZERO, RSTR_FP_ERR_PTRS, SSB_NO, BTC_NO.
constexpr uint32_t kExt8EbxVisible = bit(0) | bit(2) | bit(26) | bit(29);
constexpr uint32_t kExt8EcxAmdVisible = 0x0003f0ff;  // NC and ApicIdCoreIdSize
constexpr uint32_t kVirtualAddressBits = 48;
constexpr uint32_t kMinPhysicalAddressBits = 36;  // PAE
constexpr uint32_t kMaxPhysicalAddressBits = 52;

// ---- hypervisor leaves (Xen public arch-x86/cpuid.h) ----
// TODO(abi): move to hypercall/public
constexpr uint32_t kHypervisorBase = 0x40000000;
constexpr uint32_t kHypervisorLeafCount = 5;  // base+0 .. base+5
constexpr uint32_t kHypervisorRangeEnd = 0x400001ff;  // Xen answers (with zeros) up to here
constexpr uint32_t kXenSignatureEbx = 0x566e6558;  // "XenV"
constexpr uint32_t kXenSignatureEcx = 0x65584d4d;  // "MMXe"
constexpr uint32_t kXenSignatureEdx = 0x4d4d566e;  // "nVMM"
constexpr uint32_t kXenHypercallPageMsr = 0x40000000;
constexpr uint32_t kXenFeatureMmuPtUpdatePreserveAd = bit(0);
constexpr uint32_t kPageShift = 12;

// ---- vendor signatures ----
constexpr uint32_t kIntelEbx = 0x756e6547, kIntelEcx = 0x6c65746e, kIntelEdx = 0x49656e69;
constexpr uint32_t kAmdEbx = 0x68747541, kAmdEcx = 0x444d4163, kAmdEdx = 0x69746e65;
constexpr uint32_t kHygonEbx = 0x6f677948, kHygonEcx = 0x656e6975, kHygonEdx = 0x6e65476e;

constexpr uint64_t kCr4Osxsave = uint64_t{1} << 18;

CpuVendor vendor_of(const CpuidLeaf& leaf0) {
    if (leaf0.ebx == kIntelEbx && leaf0.ecx == kIntelEcx && leaf0.edx == kIntelEdx)
        return CpuVendor::Intel;
    if ((leaf0.ebx == kAmdEbx && leaf0.ecx == kAmdEcx && leaf0.edx == kAmdEdx) ||
        (leaf0.ebx == kHygonEbx && leaf0.ecx == kHygonEcx && leaf0.edx == kHygonEdx))
        return CpuVendor::Amd;
    return CpuVendor::Other;
}

// Display family and model from leaf 1 EAX (SDM vol. 2A, CPUID leaf 1, figure 3-6).
struct FamilyModel {
    uint32_t family;
    uint32_t model;
};
FamilyModel family_model(uint32_t eax) {
    uint32_t family = (eax >> 8) & 0xf;
    uint32_t model = (eax >> 4) & 0xf;
    if (family == 0xf)
        family += (eax >> 20) & 0xff;
    if (family == 0x6 || family >= 0xf)
        model |= ((eax >> 16) & 0xf) << 4;
    return {family, model};
}
constexpr uint32_t kIntelFamily6 = 6;
constexpr uint32_t kIntelModelIvyBridge = 0x3a;

// Intel deterministic cache parameters (leaf 4): type in EAX[4:0], 1-3 are real caches.
constexpr uint32_t kCacheTypeMask = 0x1f;
constexpr uint32_t kLeaf4EaxVisible = 0xffffc3ff;  // reserved bits 13:10 cleared
constexpr uint32_t kLeaf4EdxVisible = 0x00000007;

}  // namespace

CpuidPolicy CpuidPolicy::build(const HostCpuid& host, const CpuidDomainFacts& facts) {
    CpuidPolicy p;
    p.facts_ = facts;

    const CpuidLeaf leaf0 = host.query(0, 0);
    p.vendor_ = vendor_of(leaf0);
    const bool amd = p.vendor_ == CpuVendor::Amd;
    const uint32_t max_basic = leaf0.eax < max_basic_leaf ? leaf0.eax : max_basic_leaf;
    auto host_basic = [&](uint32_t leaf, uint32_t sub) {
        return leaf <= max_basic ? host.query(leaf, sub) : CpuidLeaf{};
    };

    p.basic_[0] = {max_basic, leaf0.ebx, leaf0.ecx, leaf0.edx};

    // Leaf 1.
    const CpuidLeaf h1 = host_basic(1, 0);
    p.host_monitor_ = (h1.ecx & k1cMonitor) != 0;
    p.host_eist_ = (h1.ecx & k1cEist) != 0;
    p.host_mtrr_ = (h1.edx & k1dMtrr) != 0;
    CpuidLeaf& l1 = p.basic_[1];
    l1.eax = h1.eax & kLeaf1EaxVisible;
    l1.ebx = h1.ebx & kLeaf1EbxVisible;
    l1.ecx = (h1.ecx & kLeaf1EcxVisible) | k1cHypervisor;
    l1.edx = h1.edx & kLeaf1EdxVisible;
    if (amd)  // SYSENTER does not exist in long mode on AMD, and the guest never leaves it.
        l1.edx &= ~k1dSep;
    const FamilyModel fm = family_model(h1.eax);
    if (p.vendor_ == CpuVendor::Intel && fm.family == kIntelFamily6 && fm.model == kIntelModelIvyBridge)
        l1.ecx &= ~k1cRdrand;  // SRBDS leaks RDRAND data on these parts (XSA-320)

    // XSAVE: only x87|SSE state is offered, and only if the host has leaf 0xd to describe it.
    const CpuidLeaf hd0 = host_basic(0xd, 0);
    if ((l1.ecx & k1cXsave) && max_basic >= 0xd && (hd0.eax & kPolicyXcr0) == kPolicyXcr0) {
        const CpuidLeaf hd1 = host_basic(0xd, 1);
        p.xstate_[0] = {static_cast<uint32_t>(kPolicyXcr0), kXsaveLegacyAndHeaderBytes,
                        kXsaveLegacyAndHeaderBytes, 0};
        p.xstate_[1].eax = hd1.eax & kLeafDs1EaxVisible;
        if (p.xstate_[1].eax & kXsavec)
            p.xstate_[1].ebx = kXsaveLegacyAndHeaderBytes;  // compacted x87|SSE, no XSS states
    } else {
        l1.ecx &= ~k1cXsave;
    }

    if (!amd) {
        // Leaf 2: cache/TLB descriptors, with the "number of queries" byte fixed to 1.
        const CpuidLeaf h2 = host_basic(2, 0);
        p.basic_[2] = {(h2.eax & ~uint32_t{0xff}) | 1, h2.ebx, h2.ecx, h2.edx};
        // Leaf 4: cache parameters up to the first invalid subleaf.
        for (uint32_t sub = 0; sub < cache_subleaves && max_basic >= 4; ++sub) {
            const CpuidLeaf h4 = host.query(4, sub);
            const uint32_t type = h4.eax & kCacheTypeMask;
            if (type < 1 || type > 3)
                break;
            p.cache_[sub] = {h4.eax & kLeaf4EaxVisible, h4.ebx, h4.ecx, h4.edx & kLeaf4EdxVisible};
        }
    }
    if (p.host_monitor_ && max_basic >= 5)
        p.host_monitor_leaf_ = host.query(5, 0);

    // Leaf 7.
    if (max_basic >= 7) {
        const CpuidLeaf h70 = host.query(7, 0);
        const uint32_t max_sub = h70.eax < feature_subleaves - 1 ? h70.eax : feature_subleaves - 1;
        CpuidLeaf& f0 = p.feature_[0];
        f0.eax = max_sub;
        f0.ebx = h70.ebx & kLeaf7EbxVisible;
        f0.ecx = h70.ecx & kLeaf7EcxVisible;
        f0.edx = h70.edx & kLeaf7EdxVisible;
        if (p.vendor_ == CpuVendor::Intel)
            f0.edx |= k7dArchCaps;  // the MSR is pure information; Xen always offers it on Intel
        if (max_sub >= 1)
            p.feature_[1].eax = host.query(7, 1).eax & kLeaf7s1EaxVisible;
        if (max_sub >= 2)
            p.feature_[2].edx = host.query(7, 2).edx & kLeaf7s2EdxVisible;
    }

    // Extended leaves.
    const CpuidLeaf e0 = host.query(kExtendedBase, 0);
    uint32_t max_ext = 0;
    if ((e0.eax & 0xffff0000) == kExtendedBase)
        max_ext = (e0.eax & 0xffff) < max_extended_index ? (e0.eax & 0xffff) : max_extended_index;
    auto host_ext = [&](uint32_t index) {
        return index <= max_ext ? host.query(kExtendedBase + index, 0) : CpuidLeaf{};
    };
    p.extended_[0] = {kExtendedBase | max_ext, 0, 0, 0};
    if (amd)
        p.extended_[0] = {kExtendedBase | max_ext, leaf0.ebx, leaf0.ecx, leaf0.edx};

    const CpuidLeaf he1 = host_ext(1);
    p.host_rdtscp_ = (he1.edx & kE1dRdtscp) != 0;
    CpuidLeaf& x1 = p.extended_[1];
    x1.ecx = he1.ecx & kExt1EcxVisible;
    x1.edx = he1.edx & kExt1EdxVisible;
    if (amd) {
        x1.eax = l1.eax;
        x1.ebx = he1.ebx & 0xff00ffff;
        x1.ecx |= he1.ecx & kExt1EcxAmdOnly;
        x1.edx |= l1.edx & kCommon1dFeatures;
    }
    for (uint32_t index = 2; index <= 4; ++index)  // brand string
        p.extended_[index] = host_ext(index);
    if (amd) {
        p.extended_[5] = host_ext(5);
        p.extended_[6] = host_ext(6);
    } else {
        p.extended_[6].ecx = host_ext(6).ecx;  // L2 cache; the rest is reserved on Intel
    }
    if (facts.hardware_domain)
        p.extended_[7].edx = host_ext(7).edx & kE7dInvariantTsc;

    if (max_ext >= 8) {
        const CpuidLeaf he8 = host_ext(8);
        uint32_t phys = he8.eax & 0xff;
        phys = phys < kMinPhysicalAddressBits ? kMinPhysicalAddressBits : phys;
        phys = phys > kMaxPhysicalAddressBits ? kMaxPhysicalAddressBits : phys;
        CpuidLeaf& x8 = p.extended_[8];
        x8.eax = (kVirtualAddressBits << 8) | phys;
        x8.ebx = he8.ebx & kExt8EbxVisible;
        x8.ecx = amd ? (he8.ecx & kExt8EcxAmdVisible) : 0;
    }
    return p;
}

bool CpuidPolicy::xsave_visible() const { return (basic_[1].ecx & k1cXsave) != 0; }

uint64_t CpuidPolicy::supported_xcr0() const { return xsave_visible() ? kPolicyXcr0 : 0; }

bool CpuidPolicy::arch_capabilities_visible() const { return (feature_[0].edx & k7dArchCaps) != 0; }

bool CpuidPolicy::tsc_aux_visible() const {
    return (extended_[1].edx & kE1dRdtscp) || (feature_[0].ecx & k7cRdpid);
}

CpuidLeaf CpuidPolicy::guest_cpuid(uint32_t leaf, uint32_t subleaf, const CpuidCallContext& call) const {
    // First the static policy value (zeros when out of range), then the per-call adjustments.
    CpuidLeaf r{};
    if (leaf <= max_basic_leaf) {
        if (leaf > basic_[0].eax)
            return r;
        switch (leaf) {
        case 4:
            r = subleaf < cache_subleaves ? cache_[subleaf] : CpuidLeaf{};
            break;
        case 7:
            r = subleaf <= feature_[0].eax ? feature_[subleaf] : CpuidLeaf{};
            break;
        case 0xb:
            break;  // topology: hidden
        case 0xd:
            if (xsave_visible() && subleaf < xstate_subleaves)
                r = xstate_[subleaf];
            break;
        default:
            r = basic_[leaf];
            break;
        }
    } else if (leaf >= kHypervisorBase && leaf <= kHypervisorRangeEnd) {
        return hypervisor_leaf(leaf, subleaf);
    } else if (leaf >= kExtendedBase && leaf <= kExtendedBase + max_extended_index) {
        if ((leaf & 0xffff) > (extended_[0].eax & 0xffff))
            return r;
        r = extended_[leaf - kExtendedBase];
    } else {
        return r;
    }

    const bool dom0_kernel = facts_.hardware_domain && call.guest_kernel_mode;
    switch (leaf) {
    case 1:
        // Xen reports OSXSAVE to the kernel's forced-emulation CPUID as soon as XSAVE is
        // visible, before the guest sets CR4.OSXSAVE: PV Linux relies on that (de facto ABI).
        if ((call.guest_cr4 & kCr4Osxsave) ||
            (xsave_visible() && call.forced_emulation && call.guest_kernel_mode && call.host_cr4_osxsave))
            r.ecx |= k1cOsxsave;
        if (dom0_kernel) {
            if (host_monitor_ && !call.forced_emulation)
                r.ecx |= k1cMonitor;
            if (host_eist_)
                r.ecx |= k1cEist;
            if (host_mtrr_)
                r.edx |= k1dMtrr;
        }
        break;
    case 5:
        if (dom0_kernel && host_monitor_ && !call.forced_emulation)
            r = host_monitor_leaf_;
        break;
    case kExtendedBase + 1:
        if (dom0_kernel && host_mtrr_)
            r.edx |= kE1dMtrr;
        break;
    default:
        break;
    }
    return r;
}

CpuidLeaf CpuidPolicy::hypervisor_leaf(uint32_t leaf, uint32_t subleaf) const {
    CpuidLeaf r{};
    const uint32_t index = leaf - kHypervisorBase;
    switch (index) {
    case 0:
        r = {kHypervisorBase + kHypervisorLeafCount, kXenSignatureEbx, kXenSignatureEcx, kXenSignatureEdx};
        break;
    case 1:
        r.eax = (uint32_t{facts_.version_major} << 16) | facts_.version_minor;
        break;
    case 2:
        r.eax = 1;  // hypercall pages
        r.ebx = kXenHypercallPageMsr;
        r.ecx = kXenFeatureMmuPtUpdatePreserveAd;  // PV only
        break;
    case 3: {
        const TscLeafInfo& t = facts_.tsc;
        switch (subleaf) {
        case 0:
            r.eax = (t.virtual_tsc ? bit(0) : 0) | (t.host_tsc_is_safe ? bit(1) : 0) | (host_rdtscp_ ? bit(2) : 0);
            r.ebx = t.tsc_mode;
            r.ecx = t.tsc_khz;
            r.edx = t.incarnation;
            break;
        case 1: {
            const uint64_t offset = t.virtual_tsc ? 0 : t.tsc_offset;
            r.eax = static_cast<uint32_t>(offset);
            r.ebx = static_cast<uint32_t>(offset >> 32);
            r.ecx = t.tsc_to_ns_mul_frac;
            r.edx = static_cast<uint32_t>(static_cast<int32_t>(t.tsc_to_ns_shift));
            break;
        }
        case 2:
            r.eax = t.cpu_khz;
            break;
        default:
            break;
        }
        break;
    }
    case 4:
        break;  // HVM-only flags: all zero for PV
    case 5:
        if (subleaf == 0)
            r.ebx = static_cast<uint32_t>(std::bit_width(facts_.max_machine_frame)) + kPageShift;
        break;
    default:
        break;  // beyond base+5, including the 0x40000100 alias range: zeros
    }
    return r;
}

}  // namespace hv::pv
