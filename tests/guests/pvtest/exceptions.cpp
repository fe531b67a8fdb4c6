// Exceptions bounced through the trap table (spec §4.1, §6.6): the vector, error code,
// RIP and CS the bounce frame carries, CR2 in vcpu_info, software interrupts checked
// against the trap-table DPL, and set_trap_table's own checks. Every handler returns
// with HYPERVISOR_iret (runtime/trap_stubs.S).
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

constexpr uint64_t rflags_if = 1u << 9;
constexpr uint64_t kernel_cs_rpl0 = xen::flat_kernel_cs & ~3u;

// Inside L4 slot 511 but under an L3 entry the initial tables leave empty.
constexpr uint64_t unmapped_kernel_va = 0xffffffffc0123008ull;

uint64_t selector(uint64_t cs_slot) {
    return cs_slot & 0xffff;
}

uint64_t saved_upcall_mask(uint64_t cs_slot) {
    return (cs_slot >> 32) & 0xff;
}

}  // namespace

GUEST_TEST(trap_ud2_bounces_to_invalid_opcode_handler) {
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap([] { asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; 1: ud2" : "=m"(g_site) : : "r11"); },
                           &trap));
    EXPECT_EQ(trap.vector, vector_ud);
    EXPECT_EQ(trap.rip, g_site);
    EXPECT_EQ(trap.error_code, 0u);
    // A kernel-mode bounce frame shows CS with RPL 0 and the saved upcall mask above it;
    // events were masked, so the frame's IF is clear.
    EXPECT_EQ(selector(trap.cs), kernel_cs_rpl0);
    EXPECT_EQ(saved_upcall_mask(trap.cs), 1u);
    EXPECT_EQ(trap.rflags & rflags_if, 0u);
    EXPECT_EQ(trap.ss & 0xffff, xen::flat_kernel_ss);
    GUEST_NOTE("cs=%#llx rflags=%#llx", static_cast<unsigned long long>(trap.cs),
               static_cast<unsigned long long>(trap.rflags));
}

GUEST_TEST(trap_ud2_preserves_rcx_r11_and_stack) {
    // The handler sees the interrupted rcx/r11 (popped from the frame) and RSP.
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap(
        [] {
            asm volatile(
                "mov %%rsp, %0; mov $0x1234567890, %%rcx; mov $0x0badf00d, %%r11; ud2"
                : "=m"(g_site_after)
                :
                : "rcx", "r11");
        },
        &trap));
    EXPECT_EQ(trap.rcx, 0x1234567890ull);
    EXPECT_EQ(trap.r11, 0x0badf00dull);
    EXPECT_EQ(trap.rsp, g_site_after);
}

GUEST_TEST(trap_int3_bounces_to_breakpoint_handler) {
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap(
        [] { asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; int3; 1:" : "=m"(g_site_after) : : "r11"); }, &trap));
    EXPECT_EQ(trap.vector, vector_bp);
    EXPECT_EQ(trap.rip, g_site_after);  // a trap: RIP after the instruction
    EXPECT_EQ(selector(trap.cs), kernel_cs_rpl0);
}

GUEST_TEST(trap_page_fault_unmapped_read) {
    PteLocation l3{};
    ASSERT_TRUE(find_entry(unmapped_kernel_va, 3, &l3));
    ASSERT_EQ(l3.value & pte_present, 0u);
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap(
        [] {
            uint64_t value;
            asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %1; 1: mov (%2), %0"
                         : "=r"(value), "=m"(g_site)
                         : "r"(unmapped_kernel_va)
                         : "r11", "memory");
        },
        &trap));
    EXPECT_EQ(trap.vector, vector_pf);
    EXPECT_EQ(trap.rip, g_site);
    EXPECT_EQ(trap.cr2, unmapped_kernel_va);
    // Not present, read, guest kernel mode: the U bit reflects the guest's mode, not CPL 3.
    EXPECT_EQ(trap.error_code, 0u);
    uint64_t cr2 = 0;
    EXPECT_TRUE(try_read_cr(2, &cr2));
    EXPECT_EQ(cr2, unmapped_kernel_va);
}

