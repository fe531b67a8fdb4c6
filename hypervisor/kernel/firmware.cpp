#include "kernel/firmware.hpp"

#include "arch/x86_64/paging.hpp"
#include "kernel/boot_info.hpp"

namespace hv {
namespace {

constexpr uint32_t kHeaderLength = 36;

class FirmwareMemory final : public acpi::PhysicalMemory {
public:
    const uint8_t* map(uint64_t phys, size_t len) override {
        auto va = arch::ioremap(phys, len, true);
        return va.ok() ? static_cast<const uint8_t*>(*va) : nullptr;
    }
};

FirmwareMemory memory;

}  // namespace

acpi::PhysicalMemory& firmware_memory() { return memory; }

std::span<const uint8_t> map_acpi_table(uint64_t phys) {
    const uint8_t* header = phys != 0 ? memory.map(phys, kHeaderLength) : nullptr;
    const uint32_t length = header ? *reinterpret_cast<const uint32_t*>(header + 4) : 0;
    const uint8_t* table = length >= kHeaderLength ? memory.map(phys, length) : nullptr;
    return table ? std::span<const uint8_t>(table, length) : std::span<const uint8_t>();
}

std::span<const uint8_t> find_acpi_table(const char (&signature)[5]) {
    auto phys = acpi::find_table(memory, boot_info().rsdp, signature);
    return phys.ok() ? map_acpi_table(*phys) : std::span<const uint8_t>();
}

}  // namespace hv
