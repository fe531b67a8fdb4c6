// Finding and decoding the ACPI tables the hypervisor needs at boot: the MADT (CPUs and
// interrupt controllers) and the FADT (PM ports, reset register). Firmware tables are
// untrusted input; they are decoded once, here, into plain structs.
//
// Physical memory is reached only through PhysicalMemory::map, so the walk is host-testable
// and never touches an address the platform did not agree to map.
//
// Invariants:
//   - no byte is read outside a span or mapping of the length that was checked/requested;
//     multi-byte fields are read byte by byte (firmware tables are not aligned);
//   - a table's length is read once from its header and that value bounds every later
//     read, so a table that changes under us cannot widen the walk;
//   - MadtInfo arrays hold [0, *_count) in table order; overflowing one is Status::Range,
//     never a silent truncation;
//   - parse_madt/parse_fadt check signature and length but not the checksum: find_table,
//     which hands out their addresses, already did.
//
// Layouts: ACPI 6.5, sections 5.2.5 (RSDP), 5.2.6 (header), 5.2.7/5.2.8 (RSDT/XSDT),
// 5.2.9 (FADT), 5.2.12 (MADT).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/status.hpp"

namespace hv::acpi {

class PhysicalMemory {
public:
    // A readable view of [phys, phys + len), or nullptr if any of it is not readable.
    virtual const uint8_t* map(uint64_t phys, size_t len) = 0;

protected:
    ~PhysicalMemory() = default;
};

struct LocalApic {
    uint32_t apic_id;
    uint32_t acpi_uid;
    bool enabled;
    bool online_capable;  // disabled now but may be brought online later (ACPI 6.3+)
};

struct IoApic {
    uint32_t id;
    uint64_t address;
    uint32_t gsi_base;
};

// flags: MPS INTI polarity in bits 1:0, trigger mode in bits 3:2.
struct InterruptOverride {
    uint8_t bus;
    uint8_t source_irq;
    uint32_t gsi;
    uint16_t flags;
};

// MPS INTI flag values (ACPI 6.5 table 5.50).
inline constexpr uint16_t kPolarityMask = 0x3, kPolarityConforms = 0x0, kPolarityActiveHigh = 0x1,
                          kPolarityActiveLow = 0x3;
inline constexpr uint16_t kTriggerMask = 0xc, kTriggerConforms = 0x0, kTriggerEdge = 0x4, kTriggerLevel = 0xc;

inline constexpr size_t kMaxCpus = 256, kMaxIoApics = 16, kMaxOverrides = 32;
inline constexpr size_t kHeaderLength = 36;

struct MadtInfo {
    uint64_t lapic_address = 0;
    bool pcat_compat = false;  // dual 8259s present: mask them before using the IOAPIC
    // From type 0 (xAPIC) and type 9 (x2APIC) entries; disabled CPUs are kept with
    // enabled = false. A repeated APIC ID keeps its first entry only.
    std::array<LocalApic, kMaxCpus> cpus{};
    size_t cpu_count = 0;
    std::array<IoApic, kMaxIoApics> ioapics{};
    size_t ioapic_count = 0;
    std::array<InterruptOverride, kMaxOverrides> overrides{};
    size_t override_count = 0;
};

// Validates the RSDP bytes (signature "RSD PTR ", checksum over the first 20 bytes and,
// for revision >= 2, the extended checksum over `length`), walks the XSDT (revision >= 2
// and a non-zero XSDT address) or else the RSDT, and returns the physical address of the
// first table with `signature` whose checksum is good.
// A revision >= 2 RSDP given as only 20 bytes (multiboot2's "old RSDP" tag copies just
// that much) is used as a version 1 RSDP.
// Errors: InvalidArgument for a bad RSDP or root table, or when the only tables with the
// signature have bad checksums or lengths; Fault when the root table cannot be mapped;
// NotFound when no table has the signature.
[[nodiscard]] Result<uint64_t> find_table(PhysicalMemory& mem, std::span<const uint8_t> rsdp,
                                          const char (&signature)[5]);

// Parses a whole MADT (header included, table.size() == header length). Entry length < 2
// or running past the end, or a known entry shorter than its layout -> InvalidArgument;
// more CPUs, IOAPICs or overrides than the arrays hold -> Range. Unknown entry types are
// skipped. Entry type 5 overrides lapic_address.
[[nodiscard]] Result<MadtInfo> parse_madt(std::span<const uint8_t> table);

struct Fadt {
    uint32_t pm1a_control_port;
    uint32_t pm1b_control_port;
    uint32_t pm_timer_port;
    uint32_t smi_command_port;
    uint8_t acpi_enable;
    uint64_t dsdt;
    uint8_t reset_space;  // Generic Address Structure space: 0 memory, 1 I/O, 2 PCI config
    uint64_t reset_address;
    uint8_t reset_value;
    bool reset_supported;
};

// Accepts the ACPI 1.0 layout (116 bytes) and every longer one; fields past the table's
// length read as absent. X_DSDT replaces DSDT when present and non-zero; an X_ port block
// replaces the 32-bit one when present, non-zero and in system I/O space (a port is what
// the caller gets). reset_supported needs both the RESET_REG_SUP flag and a reset register.
[[nodiscard]] Result<Fadt> parse_fadt(std::span<const uint8_t> table);

// MCFG (PCI Firmware 3.2, 4.1.2): enhanced configuration (ECAM) windows.
struct EcamWindow {
    uint64_t base;  // physical address of bus 0 of the window's segment
    uint16_t segment;
    uint8_t start_bus;
    uint8_t end_bus;
};
inline constexpr size_t kMaxEcamWindows = 8;
struct Mcfg {
    std::array<EcamWindow, kMaxEcamWindows> windows{};
    size_t count = 0;
};
// Header, 8 reserved bytes, then 16-byte entries. A trailing partial entry or an entry
// with end_bus < start_bus -> InvalidArgument; more windows than the array -> Range.
[[nodiscard]] Result<Mcfg> parse_mcfg(std::span<const uint8_t> table);

// True when the bytes sum to zero modulo 256.
bool checksum_ok(std::span<const uint8_t> bytes);

}  // namespace hv::acpi