GUEST_TEST(trap_page_fault_write_to_readonly_page) {
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    ASSERT_EQ(remap_page(page, pte_kernel_ro), 0);
    g_site_after = page + 0x18;
    TrapRecord trap{};
    const bool trapped = catch_trap(
        [] {
            asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; 1: movq $7, (%1)"
                         : "=m"(g_site)
                         : "r"(g_site_after)
                         : "r11", "memory");
        },
        &trap);
    EXPECT_TRUE(trapped);
    EXPECT_EQ(trap.vector, vector_pf);
    EXPECT_EQ(trap.error_code, pfec_present | pfec_write);
    EXPECT_EQ(trap.cr2, page + 0x18);
    EXPECT_EQ(trap.rip, g_site);
    ASSERT_EQ(remap_page(page, pte_kernel_rw), 0);
    *reinterpret_cast<volatile uint64_t*>(page + 0x18) = 9;
    EXPECT_EQ(*reinterpret_cast<volatile uint64_t*>(page + 0x18), 9u);
    *reinterpret_cast<volatile uint64_t*>(page + 0x18) = 0;
    pool_free(page);
}

GUEST_TEST(trap_int_n_dpl0_from_kernel_is_general_protection) {
    // A gate the guest gave DPL 0 refuses `int $0x81` even from the guest kernel (which
    // counts as ring 1): #GP at the int instruction. The error code should be
    // (0x81 << 3) | 2, but QEMU 7.2's TCG reports (vector << 4) | 2 in long mode and Xen
    // passes on what the CPU said, so it is only recorded.
    ASSERT_EQ(install_soft_int(vector_int81, 0), 0);
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap(
        [] { asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; 1: int $0x81" : "=m"(g_site) : : "r11"); }, &trap));
    EXPECT_EQ(trap.vector, vector_gp);
    EXPECT_EQ(trap.rip, g_site);
    EXPECT_EQ(trap.error_code & 3, 2u);  // IDT, not external
    GUEST_NOTE("error=%#llx", static_cast<unsigned long long>(trap.error_code));
}

GUEST_TEST(trap_int80_direct_trap_ignores_dpl) {
    // Xen routes `int $0x80` straight to a registered 0x80 handler whatever its DPL
    // (its "int80 direct trap"); DPL 0 from the kernel is delivered, not #GP.
    ASSERT_EQ(install_soft_int(vector_int80, 0), 0);
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap(
        [] { asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; int $0x80; 1:" : "=m"(g_site_after) : : "r11"); },
        &trap));
    EXPECT_EQ(trap.vector, vector_int80);
    EXPECT_EQ(trap.rip, g_site_after);
}

GUEST_TEST(trap_int80_dpl3_is_delivered) {
    ASSERT_EQ(install_soft_int(vector_int80, 3), 0);
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap(
        [] { asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; int $0x80; 1:" : "=m"(g_site_after) : : "r11"); },
        &trap));
    EXPECT_EQ(trap.vector, vector_int80);
    EXPECT_EQ(trap.rip, g_site_after);
    EXPECT_EQ(trap.error_code, 0u);
}

GUEST_TEST(set_trap_table_null_clears_every_vector) {
    ASSERT_EQ(install_soft_int(vector_int80, 3), 0);
    ASSERT_EQ(set_trap_table(nullptr), 0);
    // Nothing is installed now; put 0-31 back and show that 0x80 stayed cleared (with
    // no handler `int $0x80` is refused with #GP).
    ASSERT_EQ(install_trap_table(), 0);
    TrapRecord trap{};
    ASSERT_TRUE(catch_trap([] { asm volatile("int $0x80"); }, &trap));
    EXPECT_EQ(trap.vector, vector_gp);
    EXPECT_EQ(trap.error_code, (0x80u << 3) | 2u);
}

GUEST_TEST(set_trap_table_non_canonical_address) {
    static xen::TrapInfo table[2] = {{0x81, 0, xen::flat_kernel_cs, 0, 0x8000000000001000ull}, {}};
    EXPECT_ERRNO(set_trap_table(table), einval);
    EXPECT_EQ(install_trap_table(), 0);
}

GUEST_TEST(set_trap_table_unreadable_table) {
    const auto* hypervisor_range = reinterpret_cast<const xen::TrapInfo*>(0xffff830000000000ull);
    EXPECT_ERRNO(set_trap_table(hypervisor_range), efault);
    EXPECT_EQ(install_trap_table(), 0);
}

GUEST_TEST(trap_handler_can_resume_after_fault) {
    // Several bounces in a row: the iret path must leave the vCPU as it found it.
    int traps = 0;
    for (int i = 0; i < 16; ++i) {
        TrapRecord trap{};
        if (catch_trap([] { asm volatile("ud2"); }, &trap) && trap.vector == vector_ud)
            ++traps;
    }
    EXPECT_EQ(traps, 16);
}
