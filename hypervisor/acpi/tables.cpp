#include "acpi/tables.hpp"

namespace hv::acpi {
namespace {

// RSDP (ACPI 6.5 section 5.2.5.3).
constexpr size_t kRsdpV1Length = 20;
constexpr size_t kRsdpV2Length = 36;
constexpr size_t kRsdpRevision = 15, kRsdpRsdt = 16, kRsdpLength = 20, kRsdpXsdt = 24;

// Common table header (5.2.6).
constexpr size_t kHeaderSignature = 0, kHeaderLengthField = 4;
// Upper bound on a table we are willing to map and checksum; real RSDT/XSDT/MADT/FADT/
// SSDT sizes are a few KiB, and this keeps a corrupt length from walking gigabytes.
constexpr uint32_t kMaxTableLength = 16u << 20;

// MADT (5.2.12).
constexpr size_t kMadtLapicAddress = 36, kMadtFlags = 40, kMadtEntries = 44;
constexpr uint32_t kMadtPcatCompat = 1u << 0;
enum class MadtEntry : uint8_t {
    LocalApic = 0,
    IoApic = 1,
    InterruptOverride = 2,
    LocalApicAddressOverride = 5,
    LocalX2Apic = 9,
};
constexpr uint32_t kLapicEnabled = 1u << 0, kLapicOnlineCapable = 1u << 1;

// FADT (5.2.9).
constexpr size_t kFadtV1Length = 116;
constexpr size_t kFadtDsdt = 40, kFadtSmiCommand = 48, kFadtAcpiEnable = 52, kFadtPm1aControl = 64,
                 kFadtPm1bControl = 68, kFadtPmTimer = 76, kFadtFlags = 112, kFadtResetRegister = 116,
                 kFadtResetValue = 128, kFadtXDsdt = 140, kFadtXPm1aControl = 172, kFadtXPm1bControl = 184,
                 kFadtXPmTimer = 208;
constexpr uint32_t kFadtResetRegisterSupported = 1u << 10;
// Generic Address Structure (5.2.3.2): space id, bit width, bit offset, access size, u64 address.
constexpr size_t kGasLength = 12, kGasAddress = 4;
constexpr uint8_t kGasSystemIo = 1;
constexpr uint64_t kMaxIoPort = 0xffff;

uint16_t load_u16(std::span<const uint8_t> b, size_t at) {
    return static_cast<uint16_t>(b[at] | (b[at + 1] << 8));
}
uint32_t load_u32(std::span<const uint8_t> b, size_t at) {
    return static_cast<uint32_t>(load_u16(b, at)) | (static_cast<uint32_t>(load_u16(b, at + 2)) << 16);
}
uint64_t load_u64(std::span<const uint8_t> b, size_t at) {
    return static_cast<uint64_t>(load_u32(b, at)) | (static_cast<uint64_t>(load_u32(b, at + 4)) << 32);
}

bool has_signature(std::span<const uint8_t> b, size_t at, const char* signature, size_t length) {
    for (size_t i = 0; i < length; ++i)
        if (b[at + i] != static_cast<uint8_t>(signature[i]))
            return false;
    return true;
}

bool table_signature_is(std::span<const uint8_t> header, const char (&signature)[5]) {
    return has_signature(header, kHeaderSignature, signature, 4);
}

// Maps a whole table after checking its header: the signature, a length that covers the
// header and stays within kMaxTableLength, and the checksum. The length is read once, from
// the header mapping, and is the size of `out`.
enum class TableCheck { Good, Unreadable, WrongSignature, Bad };

TableCheck map_table(PhysicalMemory& mem, uint64_t phys, const char (&signature)[5],
                     std::span<const uint8_t>& out) {
    const uint8_t* header = mem.map(phys, kHeaderLength);
    if (header == nullptr)
        return TableCheck::Unreadable;
    const std::span<const uint8_t> header_bytes(header, kHeaderLength);
    if (!table_signature_is(header_bytes, signature))
        return TableCheck::WrongSignature;
    const uint32_t length = load_u32(header_bytes, kHeaderLengthField);
    if (length < kHeaderLength || length > kMaxTableLength)
        return TableCheck::Bad;
    const uint8_t* table = mem.map(phys, length);
    if (table == nullptr)
        return TableCheck::Unreadable;
    out = std::span<const uint8_t>(table, length);
    return checksum_ok(out) ? TableCheck::Good : TableCheck::Bad;
}

// Checks that a whole-table span starts with `signature`, is at least `min_length` long
// and that its header length matches the span.
Status check_table(std::span<const uint8_t> table, const char (&signature)[5], size_t min_length) {
    if (table.size() < min_length || table.size() < kHeaderLength)
        return Status::InvalidArgument;
    if (!table_signature_is(table, signature))
        return Status::InvalidArgument;
    if (load_u32(table, kHeaderLengthField) != table.size())
        return Status::InvalidArgument;
    return Status::Ok;
}

Status add_cpu(MadtInfo& info, const LocalApic& cpu) {
    for (size_t i = 0; i < info.cpu_count; ++i)
        if (info.cpus[i].apic_id == cpu.apic_id)
            return Status::Ok;  // firmware listed the CPU twice (xAPIC and x2APIC): keep the first
    if (info.cpu_count == kMaxCpus)
        return Status::Range;
    info.cpus[info.cpu_count++] = cpu;
    return Status::Ok;
}

Status decode_madt_entry(MadtInfo& info, uint8_t type, std::span<const uint8_t> entry) {
    switch (static_cast<MadtEntry>(type)) {
    case MadtEntry::LocalApic: {
        if (entry.size() < 8)
            return Status::InvalidArgument;
        const uint32_t flags = load_u32(entry, 4);
        return add_cpu(info, LocalApic{entry[3], entry[2], (flags & kLapicEnabled) != 0,
                                       (flags & kLapicOnlineCapable) != 0});
    }
    case MadtEntry::LocalX2Apic: {
        if (entry.size() < 16)
            return Status::InvalidArgument;
        const uint32_t flags = load_u32(entry, 8);
        return add_cpu(info, LocalApic{load_u32(entry, 4), load_u32(entry, 12), (flags & kLapicEnabled) != 0,
                                       (flags & kLapicOnlineCapable) != 0});
    }
    case MadtEntry::IoApic:
        if (entry.size() < 12)
            return Status::InvalidArgument;
        if (info.ioapic_count == kMaxIoApics)
            return Status::Range;
        info.ioapics[info.ioapic_count++] = IoApic{entry[2], load_u32(entry, 4), load_u32(entry, 8)};
        return Status::Ok;
    case MadtEntry::InterruptOverride:
        if (entry.size() < 10)
            return Status::InvalidArgument;
        if (info.override_count == kMaxOverrides)
            return Status::Range;
        info.overrides[info.override_count++] =
            InterruptOverride{entry[2], entry[3], load_u32(entry, 4), load_u16(entry, 8)};
        return Status::Ok;
    case MadtEntry::LocalApicAddressOverride:
        if (entry.size() < 12)
            return Status::InvalidArgument;
        info.lapic_address = load_u64(entry, 4);
        return Status::Ok;
    }
    return Status::Ok;  // NMI sources, LAPIC NMI, GIC..., nothing we use
}

// The X_ port block at `at` if present, in system I/O space, non-zero and a valid port.
uint32_t x_port_or(std::span<const uint8_t> fadt, size_t at, uint32_t legacy) {
    if (fadt.size() < at + kGasLength || fadt[at] != kGasSystemIo)
        return legacy;
    const uint64_t address = load_u64(fadt, at + kGasAddress);
    return address != 0 && address <= kMaxIoPort ? static_cast<uint32_t>(address) : legacy;
}

}  // namespace

bool checksum_ok(std::span<const uint8_t> bytes) {
    uint8_t sum = 0;
    for (uint8_t b : bytes)
        sum = static_cast<uint8_t>(sum + b);
    return sum == 0;
}

Result<uint64_t> find_table(PhysicalMemory& mem, std::span<const uint8_t> rsdp, const char (&signature)[5]) {
    if (rsdp.size() < kRsdpV1Length || !has_signature(rsdp, 0, "RSD PTR ", 8) ||
        !checksum_ok(rsdp.first(kRsdpV1Length)))
        return Status::InvalidArgument;

    bool use_xsdt = false;
    uint64_t root = load_u32(rsdp, kRsdpRsdt);
    if (rsdp[kRsdpRevision] >= 2 && rsdp.size() >= kRsdpV2Length) {
        const uint32_t length = load_u32(rsdp, kRsdpLength);
        if (length < kRsdpV2Length || length > rsdp.size() || !checksum_ok(rsdp.first(length)))
            return Status::InvalidArgument;
        const uint64_t xsdt = load_u64(rsdp, kRsdpXsdt);
        if (xsdt != 0) {
            use_xsdt = true;
            root = xsdt;
        }
    }
    if (root == 0)
        return Status::InvalidArgument;

    std::span<const uint8_t> root_table;
    switch (map_table(mem, root, use_xsdt ? "XSDT" : "RSDT", root_table)) {
    case TableCheck::Good: break;
    case TableCheck::Unreadable: return Status::Fault;
    case TableCheck::WrongSignature:
    case TableCheck::Bad: return Status::InvalidArgument;
    }

    // A trailing partial entry (length not a whole number of entries) is ignored.
    const size_t entry_size = use_xsdt ? 8 : 4;
    bool saw_bad_match = false;
    for (size_t at = kHeaderLength; at + entry_size <= root_table.size(); at += entry_size) {
        const uint64_t phys = use_xsdt ? load_u64(root_table, at) : load_u32(root_table, at);
        if (phys == 0)
            continue;
        std::span<const uint8_t> table;
        switch (map_table(mem, phys, signature, table)) {
        case TableCheck::Good: return phys;
        case TableCheck::Bad: saw_bad_match = true; break;
        case TableCheck::Unreadable:
        case TableCheck::WrongSignature: break;
        }
    }
    return saw_bad_match ? Status::InvalidArgument : Status::NotFound;
}

Result<MadtInfo> parse_madt(std::span<const uint8_t> table) {
    HV_TRY(check_table(table, "APIC", kMadtEntries));
    MadtInfo info;
    info.lapic_address = load_u32(table, kMadtLapicAddress);
    info.pcat_compat = (load_u32(table, kMadtFlags) & kMadtPcatCompat) != 0;
    for (size_t at = kMadtEntries; at < table.size();) {
        if (table.size() - at < 2)
            return Status::InvalidArgument;
        const uint8_t type = table[at];
        const uint8_t length = table[at + 1];
        if (length < 2 || length > table.size() - at)
            return Status::InvalidArgument;
        HV_TRY(decode_madt_entry(info, type, table.subspan(at, length)));
        at += length;
    }
    return info;
}

Result<Fadt> parse_fadt(std::span<const uint8_t> table) {
    HV_TRY(check_table(table, "FACP", kFadtV1Length));
    Fadt fadt{};
    fadt.dsdt = load_u32(table, kFadtDsdt);
    fadt.smi_command_port = load_u32(table, kFadtSmiCommand);
    fadt.acpi_enable = table[kFadtAcpiEnable];
    fadt.pm1a_control_port = load_u32(table, kFadtPm1aControl);
    fadt.pm1b_control_port = load_u32(table, kFadtPm1bControl);
    fadt.pm_timer_port = load_u32(table, kFadtPmTimer);
    const uint32_t flags = load_u32(table, kFadtFlags);

    if (table.size() > kFadtResetValue) {
        fadt.reset_space = table[kFadtResetRegister];
        fadt.reset_address = load_u64(table, kFadtResetRegister + kGasAddress);
        fadt.reset_value = table[kFadtResetValue];
        fadt.reset_supported = (flags & kFadtResetRegisterSupported) != 0;
    }
    if (table.size() >= kFadtXDsdt + 8) {
        const uint64_t x_dsdt = load_u64(table, kFadtXDsdt);
        if (x_dsdt != 0)
            fadt.dsdt = x_dsdt;
    }
    fadt.pm1a_control_port = x_port_or(table, kFadtXPm1aControl, fadt.pm1a_control_port);
    fadt.pm1b_control_port = x_port_or(table, kFadtXPm1bControl, fadt.pm1b_control_port);
    fadt.pm_timer_port = x_port_or(table, kFadtXPmTimer, fadt.pm_timer_port);
    return fadt;
}

Result<Mcfg> parse_mcfg(std::span<const uint8_t> table) {
    constexpr size_t kEntries = kHeaderLength + 8, kEntrySize = 16;
    HV_TRY(check_table(table, "MCFG", kEntries));
    if ((table.size() - kEntries) % kEntrySize != 0)
        return Status::InvalidArgument;
    Mcfg out;
    for (size_t at = kEntries; at < table.size(); at += kEntrySize) {
        const EcamWindow w{load_u64(table, at), load_u16(table, at + 8), table[at + 10], table[at + 11]};
        if (w.end_bus < w.start_bus)
            return Status::InvalidArgument;
        if (out.count == kMaxEcamWindows)
            return Status::Range;
        out.windows[out.count++] = w;
    }
    return out;
}

}  // namespace hv::acpi
