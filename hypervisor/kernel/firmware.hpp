// Reading firmware (ACPI) tables. They live in firmware-reserved memory outside the
// direct map, so they are mapped cached into the ioremap area on demand (boot only: the
// mappings are never torn down).
#pragma once

#include <cstdint>
#include <span>

#include "acpi/tables.hpp"

namespace hv {

acpi::PhysicalMemory& firmware_memory();

// The whole ACPI table at `phys` (length from its header), or an empty span if it
// cannot be mapped or its header is shorter than the standard 36 bytes.
std::span<const uint8_t> map_acpi_table(uint64_t phys);

// The RSDP-rooted table with `signature`, mapped whole (empty if absent or unusable).
std::span<const uint8_t> find_acpi_table(const char (&signature)[5]);

}  // namespace hv
