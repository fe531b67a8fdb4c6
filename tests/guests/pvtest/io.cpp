// Port I/O from the guest kernel (spec §6.5): every in/out traps and is emulated after
// the virtual-IOPL check; the RTC is emulated, PCI configuration goes through the
// hypervisor, and the hypervisor's own UART reads as all ones.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

constinit uint32_t g_port_value = 0;

int64_t set_iopl(uint32_t iopl) {
    xen::PhysdevSetIopl request{iopl};
    return physdev_op(xen::PhysdevOp::set_iopl, &request);
}

// inb 0x71 after selecting CMOS status register D (bit 7: valid RAM and time).
bool read_rtc_status_d(TrapRecord* trap) {
    return !catch_trap(
        [] {
            uint8_t value;
            asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %1; 1: outb %%al, $0x70; inb $0x71, %%al"
                         : "=a"(value), "=m"(g_site)
                         : "a"(uint8_t{0x0d})
                         : "r11");
            g_port_value = value;
        },
        trap);
}

}  // namespace

GUEST_TEST(port_io_iopl0_is_general_protection) {
    ASSERT_EQ(set_iopl(0), 0);
    TrapRecord trap{};
    EXPECT_FALSE(read_rtc_status_d(&trap));
    EXPECT_EQ(trap.vector, vector_gp);
    EXPECT_EQ(trap.error_code, 0u);
    EXPECT_EQ(trap.rip, g_site);
}

GUEST_TEST(port_io_rtc_is_emulated) {
    ASSERT_EQ(set_iopl(1), 0);
    TrapRecord trap{};
    EXPECT_TRUE(read_rtc_status_d(&trap));
    EXPECT_EQ(g_port_value & 0x80, 0x80u);
    EXPECT_EQ(set_iopl(0), 0);
}

GUEST_TEST(port_io_pci_config_host_bridge) {
    // CONFIG_ADDRESS is a per-domain latch; CONFIG_DATA reads bus 0 device 0 (QEMU q35:
    // Intel 82G33/ICH9 host bridge 8086:29c0).
    ASSERT_EQ(set_iopl(1), 0);
    TrapRecord trap{};
    EXPECT_FALSE(catch_trap(
        [] {
            uint32_t id;
            asm volatile("mov $0xcf8, %%dx; outl %%eax, %%dx; mov $0xcfc, %%dx; inl %%dx, %%eax"
                         : "=a"(id)
                         : "a"(0x80000000u)
                         : "rdx");
            g_port_value = id;
        },
        &trap));
    EXPECT_EQ(g_port_value, 0x29c08086u);
    EXPECT_EQ(set_iopl(0), 0);
}

GUEST_TEST(port_io_hypervisor_uart_reads_all_ones) {
    // COM1 belongs to the hypervisor's console: dom0 reads 0xff and its writes vanish.
    ASSERT_EQ(set_iopl(1), 0);
    TrapRecord trap{};
    EXPECT_FALSE(catch_trap(
        [] {
            uint8_t value;
            asm volatile("mov $0x3fb, %%dx; inb %%dx, %%al" : "=a"(value) : : "rdx");
            g_port_value = value;
        },
        &trap));
    EXPECT_EQ(g_port_value, 0xffu);
    EXPECT_EQ(set_iopl(0), 0);
}
