// Privileged instructions a PV kernel executes at CPL 3 and the hypervisor emulates
// (spec §6.1-§6.4, §6.10): forced-emulation CPUID, MSRs, control-register reads,
// cli/sti under the virtual IOPL, and the virtual CR0.TS of fpu_taskswitch.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

constexpr uint32_t xen_cpuid_base = 0x40000000;
// "XenVMMXenVMM" as EBX, ECX, EDX.
constexpr uint32_t xen_signature_ebx = 0x566e6558, xen_signature_ecx = 0x65584d4d, xen_signature_edx = 0x4d4d566e;
constexpr uint32_t cpuid1_ecx_hypervisor = 1u << 31;
constexpr uint64_t xen_pat = 0x0000050100070406ull;
constexpr uint64_t rflags_if = 1u << 9;

constinit uint64_t g_segment_probe = 0;

int64_t set_iopl(uint32_t iopl) {
    xen::PhysdevSetIopl request{iopl};
    return physdev_op(xen::PhysdevOp::set_iopl, &request);
}

int64_t fpu_taskswitch(int set) {
    return hypercall1(Hypercall::fpu_taskswitch, set);
}

uint64_t read_fs_word() {
    uint64_t value;
    asm volatile("mov %%fs:0, %0" : "=r"(value));
    return value;
}

uint64_t read_gs_word() {
    uint64_t value;
    asm volatile("mov %%gs:0, %0" : "=r"(value));
    return value;
}

}  // namespace

// --- CPUID ------------------------------------------------------------------------------

GUEST_TEST(cpuid_forced_leaf0_vendor) {
    Cpuid forced{};
    ASSERT_TRUE(forced_cpuid(0, 0, &forced));
    const Cpuid native = native_cpuid(0, 0);
    EXPECT_EQ(forced.ebx, native.ebx);
    EXPECT_EQ(forced.edx, native.edx);
    EXPECT_EQ(forced.ecx, native.ecx);
    EXPECT_GE(forced.eax, 1u);
    const uint32_t vendor[3] = {forced.ebx, forced.edx, forced.ecx};
    GUEST_NOTE("vendor=%.12s max_leaf=%#x", reinterpret_cast<const char*>(vendor), forced.eax);
}

GUEST_TEST(cpuid_forced_hypervisor_leaves) {
    Cpuid leaf{};
    ASSERT_TRUE(forced_cpuid(xen_cpuid_base, 0, &leaf));
    EXPECT_EQ(leaf.ebx, xen_signature_ebx);
    EXPECT_EQ(leaf.ecx, xen_signature_ecx);
    EXPECT_EQ(leaf.edx, xen_signature_edx);
    EXPECT_EQ(leaf.eax, xen_cpuid_base + 5);
    Cpuid version{};
    ASSERT_TRUE(forced_cpuid(xen_cpuid_base + 1, 0, &version));
    EXPECT_EQ(version.eax, static_cast<uint32_t>(xen_version(xen::VersionOp::version, nullptr)));
}

GUEST_TEST(cpuid_forced_leaf1_hypervisor_bit) {
    Cpuid leaf{};
    ASSERT_TRUE(forced_cpuid(1, 0, &leaf));
    EXPECT_NE(leaf.ecx & cpuid1_ecx_hypervisor, 0u);
    GUEST_NOTE("eax=%#x ecx=%#x edx=%#x", leaf.eax, leaf.ecx, leaf.edx);
}

GUEST_TEST(ud2_without_xen_signature_is_invalid_opcode) {
    // ud2 followed by anything but "xen" + cpuid is a real #UD for the guest.
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap(
        [] { asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; 1: ud2; .ascii \"xem\"; cpuid" : "=m"(g_site) : : "r11"); },
        &trap));
    EXPECT_EQ(trap.vector, vector_ud);
    EXPECT_EQ(trap.rip, g_site);
}

// --- MSRs -------------------------------------------------------------------------------

