// Ending the machine: ACPI S5 power-off and reset, used when dom0 powers off or reboots.
#pragma once

namespace hv {

// Reads the FADT and the DSDT's \_S5 package (ACPI 6.4, 7.4.2) once at boot.
void power_init();
[[noreturn]] void machine_power_off();
[[noreturn]] void machine_restart();

}  // namespace hv
