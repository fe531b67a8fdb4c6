// Debug registers through set_debugreg/get_debugreg (spec §4.6) and a data breakpoint
// that fires as a #DB bounced to the guest with the virtual DR6.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

alignas(8) constinit volatile uint64_t g_watched = 0;

int64_t set_debugreg(int reg, uint64_t value) {
    return hypercall2(Hypercall::set_debugreg, reg, value);
}

int64_t get_debugreg(int reg) {
    return hypercall1(Hypercall::get_debugreg, reg);
}

// DR7: local enable of breakpoint 0, break on data writes, 8 bytes.
constexpr uint64_t dr7_write_watch0 = (1u << 0) | (1u << 16) | (2u << 18);

}  // namespace

GUEST_TEST(debugreg_set_and_get) {
    const uint64_t address = reinterpret_cast<uint64_t>(&g_watched);
    EXPECT_EQ(set_debugreg(0, address), 0);
    EXPECT_EQ(static_cast<uint64_t>(get_debugreg(0)), address);
    EXPECT_EQ(set_debugreg(0, 0), 0);
    EXPECT_EQ(get_debugreg(0), 0);
}

GUEST_TEST(debugreg_refuses_hypervisor_address) {
    EXPECT_ERRNO(set_debugreg(1, xen::hypervisor_virt_start + 0x1000), eperm);
    EXPECT_ERRNO(set_debugreg(1, 0x8000000000000000ull), eperm);
    // Registers 4, 5 and 8-15 do not exist for the guest.
    EXPECT_ERRNO(set_debugreg(8, 0), enodev);
    EXPECT_ERRNO(get_debugreg(8), enodev);
}

GUEST_TEST(debugreg_write_watchpoint_raises_debug_trap) {
    ASSERT_EQ(set_debugreg(6, 0), 0);
    ASSERT_EQ(set_debugreg(0, reinterpret_cast<uint64_t>(&g_watched)), 0);
    ASSERT_EQ(set_debugreg(7, dr7_write_watch0), 0);
    TrapRecord trap{};
    const bool trapped = catch_trap(
        [] {
            asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; movq $5, %1; 1:"
                         : "=m"(g_site_after), "=m"(g_watched)
                         :
                         : "r11");
        },
        &trap);
    const int64_t dr6 = get_debugreg(6);
    EXPECT_EQ(set_debugreg(7, 0), 0);
    EXPECT_EQ(set_debugreg(0, 0), 0);
    EXPECT_EQ(set_debugreg(6, 0), 0);
    ASSERT_TRUE(trapped);
    EXPECT_EQ(trap.vector, vector_db);
    EXPECT_EQ(trap.rip, g_site_after);  // data breakpoints are traps
    EXPECT_EQ(g_watched, 5u);
    EXPECT_EQ(dr6 & 1, 1);  // B0
    GUEST_NOTE("dr6=%#llx", static_cast<unsigned long long>(dr6));
}