GUEST_TEST(msr_fs_base_through_emulation) {
    g_segment_probe = 0x5a5a1234;
    const uint64_t base = reinterpret_cast<uint64_t>(&g_segment_probe);
    ASSERT_TRUE(try_wrmsr(msr_fs_base, base));
    uint64_t value = 0;
    EXPECT_TRUE(try_rdmsr(msr_fs_base, &value));
    EXPECT_EQ(value, base);
    EXPECT_EQ(read_fs_word(), 0x5a5a1234u);
    // set_segment_base(SEGBASE_FS) and rdmsr agree.
    EXPECT_EQ(set_segment_base(xen::SegmentBase::fs, base + 8), 0);
    EXPECT_TRUE(try_rdmsr(msr_fs_base, &value));
    EXPECT_EQ(value, base + 8);
    EXPECT_EQ(set_segment_base(xen::SegmentBase::fs, 0), 0);
}

GUEST_TEST(msr_gs_base_through_emulation) {
    g_segment_probe = 0x6b6b5678;
    const uint64_t base = reinterpret_cast<uint64_t>(&g_segment_probe);
    ASSERT_TRUE(try_wrmsr(msr_gs_base, base));
    uint64_t value = 0;
    EXPECT_TRUE(try_rdmsr(msr_gs_base, &value));
    EXPECT_EQ(value, base);
    EXPECT_EQ(read_gs_word(), 0x6b6b5678u);
    EXPECT_EQ(set_segment_base(xen::SegmentBase::gs_kernel, base + 16), 0);
    EXPECT_TRUE(try_rdmsr(msr_gs_base, &value));
    EXPECT_EQ(value, base + 16);
    EXPECT_EQ(set_segment_base(xen::SegmentBase::gs_kernel, 0), 0);
}

GUEST_TEST(msr_kernel_gs_base_is_user_gs_base) {
    // In guest kernel mode KERNEL_GS_BASE holds the user GS base (what swapgs would load).
    ASSERT_TRUE(try_wrmsr(msr_kernel_gs_base, 0x7000));
    uint64_t value = 0;
    EXPECT_TRUE(try_rdmsr(msr_kernel_gs_base, &value));
    EXPECT_EQ(value, 0x7000u);
    EXPECT_EQ(set_segment_base(xen::SegmentBase::gs_user, 0x9000), 0);
    EXPECT_TRUE(try_rdmsr(msr_kernel_gs_base, &value));
    EXPECT_EQ(value, 0x9000u);
    EXPECT_TRUE(try_rdmsr(msr_gs_base, &value));
    EXPECT_EQ(value, 0u);  // the kernel GS base is untouched
    EXPECT_EQ(set_segment_base(xen::SegmentBase::gs_user, 0), 0);
}

GUEST_TEST(set_segment_base_non_canonical) {
    EXPECT_ERRNO(set_segment_base(xen::SegmentBase::fs, 0x8000000000000000ull), einval);
    EXPECT_ERRNO(set_segment_base(xen::SegmentBase::gs_kernel, 0x0000800000000000ull), einval);
    EXPECT_ERRNO(hypercall2(Hypercall::set_segment_base, 7, 0), einval);
}

GUEST_TEST(msr_unknown_read_is_general_protection) {
    uint64_t value = 0;
    TrapRecord trap{};
    EXPECT_FALSE(try_rdmsr(0x12345678, &value, &trap));
    EXPECT_EQ(trap.vector, vector_gp);
    EXPECT_EQ(trap.error_code, 0u);
    EXPECT_EQ(trap.rip, g_site);
}

GUEST_TEST(msr_pat_is_xen_fixed_value) {
    uint64_t value = 0;
    ASSERT_TRUE(try_rdmsr(msr_pat, &value));
    EXPECT_EQ(value, xen_pat);
}

GUEST_TEST(msr_apic_base) {
    uint64_t value = 0;
    ASSERT_TRUE(try_rdmsr(0x1b, &value));
    EXPECT_EQ(value, 0xfee00900u);  // enabled, BSP
}

GUEST_TEST(msr_efer_long_mode) {
    uint64_t value = 0;
    ASSERT_TRUE(try_rdmsr(0xc0000080, &value));
    EXPECT_EQ(value & 0x500, 0x500u);  // LME | LMA
    EXPECT_TRUE(try_wrmsr(0xc0000080, value));  // writing the same value is allowed
    GUEST_NOTE("efer=%#llx", static_cast<unsigned long long>(value));
}

GUEST_TEST(msr_unknown_write) {
    TrapRecord trap{};
    EXPECT_FALSE(try_wrmsr(0x12345678, 1, &trap));
    EXPECT_EQ(trap.vector, vector_gp);
    EXPECT_EQ(trap.rip, g_site);
}

