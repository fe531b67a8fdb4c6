#include "domain/msix.hpp"

#include "acpi/tables.hpp"
#include "arch/x86_64/paging.hpp"
#include "kernel/boot_info.hpp"
#include "lib/spinlock.hpp"
#include "memory/frame.hpp"

namespace hv {
namespace {

acpi::Mcfg ecam;

// ioremap never reuses virtual addresses, so mappings are cached and kept: one 4 KiB
// config page per function and one page per MSI-X table page touched.
struct Mapping {
    uint64_t phys = 0;
    volatile uint8_t* va = nullptr;
};
constexpr unsigned kMaxMappings = 128;
Mapping mappings[kMaxMappings];
TicketLock mappings_lock;

volatile uint8_t* map_page(uint64_t phys) {
    LockGuard guard(mappings_lock);
    for (const Mapping& m : mappings)
        if (m.va != nullptr && m.phys == phys)
            return m.va;
    for (Mapping& m : mappings) {
        if (m.va != nullptr)
            continue;
        auto va = arch::ioremap(phys, kPageSize);
        if (!va.ok())
            return nullptr;
        m = Mapping{phys, static_cast<volatile uint8_t*>(*va)};
        return m.va;
    }
    return nullptr;
}

// The 4 KiB configuration space of a function, nullptr if no ECAM window covers it.
volatile uint8_t* config_space(uint16_t seg, uint8_t bus, uint8_t devfn) {
    for (size_t i = 0; i < ecam.count; ++i) {
        const acpi::EcamWindow& w = ecam.windows[i];
        if (w.segment != seg || bus < w.start_bus || bus > w.end_bus)
            continue;
        return map_page(w.base + (uint64_t{bus} << 20) + (uint64_t{devfn} << 12));
    }
    return nullptr;
}

uint32_t read32(volatile uint8_t* config, unsigned offset) {
    return *reinterpret_cast<volatile uint32_t*>(config + (offset & 0xffc));
}

constexpr unsigned kStatus = 0x06, kCapabilityPointer = 0x34, kBar0 = 0x10;
constexpr uint16_t kStatusCapList = 1u << 4;
constexpr uint8_t kCapMsix = 0x11;
constexpr unsigned kMsixControl = 2, kMsixTable = 4;  // offsets in the capability
constexpr uint32_t kVectorControlMask = 1u << 0;

// The MSI-X capability's offset, 0 if none. The walk is bounded (48 entries fit in the
// 192 bytes after the header), so a looping list from a broken device cannot hang us.
unsigned find_msix(volatile uint8_t* config) {
    if ((read32(config, kStatus & ~3u) >> 16 & kStatusCapList) == 0)
        return 0;
    unsigned at = read32(config, kCapabilityPointer) & 0xfc;
    for (int i = 0; i < 48 && at >= 0x40; ++i) {
        const uint32_t header = read32(config, at);
        if ((header & 0xff) == kCapMsix)
            return at;
        at = (header >> 8) & 0xfc;
    }
    return 0;
}

// A BAR is whatever dom0 programmed: the table must lie where the firmware map has a
// hole or reserved space, never in memory the hypervisor hands out (RAM, ACPI data),
// or a hostile dom0 could have us write into any frame.
bool outside_ram(uint64_t phys, uint64_t size) {
    constexpr uint32_t kE820Reserved = 2;
    const mb2::BootInfo& info = boot_info();
    for (size_t i = 0; i < info.region_count; ++i) {
        const mb2::MemoryRegion& r = info.regions[i];
        if (r.type != kE820Reserved && phys < r.base + r.length && r.base < phys + size)
            return false;
    }
    return true;
}

}  // namespace

void pci_ecam_init(const acpi::Mcfg& mcfg) { ecam = mcfg; }

Result<MsixEntry> msix_locate(uint16_t seg, uint8_t bus, uint8_t devfn, uint32_t entry_nr) {
    volatile uint8_t* config = config_space(seg, bus, devfn);
    if (config == nullptr || (read32(config, 0) & 0xffff) == 0xffff)
        return Status::NoDevice;
    const unsigned cap = find_msix(config);
    if (cap == 0)
        return Status::NoDevice;
    const uint32_t control = read32(config, cap) >> 16;
    const uint32_t table_size = (control & 0x7ff) + 1;
    if (entry_nr >= table_size)
        return Status::InvalidArgument;
    const uint32_t table = read32(config, cap + kMsixTable);
    const unsigned bir = table & 7;
    if (bir > 5)
        return Status::NoDevice;
    const uint32_t bar_low = read32(config, kBar0 + 4 * bir);
    if ((bar_low & 1) != 0)
        return Status::NoDevice;  // an I/O BAR cannot hold a table
    uint64_t bar = bar_low & ~uint64_t{0xf};
    if (((bar_low >> 1) & 3) == 2 && bir < 5)  // 64-bit memory BAR
        bar |= uint64_t{read32(config, kBar0 + 4 * (bir + 1))} << 32;
    if (bar == 0)
        return Status::NoSuchAddress;
    const uint64_t entry = bar + (table & ~uint32_t{7}) + uint64_t{16} * entry_nr;
    if (!outside_ram(entry & ~(kPageSize - 1), kPageSize))
        return Status::NoSuchAddress;
    volatile uint8_t* page = map_page(entry & ~(kPageSize - 1));
    if (page == nullptr)
        return Status::OutOfMemory;
    return MsixEntry{reinterpret_cast<volatile uint32_t*>(page + (entry & (kPageSize - 1)))};
}

void msix_program(const MsixEntry& entry, uint8_t vector, uint32_t destination, bool masked) {
    // Masked while address and data disagree (PCI 3.0 6.8.3.5), then the mask wanted.
    entry.words[3] = entry.words[3] | kVectorControlMask;
    entry.words[0] = 0xfee00000u | ((destination & 0xff) << 12);  // physical, no redirection hint
    entry.words[1] = 0;
    entry.words[2] = vector;  // fixed delivery, edge
    if (!masked)
        msix_set_masked(entry, false);
}

void msix_set_masked(const MsixEntry& entry, bool masked) {
    const uint32_t control = entry.words[3];
    entry.words[3] = masked ? (control | kVectorControlMask) : (control & ~kVectorControlMask);
    (void)entry.words[3];  // read back: the write has reached the device before we go on
}

}  // namespace hv
