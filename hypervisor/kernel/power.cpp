#include "kernel/power.hpp"

#include "acpi/tables.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/paging.hpp"
#include "domain/domain.hpp"
#include "domain/scheduler.hpp"
#include "kernel/boot_info.hpp"
#include "kernel/firmware.hpp"
#include "kernel/log.hpp"
#include "kernel/options.hpp"
#include "kernel/panic.hpp"
#include "kernel/time.hpp"

namespace hv {
namespace {

uint32_t pm1a_control = 0, pm1b_control = 0;
uint16_t slp_typa = 0, slp_typb = 0;
bool s5_known = false;
acpi::Fadt fadt{};
bool have_fadt = false;

// AML integer at `p` (ZeroOp, OneOp, BytePrefix n, WordPrefix n); -1 if something else.
int aml_small_integer(const uint8_t*& p, const uint8_t* end) {
    if (p >= end)
        return -1;
    switch (*p++) {
    case 0x00: return 0;
    case 0x01: return 1;
    case 0x0a: return p < end ? *p++ : -1;
    case 0x0b: {
        if (p + 2 > end)
            return -1;
        const int v = p[0] | (p[1] << 8);
        p += 2;
        return v;
    }
    }
    return -1;
}

// Finds Name(_S5_, Package(){a, b, ...}) in the DSDT and takes SLP_TYPa/b from it.
bool find_s5(const uint8_t* aml, size_t size) {
    for (size_t i = 0; i + 8 < size; ++i) {
        if (aml[i] != '_' || aml[i + 1] != 'S' || aml[i + 2] != '5' || aml[i + 3] != '_')
            continue;
        const uint8_t* p = aml + i + 4;
        const uint8_t* end = aml + size;
        if (*p++ != 0x12)  // PackageOp
            continue;
        const unsigned length_bytes = (*p >> 6) & 3;
        p += 1 + length_bytes;  // PkgLength
        ++p;                    // NumElements
        const int a = aml_small_integer(p, end);
        const int b = aml_small_integer(p, end);
        if (a < 0 || b < 0)
            continue;
        slp_typa = static_cast<uint16_t>(a);
        slp_typb = static_cast<uint16_t>(b);
        return true;
    }
    return false;
}

}  // namespace

void power_init() {
    const std::span<const uint8_t> table = find_acpi_table("FACP");
    auto parsed = table.empty() ? Result<acpi::Fadt>(Status::NotFound) : acpi::parse_fadt(table);
    if (!parsed.ok())
        return;
    fadt = *parsed;
    have_fadt = true;
    pm1a_control = fadt.pm1a_control_port;
    pm1b_control = fadt.pm1b_control_port;
    const std::span<const uint8_t> dsdt = map_acpi_table(fadt.dsdt);
    s5_known = dsdt.size() > 36 && find_s5(dsdt.data() + 36, dsdt.size() - 36);
    LOG_INFO("acpi: PM1a control port %#x, S5 %s (SLP_TYP %u/%u)", pm1a_control, s5_known ? "found" : "not found",
             slp_typa, slp_typb);
}

void machine_power_off() {
    LOG_INFO("power: entering ACPI S5");
    arch::irq_disable();
    if (s5_known && pm1a_control != 0) {
        constexpr uint16_t kSlpEn = 1u << 13;
        arch::outw(static_cast<uint16_t>(pm1a_control), static_cast<uint16_t>((slp_typa << 10) | kSlpEn));
        if (pm1b_control != 0)
            arch::outw(static_cast<uint16_t>(pm1b_control), static_cast<uint16_t>((slp_typb << 10) | kSlpEn));
    }
    delay_us(500000);  // the chipset may take a moment to act
    LOG_WARN("power: ACPI power-off did not take effect; halting");
    halt_forever();
}

void machine_restart() {
    LOG_INFO("power: restarting");
    arch::irq_disable();
    if (have_fadt && fadt.reset_supported && fadt.reset_space == 1)  // system I/O space
        arch::outb(static_cast<uint16_t>(fadt.reset_address), fadt.reset_value);
    arch::outb(0xcf9, 0x06);  // PCI reset control: hard reset
    for (int i = 0; i < 100000 && (arch::inb(0x64) & 0x02); ++i)
        __builtin_ia32_pause();
    arch::outb(0x64, 0xfe);   // keyboard controller pulse of the reset line
    halt_forever();
}

void domain_shutdown_hook(Domain& d, ShutdownReason reason) {
    if (!d.privileged())
        return;
    // The hardware domain's end is the machine's end, as on Xen.
    switch (reason) {
    case ShutdownReason::Poweroff:
        machine_power_off();
    case ShutdownReason::Reboot:
        // As Xen's hwdom_shutdown: a reboot dom0 asks for always happens; `noreboot' only
        // keeps the machine halted after a crash or panic.
        LOG_INFO("power: dom0 asked for a reboot: restarting the machine");
        machine_restart();
    case ShutdownReason::Crash:
    case ShutdownReason::Watchdog:
        LOG_ERROR("hardware domain crashed: %s", boot_options().noreboot ? "halting (noreboot)" : "restarting");
        if (!boot_options().noreboot)
            machine_restart();
        halt_forever();
    case ShutdownReason::Suspend:
    case ShutdownReason::SoftReset:
        break;
    }
}

}  // namespace hv