// --- control registers -------------------------------------------------------------------

GUEST_TEST(cr0_read_is_emulated) {
    uint64_t cr0 = 0;
    ASSERT_TRUE(try_read_cr(0, &cr0));
    EXPECT_NE(cr0 & cr0_pe, 0u);
    EXPECT_NE(cr0 & cr0_pg, 0u);
    EXPECT_EQ(cr0 & cr0_ts, 0u);
    GUEST_NOTE("cr0=%#llx", static_cast<unsigned long long>(cr0));
}

GUEST_TEST(cr3_read_is_kernel_l4) {
    uint64_t cr3 = 0;
    ASSERT_TRUE(try_read_cr(3, &cr3));
    EXPECT_EQ(cr3, va_to_mfn(start_info()->pt_base) << 12);
}

GUEST_TEST(cr4_read_is_emulated) {
    uint64_t cr4 = 0;
    ASSERT_TRUE(try_read_cr(4, &cr4));
    EXPECT_NE(cr4 & (1u << 5), 0u);  // PAE
    GUEST_NOTE("cr4=%#llx", static_cast<unsigned long long>(cr4));
}

GUEST_TEST(cr4_write_of_same_value) {
    uint64_t cr4 = 0;
    ASSERT_TRUE(try_read_cr(4, &cr4));
    g_segment_probe = cr4;
    TrapRecord trap{};
    EXPECT_FALSE(catch_trap([] { asm volatile("mov %0, %%cr4" : : "r"(g_segment_probe)); }, &trap));
}

GUEST_TEST(clts_clears_virtual_ts) {
    ASSERT_EQ(fpu_taskswitch(1), 0);
    TrapRecord trap{};
    EXPECT_FALSE(catch_trap([] { asm volatile("clts"); }, &trap));
    uint64_t cr0 = ~0ull;
    EXPECT_TRUE(try_read_cr(0, &cr0));
    EXPECT_EQ(cr0 & cr0_ts, 0u);
    EXPECT_EQ(fpu_taskswitch(0), 0);
}

GUEST_TEST(wbinvd_is_emulated_for_dom0) {
    TrapRecord trap{};
    EXPECT_FALSE(catch_trap([] { asm volatile("wbinvd"); }, &trap));
}

GUEST_TEST(xsetbv_is_emulated) {
    // Linux turns on CR4.OSXSAVE (an emulated CR4 write) and then sets XCR0 with xsetbv,
    // which traps at CPL 3 and is emulated against the policy.
    uint32_t lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    EXPECT_EQ(lo & 3, 3u);  // x87 | SSE
    uint64_t cr4 = 0;
    ASSERT_TRUE(try_read_cr(4, &cr4));
    const uint64_t osxsave = 1u << 18;
    g_segment_probe = cr4 | osxsave;
    TrapRecord trap{};
    ASSERT_FALSE(catch_trap([] { asm volatile("mov %0, %%cr4" : : "r"(g_segment_probe)); }, &trap));
    uint64_t cr4_now = 0;
    EXPECT_TRUE(try_read_cr(4, &cr4_now));
    EXPECT_NE(cr4_now & osxsave, 0u);
    g_segment_probe = lo;
    EXPECT_FALSE(catch_trap(
        [] { asm volatile("xsetbv" : : "a"(static_cast<uint32_t>(g_segment_probe)), "d"(0), "c"(0)); }, &trap));
    // XCR0 without x87 is invalid: #GP for the guest.
    EXPECT_TRUE(catch_trap([] { asm volatile("xsetbv" : : "a"(2), "d"(0), "c"(0)); }, &trap));
    EXPECT_EQ(trap.vector, vector_gp);
    g_segment_probe = cr4;
    EXPECT_FALSE(catch_trap([] { asm volatile("mov %0, %%cr4" : : "r"(g_segment_probe)); }, &trap));
    GUEST_NOTE("xcr0=%#x cr4=%#llx", lo, static_cast<unsigned long long>(cr4_now));
}

GUEST_TEST(hlt_in_guest_kernel) {
    TrapRecord trap{};
    const bool trapped = catch_trap([] { asm volatile("hlt"); }, &trap);
    EXPECT_TRUE(trapped);
    EXPECT_EQ(trap.vector, vector_gp);
}

