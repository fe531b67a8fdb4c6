// Host tests for guest RDMSR/WRMSR (pv/msr_policy.hpp). The Intel host is QEMU 7.2
// Haswell-noTSX under TCG, whose values are those the reference Xen boot observed
// (shared/spec/xen-pv-abi.md §6.3): MISC_ENABLE 0x801801, APIC_BASE 0xfee00900, ARCH_CAPS 0.
#include "pv/msr_policy.hpp"

#include <gtest/gtest.h>

#include <map>

namespace hv::pv {
namespace {

class FakeHostMsrs final : public HostMsrs {
public:
    std::optional<uint64_t> read(uint32_t index) const override {
        auto it = values.find(index);
        if (it == values.end())
            return std::nullopt;
        return it->second;
    }
    uint64_t guest_tsc() const override { return tsc; }

    std::map<uint32_t, uint64_t> values;
    uint64_t tsc = 0x123456789a;
};

FakeHostMsrs qemu_tcg_host() {
    FakeHostMsrs h;
    h.values = {
        {msr::efer, 0xd01},           // SCE LME LMA NXE as the hypervisor runs
        {msr::misc_enable, 0x1},      // QEMU: fast strings only
        {msr::ucode_rev, 0x100000000},
        {msr::platform_id, 0},
        {msr::smi_count, 0},
        {msr::pat, 0x0007040600070406},
        {msr::sysenter_cs, 0},
        {msr::star, 0},
        {msr::lstar, 0},
        {msr::mcg_cap, 0x10a},
    };
    return h;
}

// Everything a Haswell-noTSX dom0 gets: Intel, ARCH_CAPS visible (value 0), RDTSCP visible.
MsrPolicy intel_policy() {
    MsrPolicy p;
    p.vendor = CpuVendor::Intel;
    p.arch_capabilities_visible = true;
    p.arch_capabilities = 0;
    p.tsc_aux_visible = true;
    return p;
}

struct Fixture {
    MsrPolicy policy = intel_policy();
    FakeHostMsrs host = qemu_tcg_host();
    MsrState state;
    MsrContext context() const { return {policy, host, 0, true, true}; }
    MsrContext context(uint32_t vcpu, bool kernel, bool gp_handler) const {
        return {policy, host, vcpu, kernel, gp_handler};
    }
};

uint64_t read_ok(const Fixture& f, uint32_t index) {
    Result<uint64_t> r = read_msr(index, f.state, f.context());
    EXPECT_TRUE(r.ok()) << std::hex << index << " " << status_name(r.status());
    return r.value_or(~uint64_t{0});
}

bool read_faults(const Fixture& f, uint32_t index) { return !read_msr(index, f.state, f.context()).ok(); }

TEST(MsrPolicyObserved, ReferenceBootValues) {
    Fixture f;
    EXPECT_EQ(read_ok(f, msr::misc_enable), 0x801801u);
    EXPECT_EQ(read_ok(f, msr::arch_capabilities), 0u);
    EXPECT_EQ(read_ok(f, msr::pat), 0x0000050100070406u);
    EXPECT_EQ(read_ok(f, msr::apic_base), 0xfee00900u);
    EXPECT_EQ(read_ok(f, msr::feature_control), 1u);
    EXPECT_EQ(read_ok(f, msr::platform_info), 0u);
    EXPECT_EQ(read_ok(f, msr::misc_features_enables), 0u);
    EXPECT_EQ(read_ok(f, msr::mcg_cap), 0u);
    EXPECT_EQ(read_ok(f, msr::mcg_status), 0u);
    EXPECT_EQ(read_ok(f, msr::ucode_rev), 0x100000000u);
    EXPECT_EQ(read_ok(f, msr::efer), 0xd01u);
    EXPECT_EQ(read_ok(f, msr::tsc), 0x123456789au);
    // The reference boot's probes that Xen answers with #GP (Linux uses the _safe accessors).
    EXPECT_TRUE(read_faults(f, msr::smi_count));
    EXPECT_TRUE(read_faults(f, msr::amd_de_cfg));
}

TEST(MsrPolicyObserved, StartupGsBaseWriteBeforeAnyTrapTable) {
    Fixture f;
    const MsrContext c = f.context(0, true, /*gp_handler=*/false);
    EXPECT_EQ(write_msr(msr::gs_base, 0xffffffff83044000, f.state, c), Status::Ok);
    EXPECT_EQ(f.state.gs_base_kernel, 0xffffffff83044000u);
    EXPECT_EQ(read_msr(msr::gs_base, f.state, c).value(), 0xffffffff83044000u);
}

TEST(MsrPolicyObserved, BootWrites) {
    Fixture f;
    EXPECT_EQ(write_msr(msr::tsc_aux, 0, f.state, f.context()), Status::Ok);                // setup_getcpu
    EXPECT_EQ(write_msr(msr::ucode_rev, 0, f.state, f.context()), Status::Ok);              // microcode query
    EXPECT_EQ(write_msr(msr::misc_features_enables, 0, f.state, f.context()), Status::Ok);  // CPUID faulting off
    EXPECT_EQ(write_msr(msr::mc_bank_first, ~uint64_t{0}, f.state, f.context()), Status::Ok);  // MC0_CTL
    EXPECT_EQ(write_msr(msr::mc_bank_first + 1, 0, f.state, f.context()), Status::Ok);         // MC0_STATUS
}

TEST(MsrPolicyApicBase, BspBitOnlyOnVcpu0) {
    Fixture f;
    EXPECT_EQ(read_msr(msr::apic_base, f.state, f.context(0, true, true)).value(), 0xfee00900u);
    EXPECT_EQ(read_msr(msr::apic_base, f.state, f.context(1, true, true)).value(), 0xfee00800u);
    EXPECT_EQ(read_msr(msr::apic_base, f.state, f.context(7, true, true)).value(), 0xfee00800u);
    EXPECT_NE(write_msr(msr::apic_base, 0xfee00900, f.state, f.context()), Status::Ok);
}

TEST(MsrPolicySegmentBases, CanonicalChecksAndStorage) {
    Fixture f;
    const MsrContext c = f.context();
    EXPECT_EQ(write_msr(msr::fs_base, 0x00007fffffffe000, f.state, c), Status::Ok);
    EXPECT_EQ(write_msr(msr::kernel_gs_base, 0x00007f0000001000, f.state, c), Status::Ok);
    EXPECT_EQ(write_msr(msr::gs_base, 0xffff888000000000, f.state, c), Status::Ok);
    EXPECT_EQ(read_ok(f, msr::fs_base), 0x00007fffffffe000u);
    EXPECT_EQ(read_ok(f, msr::kernel_gs_base), 0x00007f0000001000u);  // Xen: always the user base
    EXPECT_EQ(read_ok(f, msr::gs_base), 0xffff888000000000u);
    for (uint64_t bad : {0x0000800000000000ull, 0xffff7fffffffffffull, 0x8000000000000000ull, 0x00ff000000000000ull}) {
        const MsrState before = f.state;
        EXPECT_EQ(write_msr(msr::fs_base, bad, f.state, c), Status::InvalidArgument);
        EXPECT_EQ(write_msr(msr::gs_base, bad, f.state, c), Status::InvalidArgument);
        EXPECT_EQ(write_msr(msr::kernel_gs_base, bad, f.state, c), Status::InvalidArgument);
        EXPECT_EQ(f.state.fs_base, before.fs_base);
        EXPECT_EQ(f.state.gs_base_kernel, before.gs_base_kernel);
        EXPECT_EQ(f.state.gs_base_user, before.gs_base_user);
    }
}

TEST(MsrPolicyTscAux, ThirtyTwoBitsAndVisibility) {
    Fixture f;
    EXPECT_EQ(write_msr(msr::tsc_aux, 0xffffffff, f.state, f.context()), Status::Ok);
    EXPECT_EQ(read_ok(f, msr::tsc_aux), 0xffffffffu);
    EXPECT_EQ(write_msr(msr::tsc_aux, 0x100000000, f.state, f.context()), Status::InvalidArgument);
    EXPECT_EQ(f.state.tsc_aux, 0xffffffffu);
    f.policy.tsc_aux_visible = false;
    EXPECT_TRUE(read_faults(f, msr::tsc_aux));
    EXPECT_NE(write_msr(msr::tsc_aux, 0, f.state, f.context()), Status::Ok);
}

TEST(MsrPolicyWriteSame, EferPatMiscEnable) {
    Fixture f;
    const MsrContext c = f.context();
    EXPECT_EQ(write_msr(msr::efer, 0xd01, f.state, c), Status::Ok);
    EXPECT_NE(write_msr(msr::efer, 0xd00, f.state, c), Status::Ok);   // clear SCE
    EXPECT_NE(write_msr(msr::efer, 0x1d01, f.state, c), Status::Ok);  // set SVME
    EXPECT_EQ(write_msr(msr::pat, 0x0000050100070406, f.state, c), Status::Ok);
    EXPECT_NE(write_msr(msr::pat, 0x0007040600070406, f.state, c), Status::Ok);
    EXPECT_EQ(read_ok(f, msr::pat), 0x0000050100070406u);
    EXPECT_EQ(write_msr(msr::misc_enable, 0x801801, f.state, c), Status::Ok);
    EXPECT_EQ(write_msr(msr::misc_enable, 0x1, f.state, c), Status::Ok);  // ignored, not faulted
    EXPECT_EQ(read_ok(f, msr::misc_enable), 0x801801u);
    f.host.values.erase(msr::misc_enable);
    EXPECT_NE(write_msr(msr::misc_enable, 0x801801, f.state, c), Status::Ok);
    EXPECT_TRUE(read_faults(f, msr::misc_enable));
}

TEST(MsrPolicyDerived, EferAndMiscEnable) {
    EXPECT_EQ(guest_efer(0xd01 | (1u << 12)), 0xd01u);   // SVME hidden
    EXPECT_EQ(guest_efer(0xd01 | (1u << 13)), 0xd01u);   // LMSLE unknown to guests
    EXPECT_EQ(guest_efer(0xd01 | (1u << 14)), 0x4d01u);  // FFXSR kept
    EXPECT_EQ(guest_misc_enable(0x1), 0x801801u);
    EXPECT_EQ(guest_misc_enable(0x850089), 0x811809u);  // PERF_MON (7) and MONITOR (18) cleared
}

TEST(MsrPolicyMiscFeaturesEnables, NoCpuidFaulting) {
    Fixture f;
    EXPECT_EQ(write_msr(msr::misc_features_enables, 1, f.state, f.context()), Status::InvalidArgument);
    EXPECT_EQ(write_msr(msr::misc_features_enables, 2, f.state, f.context()), Status::InvalidArgument);
    EXPECT_EQ(read_ok(f, msr::misc_features_enables), 0u);
    EXPECT_NE(write_msr(msr::platform_info, 0, f.state, f.context()), Status::Ok);
}

TEST(MsrPolicyMachineCheck, NoBanks) {
    Fixture f;
    EXPECT_EQ(read_ok(f, msr::mcg_ctl), 0u);
    EXPECT_EQ(read_ok(f, msr::mc_bank_first), 0u);
    EXPECT_EQ(read_ok(f, msr::mc_bank_last), 0u);
    EXPECT_EQ(read_ok(f, msr::mc_ctl2_first), 0u);
    EXPECT_EQ(read_ok(f, msr::p5_mc_addr), 0u);
    EXPECT_EQ(write_msr(msr::mcg_status, 5, f.state, f.context()), Status::Ok);
    EXPECT_EQ(read_ok(f, msr::mcg_status), 5u);
    EXPECT_EQ(write_msr(msr::mcg_cap, 0x10a, f.state, f.context()), Status::Ok);
    EXPECT_EQ(read_ok(f, msr::mcg_cap), 0u);
    EXPECT_TRUE(read_faults(f, msr::mcg_ext_ctl));
    EXPECT_NE(write_msr(msr::p5_mc_addr, 0, f.state, f.context()), Status::Ok);
}

TEST(MsrPolicyUnknown, InjectGp) {
    Fixture f;
    for (uint32_t index : {msr::smi_count, msr::spec_ctrl, msr::pred_cmd, msr::flush_cmd, msr::ucode_write,
                           msr::sysenter_cs, msr::star, msr::lstar, 0xc0000083u, 0xc0000084u, 0x122u, 0x123u,
                           0xcfu, 0x802u, 0xda0u, 0x38fu, 0x2ffu, 0x12345678u, msr::mperf, msr::energy_perf_bias}) {
        EXPECT_TRUE(read_faults(f, index)) << std::hex << index;
    }
    for (uint32_t index : {msr::tsc, msr::apic_base, msr::platform_info, msr::arch_capabilities, msr::feature_control,
                           msr::platform_id, msr::smi_count, msr::spec_ctrl, msr::star, msr::lstar, msr::sysenter_cs,
                           msr::perf_status, msr::therm_status, msr::perf_capabilities, 0x12345678u,
                           msr::xen_hypercall_page, 0x40000001u}) {
        EXPECT_NE(write_msr(index, 0, f.state, f.context()), Status::Ok) << std::hex << index;
    }
    EXPECT_EQ(read_ok(f, msr::xen_hypercall_page), 0u);
}

TEST(MsrPolicyFaking, UnknownReadIsZeroBeforeGpHandler) {
    Fixture f;
    const MsrContext early = f.context(0, true, /*gp_handler=*/false);
    // The host has SMI_COUNT and STAR: faked to 0.
    EXPECT_EQ(read_msr(msr::smi_count, f.state, early).value(), 0u);
    EXPECT_EQ(read_msr(msr::star, f.state, early).value(), 0u);
    // The host lacks it: still #GP (Xen requires the host read to succeed).
    EXPECT_FALSE(read_msr(0x12345678, f.state, early).ok());
    // Hypervisor MSRs are never faked, even if readable.
    f.host.values[0x40000001] = 0;
    EXPECT_FALSE(read_msr(0x40000001, f.state, early).ok());
    // Writes are never faked.
    EXPECT_NE(write_msr(msr::smi_count, 0, f.state, early), Status::Ok);
    // Once a #GP handler exists: #GP.
    EXPECT_FALSE(read_msr(msr::smi_count, f.state, f.context()).ok());
}

TEST(MsrPolicyUserMode, AlwaysGp) {
    Fixture f;
    const MsrContext user = f.context(0, /*kernel=*/false, /*gp_handler=*/false);
    EXPECT_EQ(read_msr(msr::apic_base, f.state, user).status(), Status::Permission);
    EXPECT_EQ(read_msr(msr::smi_count, f.state, user).status(), Status::Permission);  // no faking
    EXPECT_EQ(write_msr(msr::fs_base, 0x1000, f.state, user), Status::Permission);
    EXPECT_EQ(f.state.fs_base, 0u);
}

TEST(MsrPolicyVendor, AmdAndOther) {
    Fixture f;
    f.policy.vendor = CpuVendor::Amd;
    f.policy.arch_capabilities_visible = false;
    EXPECT_TRUE(read_faults(f, msr::feature_control));
    EXPECT_TRUE(read_faults(f, msr::arch_capabilities));
    EXPECT_TRUE(read_faults(f, msr::platform_id));
    EXPECT_TRUE(read_faults(f, msr::perf_ctl));
    EXPECT_TRUE(read_faults(f, msr::therm_status));
    EXPECT_EQ(read_ok(f, msr::amd_de_cfg), 2u);
    EXPECT_EQ(read_ok(f, msr::amd_hwcr), 0u);
    EXPECT_EQ(read_ok(f, msr::ucode_rev), 0x100000000u);
    EXPECT_EQ(write_msr(msr::amd_de_cfg, 0, f.state, f.context()), Status::Ok);
    EXPECT_NE(write_msr(msr::ucode_rev, 0, f.state, f.context()), Status::Ok);  // Intel protocol only
    EXPECT_NE(write_msr(msr::perf_ctl, 0, f.state, f.context()), Status::Ok);
    EXPECT_EQ(write_msr(msr::mperf, 0, f.state, f.context()), Status::Ok);

    f.policy.vendor = CpuVendor::Other;
    EXPECT_EQ(read_ok(f, msr::feature_control), 1u);
    EXPECT_TRUE(read_faults(f, msr::ucode_rev));
    EXPECT_TRUE(read_faults(f, msr::amd_de_cfg));
    EXPECT_NE(write_msr(msr::mperf, 0, f.state, f.context()), Status::Ok);
}

class FakeCpu final : public HostCpuid {
public:
    explicit FakeCpu(bool intel) : intel_(intel) {}
    CpuidLeaf query(uint32_t leaf, uint32_t) const override {
        switch (leaf) {
        case 0:
            return intel_ ? CpuidLeaf{0xd, 0x756e6547, 0x6c65746e, 0x49656e69}
                          : CpuidLeaf{0xd, 0x68747541, 0x444d4163, 0x69746e65};
        case 0x80000000:
            return {0x80000008, 0, 0, 0};
        case 0x80000001:
            return {0, 0, 0, 1u << 27};  // RDTSCP
        default:
            return {};
        }
    }

private:
    bool intel_;
};

TEST(MsrPolicyForDomain, ArchCapabilitiesFiltering) {
    const CpuidPolicy intel = CpuidPolicy::build(FakeCpu(true), {});
    MsrPolicy p = MsrPolicy::for_domain(intel, 0);
    EXPECT_EQ(p.vendor, CpuVendor::Intel);
    EXPECT_TRUE(p.arch_capabilities_visible);
    EXPECT_EQ(p.arch_capabilities, 0u);
    EXPECT_TRUE(p.tsc_aux_visible);
    // RDCL_NO | EIBRS | SKIP_L1DFL | MDS_NO | TSX_CTRL | RRSBA | GDS_CTRL | GDS_NO
    p = MsrPolicy::for_domain(intel, (1u << 0) | (1u << 1) | (1u << 3) | (1u << 5) | (1u << 7) | (1u << 19) |
                                         (1u << 25) | (1u << 26));
    EXPECT_EQ(p.arch_capabilities, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 26));
    const CpuidPolicy amd = CpuidPolicy::build(FakeCpu(false), {});
    p = MsrPolicy::for_domain(amd, ~uint64_t{0});
    EXPECT_FALSE(p.arch_capabilities_visible);
    EXPECT_EQ(p.arch_capabilities, 0u);
}

}  // namespace
}  // namespace hv::pv
