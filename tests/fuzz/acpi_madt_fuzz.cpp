// Fuzzes the ACPI decoders. Input: one control byte, then a body used two ways:
//   1. as a whole MADT and as a whole FADT, with the signature and header length patched
//      so the decoders get past the header and into the entries/fields;
//   2. as a physical memory image at address 0 with an RSDP at offset 0 and table
//      pointers that are offsets into the image, walked by find_table. With control bit 0
//      set the checksums along the way are fixed up first, so the walk goes deep.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "acpi/tables.hpp"

namespace {

using hv::acpi::kHeaderLength;

void check(bool ok) {
    if (!ok)
        std::abort();
}

uint32_t load_u32(const std::vector<uint8_t>& b, size_t at) {
    return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (static_cast<uint32_t>(b[at + 3]) << 24);
}
uint64_t load_u64(const std::vector<uint8_t>& b, size_t at) {
    return load_u32(b, at) | (static_cast<uint64_t>(load_u32(b, at + 4)) << 32);
}
void store_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Makes b[start, start + length) sum to zero by adjusting b[checksum_at].
void fix_checksum(std::vector<uint8_t>& b, size_t start, size_t length, size_t checksum_at) {
    if (start > b.size() || length > b.size() - start || checksum_at >= b.size())
        return;
    b[checksum_at] = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i)
        sum = static_cast<uint8_t>(sum + b[start + i]);
    b[checksum_at] = static_cast<uint8_t>(-sum);
}

void fix_table_checksum(std::vector<uint8_t>& image, uint64_t phys) {
    if (phys > image.size() || image.size() - phys < kHeaderLength)
        return;
    fix_checksum(image, phys, load_u32(image, phys + 4), phys + 9);
}

void fix_all_checksums(std::vector<uint8_t>& image) {
    if (image.size() < 20)
        return;
    fix_checksum(image, 0, 20, 8);
    bool xsdt = false;
    uint64_t root = load_u32(image, 16);
    if (image[15] >= 2 && image.size() >= 36) {
        fix_checksum(image, 0, load_u32(image, 20), 32);
        if (load_u64(image, 24) != 0) {
            xsdt = true;
            root = load_u64(image, 24);
        }
    }
    fix_table_checksum(image, root);
    if (root > image.size() || image.size() - root < kHeaderLength)
        return;
    const size_t entry = xsdt ? 8 : 4;
    const uint64_t end = root + load_u32(image, root + 4);
    for (uint64_t at = root + kHeaderLength; at + entry <= end && at + entry <= image.size(); at += entry)
        fix_table_checksum(image, xsdt ? load_u64(image, at) : load_u32(image, at));
    fix_table_checksum(image, root);  // entries' fix-ups may have landed inside the root table
}

class ImageMemory final : public hv::acpi::PhysicalMemory {
public:
    explicit ImageMemory(const std::vector<uint8_t>& image) : image_(image) {}
    const uint8_t* map(uint64_t phys, size_t len) override {
        if (phys > image_.size() || len > image_.size() - phys)
            return nullptr;
        return image_.data() + phys;
    }

private:
    const std::vector<uint8_t>& image_;
};

void check_madt(const hv::Result<hv::acpi::MadtInfo>& r) {
    if (!r.ok()) {
        check(r.status() == hv::Status::InvalidArgument || r.status() == hv::Status::Range);
        return;
    }
    const hv::acpi::MadtInfo& info = r.value();
    check(info.cpu_count <= hv::acpi::kMaxCpus && info.ioapic_count <= hv::acpi::kMaxIoApics &&
          info.override_count <= hv::acpi::kMaxOverrides);
    for (size_t i = 0; i < info.cpu_count; ++i)
        for (size_t j = 0; j < i; ++j)
            check(info.cpus[i].apic_id != info.cpus[j].apic_id);
}

void as_whole_tables(const uint8_t* body, size_t size) {
    std::vector<uint8_t> table(body, body + size);
    check_madt(hv::acpi::parse_madt({table.data(), table.size()}));  // unpatched: mostly rejected
    (void)hv::acpi::parse_fadt({table.data(), table.size()});
    if (size < 8)
        return;
    store_u32(table, 4, static_cast<uint32_t>(size));
    table[0] = 'A', table[1] = 'P', table[2] = 'I', table[3] = 'C';
    check_madt(hv::acpi::parse_madt({table.data(), table.size()}));
    table[0] = 'F', table[1] = 'A', table[2] = 'C', table[3] = 'P';
    auto fadt = hv::acpi::parse_fadt({table.data(), table.size()});
    check(fadt.ok() == (size >= 116));
    if (fadt.ok() && size < 129)
        check(!fadt->reset_supported);
    (void)hv::acpi::checksum_ok({table.data(), table.size()});
}

void as_memory_image(const uint8_t* body, size_t size, bool fix) {
    std::vector<uint8_t> image(body, body + size);
    if (fix)
        fix_all_checksums(image);
    ImageMemory mem(image);
    const std::span<const uint8_t> rsdp(image.data(), image.size() < 36 ? image.size() : 36);
    auto madt_phys = hv::acpi::find_table(mem, rsdp, "APIC");
    if (madt_phys.ok()) {
        const uint64_t phys = *madt_phys;
        check(phys + kHeaderLength <= image.size());
        const uint32_t length = load_u32(image, phys + 4);
        check(length >= kHeaderLength && phys + length <= image.size());
        check(hv::acpi::checksum_ok({image.data() + phys, length}));
        check_madt(hv::acpi::parse_madt({image.data() + phys, length}));
    }
    auto fadt_phys = hv::acpi::find_table(mem, rsdp, "FACP");
    if (fadt_phys.ok()) {
        const uint64_t phys = *fadt_phys;
        const uint32_t length = load_u32(image, phys + 4);
        check(phys + length <= image.size());
        (void)hv::acpi::parse_fadt({image.data() + phys, length});
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    const uint8_t control = data[0];
    as_whole_tables(data + 1, size - 1);
    as_memory_image(data + 1, size - 1, (control & 1) != 0);
    return 0;
}