GUEST_TEST(trap_divide_error) {
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap(
        [] {
            asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; xor %%ecx, %%ecx; mov $1, %%eax; xor %%edx, %%edx; 1: div %%rcx"
                         : "=m"(g_site)
                         :
                         : "r11", "rax", "rcx", "rdx");
        },
        &trap));
    EXPECT_EQ(trap.vector, vector_de);
    EXPECT_EQ(trap.rip, g_site);
}

GUEST_TEST(trap_non_canonical_access_is_general_protection) {
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap(
        [] {
            uint64_t value;
            asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %1; 1: mov (%2), %0"
                         : "=r"(value), "=m"(g_site)
                         : "r"(0x8000000000001000ull)
                         : "r11", "memory");
        },
        &trap));
    EXPECT_EQ(trap.vector, vector_gp);
    EXPECT_EQ(trap.error_code, 0u);
    EXPECT_EQ(trap.rip, g_site);
}

// --- virtual IOPL: cli/sti ------------------------------------------------------------------

GUEST_TEST(iopl0_cli_is_general_protection) {
    ASSERT_EQ(set_iopl(0), 0);
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap([] { asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; 1: cli" : "=m"(g_site) : : "r11"); },
                           &trap));
    EXPECT_EQ(trap.vector, vector_gp);
    EXPECT_EQ(trap.error_code, 0u);
    EXPECT_EQ(trap.rip, g_site);
}

GUEST_TEST(iopl1_cli_sti_are_noops) {
    ASSERT_EQ(set_iopl(1), 0);
    const uint8_t mask_before = vcpu_info() != nullptr ? vcpu_info()->evtchn_upcall_mask : 0;
    TrapRecord trap{};
    EXPECT_FALSE(catch_trap([] { asm volatile("cli; sti; cli"); }, &trap));
    if (vcpu_info() != nullptr)
        EXPECT_EQ(vcpu_info()->evtchn_upcall_mask, mask_before);
    EXPECT_EQ(set_iopl(0), 0);
}

GUEST_TEST(physdev_set_iopl_range) {
    EXPECT_EQ(set_iopl(3), 0);
    EXPECT_ERRNO(set_iopl(4), einval);
    EXPECT_EQ(set_iopl(0), 0);
}

// --- FPU ----------------------------------------------------------------------------------

GUEST_TEST(fpu_taskswitch_raises_device_not_available) {
    ASSERT_EQ(fpu_taskswitch(1), 0);
    uint64_t cr0 = 0;
    EXPECT_TRUE(try_read_cr(0, &cr0));
    EXPECT_NE(cr0 & cr0_ts, 0u);
    TrapRecord trap{};
    EXPECT_TRUE(catch_trap(
        [] {
            asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; 1: xorps %%xmm0, %%xmm0" : "=m"(g_site) : : "r11");
        },
        &trap));
    EXPECT_EQ(trap.vector, vector_nm);
    EXPECT_EQ(trap.rip, g_site);
    // Delivering #NM clears the virtual TS, as a real CPU's handler would do with clts.
    EXPECT_TRUE(try_read_cr(0, &cr0));
    EXPECT_EQ(cr0 & cr0_ts, 0u);
    ASSERT_EQ(fpu_taskswitch(0), 0);
    EXPECT_FALSE(catch_trap([] { asm volatile("xorps %%xmm0, %%xmm0" : :); }, &trap));
}

GUEST_TEST(event_mask_survives_hypercalls) {
    // The upcall mask is the guest's virtual IF: hypercalls and bounces leave it alone.
    ASSERT_NE(vcpu_info(), nullptr);
    EXPECT_EQ(vcpu_info()->evtchn_upcall_mask, 1u);
    (void)xen_version(xen::VersionOp::version, nullptr);
    TrapRecord trap{};
    (void)catch_trap([] { asm volatile("ud2"); }, &trap);
    EXPECT_EQ(vcpu_info()->evtchn_upcall_mask, 1u);
    uint64_t rflags;
    asm volatile("pushf; pop %0" : "=r"(rflags));
    EXPECT_NE(rflags & rflags_if, 0u);  // hardware IF is always on for the guest
}
