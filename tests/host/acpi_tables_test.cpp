// Host tests for ACPI table discovery and the MADT/FADT decoders (acpi/tables.hpp).
#include "acpi/tables.hpp"
#include "acpi_test_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace hv::acpi {
namespace {

using namespace testing;

Bytes rsdp(uint8_t revision, uint32_t rsdt, uint64_t xsdt) {
    Bytes r;
    put_str(r, "RSD PTR ", 8);
    put8(r, 0);
    put_str(r, "BOCHS ", 6);
    put8(r, revision);
    put32(r, rsdt);
    fix_checksum(r, 8, 20);
    if (revision >= 2) {
        put32(r, 36);
        put64(r, xsdt);
        put8(r, 0);  // extended checksum
        put8(r, 0), put8(r, 0), put8(r, 0);
        fix_checksum(r, 32, 36);
    }
    return r;
}

Bytes rsdt(const std::vector<uint32_t>& entries) {
    Bytes body;
    for (uint32_t e : entries)
        put32(body, e);
    return sdt("RSDT", 1, body);
}

Bytes xsdt(const std::vector<uint64_t>& entries) {
    Bytes body;
    for (uint64_t e : entries)
        put64(body, e);
    return sdt("XSDT", 1, body);
}

// MADT entries.
Bytes lapic(uint8_t uid, uint8_t apic_id, uint32_t flags) {
    Bytes e{0, 8, uid, apic_id};
    put32(e, flags);
    return e;
}
Bytes x2apic(uint32_t apic_id, uint32_t flags, uint32_t uid) {
    Bytes e{9, 16, 0, 0};
    put32(e, apic_id);
    put32(e, flags);
    put32(e, uid);
    return e;
}
Bytes ioapic(uint8_t id, uint32_t address, uint32_t gsi_base) {
    Bytes e{1, 12, id, 0};
    put32(e, address);
    put32(e, gsi_base);
    return e;
}
Bytes override_entry(uint8_t irq, uint32_t gsi, uint16_t flags) {
    Bytes e{2, 10, 0, irq};
    put32(e, gsi);
    put16(e, flags);
    return e;
}
Bytes lapic_nmi(uint8_t uid, uint16_t flags, uint8_t lint) {
    Bytes e{4, 6, uid};
    put16(e, flags);
    put8(e, lint);
    return e;
}
Bytes lapic_address_override(uint64_t address) {
    Bytes e{5, 12, 0, 0};
    put64(e, address);
    return e;
}

Bytes madt(uint32_t lapic_address, uint32_t flags, const std::vector<Bytes>& entries) {
    Bytes body;
    put32(body, lapic_address);
    put32(body, flags);
    for (const Bytes& e : entries)
        body.insert(body.end(), e.begin(), e.end());
    return sdt("APIC", 3, body);
}

// What QEMU's q35 machine builds for `-smp 4`.
Bytes qemu_q35_madt() {
    std::vector<Bytes> entries;
    for (uint8_t i = 0; i < 4; ++i)
        entries.push_back(lapic(i, i, 1));
    entries.push_back(ioapic(0, 0xfec00000, 0));
    entries.push_back(override_entry(0, 2, 0));
    for (uint8_t irq : {5, 9, 10, 11})
        entries.push_back(override_entry(irq, irq, 0xd));
    entries.push_back(lapic_nmi(0xff, 0, 1));
    return madt(0xfee00000, 1, entries);
}

// A FADT of `length` bytes (116 = ACPI 1.0, 244 = ACPI 2.0+, 276 = 6.x) laid out like
// QEMU q35's: PM base 0x600, SMI command 0xb2, reset via port 0xcf9.
Bytes fadt(size_t length, uint32_t dsdt, uint64_t x_dsdt, uint32_t flags) {
    Bytes body(length - 36, 0);
    auto at32 = [&](size_t offset, uint32_t v) { patch32(body, offset - 36, v); };
    auto at64 = [&](size_t offset, uint64_t v) {
        at32(offset, static_cast<uint32_t>(v));
        at32(offset + 4, static_cast<uint32_t>(v >> 32));
    };
    auto gas = [&](size_t offset, uint8_t space, uint8_t width, uint64_t address) {
        if (offset + 12 > length)
            return;
        body[offset - 36] = space;
        body[offset - 36 + 1] = width;
        at64(offset + 4, address);
    };
    at32(40, dsdt);
    at32(48, 0xb2);
    body[52 - 36] = 0x02;  // ACPI_ENABLE
    body[53 - 36] = 0x03;  // ACPI_DISABLE
    at32(56, 0x600);       // PM1a_EVT_BLK
    at32(64, 0x604);       // PM1a_CNT_BLK
    at32(76, 0x608);       // PM_TMR_BLK
    at32(80, 0x620);       // GPE0_BLK
    at32(112, flags);
    gas(116, 1, 8, 0xcf9);
    if (length > 128)
        body[128 - 36] = 0x06;
    if (length >= 148)
        at64(140, x_dsdt);
    gas(148, 1, 32, 0x600);
    gas(172, 1, 16, 0x604);
    gas(208, 1, 32, 0x608);
    Bytes t = sdt("FACP", length >= 244 ? 3 : 1, body);
    return t;
}

constexpr uint32_t kResetRegSup = 1u << 10;

// Physical memory as a set of byte vectors at fixed addresses; a mapping must fall
// entirely inside one of them.
class FakeMemory final : public PhysicalMemory {
public:
    void place(uint64_t phys, Bytes bytes) { regions_[phys] = std::move(bytes); }
    const uint8_t* map(uint64_t phys, size_t len) override {
        ++maps;
        auto it = regions_.upper_bound(phys);
        if (it == regions_.begin())
            return nullptr;
        --it;
        const uint64_t offset = phys - it->first;
        if (offset > it->second.size() || len > it->second.size() - offset)
            return nullptr;
        return it->second.data() + offset;
    }
    Bytes& at(uint64_t phys) { return regions_.at(phys); }
    int maps = 0;

private:
    std::map<uint64_t, Bytes> regions_;
};


constexpr uint64_t kRsdt = 0x3ffe2000, kXsdt = 0x3ffe2100, kMadt = 0x3ffe3000, kFadt = 0x3ffe4000,
                   kHpet = 0x3ffe5000, kHighMadt = 0x100000000ull;

// QEMU-like layout: RSDT -> FACP, APIC, HPET.
FakeMemory qemu_memory() {
    FakeMemory mem;
    mem.place(kRsdt, rsdt({kFadt, kMadt, kHpet}));
    mem.place(kMadt, qemu_q35_madt());
    mem.place(kFadt, fadt(244, 0x3ffe0040, 0x3ffe0040, kResetRegSup));
    mem.place(kHpet, sdt("HPET", 1, Bytes(20, 0)));
    return mem;
}

// ---- checksum ----

TEST(AcpiChecksum, SumsToZero) {
    EXPECT_TRUE(checksum_ok({}));
    const Bytes good{0x10, 0xf0, 0x00};
    const Bytes bad{0x10, 0xf0, 0x01};
    EXPECT_TRUE(checksum_ok(span_of(good)));
    EXPECT_FALSE(checksum_ok(span_of(bad)));
    EXPECT_TRUE(checksum_ok(span_of(qemu_q35_madt())));
}

// ---- find_table ----

TEST(AcpiFindTable, ThroughRsdt) {
    FakeMemory mem = qemu_memory();
    const Bytes r = rsdp(0, kRsdt, 0);
    EXPECT_EQ(find_table(mem, span_of(r), "APIC").value(), kMadt);
    EXPECT_EQ(find_table(mem, span_of(r), "FACP").value(), kFadt);
    EXPECT_EQ(find_table(mem, span_of(r), "HPET").value(), kHpet);
    EXPECT_EQ(find_table(mem, span_of(r), "MCFG").status(), Status::NotFound);
}

TEST(AcpiFindTable, ThroughXsdtWhenRevision2) {
    FakeMemory mem = qemu_memory();
    mem.place(kXsdt, xsdt({kFadt, kHighMadt}));
    mem.place(kHighMadt, qemu_q35_madt());
    const Bytes r = rsdp(2, kRsdt, kXsdt);
    ASSERT_EQ(r.size(), 36u);
    EXPECT_EQ(find_table(mem, span_of(r), "APIC").value(), kHighMadt);
    EXPECT_EQ(find_table(mem, span_of(r), "FACP").value(), kFadt);
    EXPECT_EQ(find_table(mem, span_of(r), "HPET").status(), Status::NotFound);  // only in the RSDT
}

TEST(AcpiFindTable, Revision2WithoutXsdtUsesRsdt) {
    FakeMemory mem = qemu_memory();
    const Bytes r = rsdp(2, kRsdt, 0);
    EXPECT_EQ(find_table(mem, span_of(r), "HPET").value(), kHpet);
}

TEST(AcpiFindTable, Revision2GivenAsTwentyBytesUsesRsdt) {
    // multiboot2's "old RSDP" tag copies 20 bytes even when the firmware's RSDP is v2.
    FakeMemory mem = qemu_memory();
    const Bytes r = rsdp(2, kRsdt, kXsdt);
    EXPECT_EQ(find_table(mem, span_of(r).first(20), "HPET").value(), kHpet);
}

TEST(AcpiFindTable, LongerRsdpSpanIsFine) {
    FakeMemory mem = qemu_memory();
    Bytes r = rsdp(0, kRsdt, 0);
    r.resize(64, 0xaa);
    EXPECT_EQ(find_table(mem, span_of(r), "APIC").value(), kMadt);
}

TEST(AcpiFindTable, BadRsdp) {
    FakeMemory mem = qemu_memory();
    Bytes r = rsdp(0, kRsdt, 0);
    EXPECT_EQ(find_table(mem, span_of(r).first(19), "APIC").status(), Status::InvalidArgument);
    EXPECT_EQ(find_table(mem, {}, "APIC").status(), Status::InvalidArgument);

    Bytes bad_signature = r;
    bad_signature[0] = 'X';
    fix_checksum(bad_signature, 8, 20);
    EXPECT_EQ(find_table(mem, span_of(bad_signature), "APIC").status(), Status::InvalidArgument);

    Bytes bad_checksum = r;
    bad_checksum[8] ^= 1;
    EXPECT_EQ(find_table(mem, span_of(bad_checksum), "APIC").status(), Status::InvalidArgument);

    Bytes no_rsdt = rsdp(0, 0, 0);
    EXPECT_EQ(find_table(mem, span_of(no_rsdt), "APIC").status(), Status::InvalidArgument);
}

TEST(AcpiFindTable, BadRsdpV2) {
    FakeMemory mem = qemu_memory();
    mem.place(kXsdt, xsdt({kMadt}));
    const Bytes good = rsdp(2, kRsdt, kXsdt);
    ASSERT_TRUE(find_table(mem, span_of(good), "APIC").ok());

    Bytes bad_extended = good;
    bad_extended[32] ^= 1;
    EXPECT_EQ(find_table(mem, span_of(bad_extended), "APIC").status(), Status::InvalidArgument);

    Bytes short_length = good;
    patch32(short_length, 20, 20);
    fix_checksum(short_length, 32, 36);
    EXPECT_EQ(find_table(mem, span_of(short_length), "APIC").status(), Status::InvalidArgument);

    Bytes long_length = good;
    patch32(long_length, 20, 37);
    fix_checksum(long_length, 32, 36);
    EXPECT_EQ(find_table(mem, span_of(long_length), "APIC").status(), Status::InvalidArgument);
}

TEST(AcpiFindTable, BadRootTable) {
    const Bytes r = rsdp(0, kRsdt, 0);
    {
        FakeMemory mem;  // nothing mapped
        EXPECT_EQ(find_table(mem, span_of(r), "APIC").status(), Status::Fault);
    }
    {
        FakeMemory mem = qemu_memory();
        mem.at(kRsdt)[40] ^= 0xff;  // checksum broken
        EXPECT_EQ(find_table(mem, span_of(r), "APIC").status(), Status::InvalidArgument);
    }
    {
        FakeMemory mem = qemu_memory();
        mem.place(kRsdt, xsdt({kMadt}));  // wrong signature for an RSDT pointer
        EXPECT_EQ(find_table(mem, span_of(r), "APIC").status(), Status::InvalidArgument);
    }
    {
        FakeMemory mem = qemu_memory();
        Bytes t = rsdt({kMadt});
        patch32(t, 4, 20);  // length below the header
        fix_checksum(t, 9, t.size());
        mem.place(kRsdt, t);
        EXPECT_EQ(find_table(mem, span_of(r), "APIC").status(), Status::InvalidArgument);
    }
    {
        FakeMemory mem = qemu_memory();
        Bytes t = rsdt({kMadt});
        t.pop_back();  // truncated: the header claims more than is readable
        mem.place(kRsdt, t);
        EXPECT_EQ(find_table(mem, span_of(r), "APIC").status(), Status::Fault);
    }
    {
        FakeMemory mem = qemu_memory();
        Bytes t = rsdt({kMadt});
        patch32(t, 4, 0xffffffff);  // absurd length is refused before mapping it
        fix_checksum(t, 9, t.size());
        mem.place(kRsdt, t);
        EXPECT_EQ(find_table(mem, span_of(r), "APIC").status(), Status::InvalidArgument);
    }
}

TEST(AcpiFindTable, TrailingPartialRootEntryIgnored) {
    FakeMemory mem = qemu_memory();
    Bytes body;
    put32(body, kMadt);
    put16(body, 0x1234);
    mem.place(kRsdt, sdt("RSDT", 1, body));
    const Bytes r = rsdp(0, kRsdt, 0);
    EXPECT_EQ(find_table(mem, span_of(r), "APIC").value(), kMadt);
    EXPECT_EQ(find_table(mem, span_of(r), "FACP").status(), Status::NotFound);
}

TEST(AcpiFindTable, BadChecksumSkippedForLaterGoodCopy) {
    FakeMemory mem = qemu_memory();
    Bytes broken = qemu_q35_madt();
    broken[50] ^= 1;
    mem.place(0x5000, broken);
    mem.place(kRsdt, rsdt({0, 0x5000, 0x9999000, kMadt}));  // null, bad, unmapped, good
    const Bytes r = rsdp(0, kRsdt, 0);
    EXPECT_EQ(find_table(mem, span_of(r), "APIC").value(), kMadt);
}

TEST(AcpiFindTable, OnlyBadCopiesIsInvalid) {
    FakeMemory mem = qemu_memory();
    mem.at(kMadt)[50] ^= 1;
    const Bytes r = rsdp(0, kRsdt, 0);
    EXPECT_EQ(find_table(mem, span_of(r), "APIC").status(), Status::InvalidArgument);
    EXPECT_EQ(find_table(mem, span_of(r), "FACP").value(), kFadt);  // the others are unaffected
}

TEST(AcpiFindTable, TruncatedTableIsSkipped) {
    FakeMemory mem = qemu_memory();
    mem.at(kMadt).resize(40);  // header says more than is mapped
    const Bytes r = rsdp(0, kRsdt, 0);
    EXPECT_EQ(find_table(mem, span_of(r), "APIC").status(), Status::NotFound);
}

TEST(AcpiFindTable, TableShorterThanHeaderIsBad) {
    FakeMemory mem = qemu_memory();
    Bytes& t = mem.at(kHpet);
    patch32(t, 4, 35);
    fix_checksum(t, 9, t.size());
    const Bytes r = rsdp(0, kRsdt, 0);
    EXPECT_EQ(find_table(mem, span_of(r), "HPET").status(), Status::InvalidArgument);
}

TEST(AcpiFindTable, EntriesInUnalignedXsdt) {
    // XSDT entries are 8 bytes at offset 36: only 4-byte aligned. Place the XSDT at an
    // odd address as well.
    FakeMemory mem = qemu_memory();
    mem.place(0x7001, xsdt({kFadt, kMadt}));
    const Bytes r = rsdp(2, kRsdt, 0x7001);
    EXPECT_EQ(find_table(mem, span_of(r), "APIC").value(), kMadt);
}

// ---- parse_madt ----

TEST(AcpiMadt, QemuQ35) {
    const Bytes t = qemu_q35_madt();
    auto r = parse_madt(span_of(t));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->lapic_address, 0xfee00000u);
    EXPECT_TRUE(r->pcat_compat);
    ASSERT_EQ(r->cpu_count, 4u);
    for (uint32_t i = 0; i < 4; ++i) {
        EXPECT_EQ(r->cpus[i].apic_id, i);
        EXPECT_EQ(r->cpus[i].acpi_uid, i);
        EXPECT_TRUE(r->cpus[i].enabled);
        EXPECT_FALSE(r->cpus[i].online_capable);
    }
    ASSERT_EQ(r->ioapic_count, 1u);
    EXPECT_EQ(r->ioapics[0].id, 0u);
    EXPECT_EQ(r->ioapics[0].address, 0xfec00000u);
    EXPECT_EQ(r->ioapics[0].gsi_base, 0u);
    ASSERT_EQ(r->override_count, 5u);
    EXPECT_EQ(r->overrides[0].bus, 0);
    EXPECT_EQ(r->overrides[0].source_irq, 0);
    EXPECT_EQ(r->overrides[0].gsi, 2u);
    EXPECT_EQ(r->overrides[0].flags, 0);
    const uint8_t level_irqs[] = {5, 9, 10, 11};
    for (size_t i = 0; i < 4; ++i) {
        const InterruptOverride& o = r->overrides[i + 1];
        EXPECT_EQ(o.source_irq, level_irqs[i]);
        EXPECT_EQ(o.gsi, level_irqs[i]);
        EXPECT_EQ(o.flags & kPolarityMask, kPolarityActiveHigh);
        EXPECT_EQ(o.flags & kTriggerMask, kTriggerLevel);
    }
}

TEST(AcpiMadt, FromFindTable) {
    FakeMemory mem = qemu_memory();
    const Bytes r = rsdp(0, kRsdt, 0);
    const uint64_t phys = find_table(mem, span_of(r), "APIC").value();
    const uint8_t* header = mem.map(phys, kHeaderLength);
    ASSERT_NE(header, nullptr);
    const uint32_t length = header[4] | (header[5] << 8) | (header[6] << 16) | (static_cast<uint32_t>(header[7]) << 24);
    auto madt_info = parse_madt({mem.map(phys, length), length});
    ASSERT_TRUE(madt_info.ok());
    EXPECT_EQ(madt_info->cpu_count, 4u);
}

TEST(AcpiMadt, EmptyMadt) {
    const Bytes t = madt(0xfee00000, 0, {});
    auto r = parse_madt(span_of(t));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->pcat_compat);
    EXPECT_EQ(r->cpu_count, 0u);
    EXPECT_EQ(r->ioapic_count, 0u);
    EXPECT_EQ(r->override_count, 0u);
}

TEST(AcpiMadt, DisabledAndOnlineCapableCpus) {
    const Bytes t = madt(0xfee00000, 0, {lapic(0, 0, 1), lapic(1, 2, 0), lapic(2, 4, 2), x2apic(300, 0, 7)});
    auto r = parse_madt(span_of(t));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->cpu_count, 4u);
    EXPECT_TRUE(r->cpus[0].enabled);
    EXPECT_FALSE(r->cpus[1].enabled);
    EXPECT_FALSE(r->cpus[1].online_capable);
    EXPECT_EQ(r->cpus[1].apic_id, 2u);
    EXPECT_FALSE(r->cpus[2].enabled);
    EXPECT_TRUE(r->cpus[2].online_capable);
    EXPECT_EQ(r->cpus[3].apic_id, 300u);
    EXPECT_EQ(r->cpus[3].acpi_uid, 7u);
    EXPECT_FALSE(r->cpus[3].enabled);
}

TEST(AcpiMadt, X2ApicEntries) {
    const Bytes t = madt(0xfee00000, 0, {x2apic(0x1000, 1, 1), x2apic(0xffffffff, 3, 0xfffffffe)});
    auto r = parse_madt(span_of(t));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->cpu_count, 2u);
    EXPECT_EQ(r->cpus[0].apic_id, 0x1000u);
    EXPECT_TRUE(r->cpus[0].enabled);
    EXPECT_EQ(r->cpus[1].apic_id, 0xffffffffu);
    EXPECT_EQ(r->cpus[1].acpi_uid, 0xfffffffeu);
    EXPECT_TRUE(r->cpus[1].online_capable);
}

TEST(AcpiMadt, DuplicateApicIdKeepsFirst) {
    const Bytes t = madt(0xfee00000, 0, {lapic(0, 5, 1), x2apic(5, 0, 9), lapic(1, 6, 1)});
    auto r = parse_madt(span_of(t));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->cpu_count, 2u);
    EXPECT_EQ(r->cpus[0].acpi_uid, 0u);
    EXPECT_TRUE(r->cpus[0].enabled);
    EXPECT_EQ(r->cpus[1].apic_id, 6u);
}

TEST(AcpiMadt, LapicAddressOverride) {
    const Bytes t = madt(0xfee00000, 0, {lapic(0, 0, 1), lapic_address_override(0x1fee00000ull)});
    auto r = parse_madt(span_of(t));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->lapic_address, 0x1fee00000ull);
}

TEST(AcpiMadt, UnknownEntriesSkipped) {
    const Bytes t = madt(0xfee00000, 0,
                         {Bytes{0x7f, 2}, lapic_nmi(0xff, 5, 1), Bytes{3, 8, 0, 1, 2, 3, 4, 5},  // NMI source
                          Bytes{0xff, 4, 0xaa, 0xbb}, lapic(0, 0, 1), Bytes{0x11, 255 - 44 - 16, 0}});
    Bytes padded = t;
    // Grow the last unknown entry to its declared length.
    padded.resize(t.size() + (255 - 44 - 16) - 3, 0);
    patch32(padded, 4, static_cast<uint32_t>(padded.size()));
    auto r = parse_madt(span_of(padded));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->cpu_count, 1u);
}

TEST(AcpiMadt, LongerKnownEntriesAccepted) {
    Bytes long_lapic = lapic(3, 9, 1);
    long_lapic[1] = 12;
    long_lapic.resize(12, 0xee);
    Bytes long_ioapic = ioapic(2, 0xfec01000, 24);
    long_ioapic[1] = 16;
    long_ioapic.resize(16, 0);
    auto r = parse_madt(span_of(madt(0xfee00000, 0, {long_lapic, long_ioapic})));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->cpus[0].apic_id, 9u);
    EXPECT_EQ(r->ioapics[0].gsi_base, 24u);
}

TEST(AcpiMadt, BadEntryLengths) {
    // Length 0 and 1 (would loop forever or step into the header), past the end, and a
    // single trailing byte.
    for (uint8_t len : {0, 1})
        EXPECT_EQ(parse_madt(span_of(madt(0xfee00000, 0, {lapic(0, 0, 1), Bytes{0x7f, len}}))).status(),
                  Status::InvalidArgument)
            << int(len);
    EXPECT_EQ(parse_madt(span_of(madt(0xfee00000, 0, {Bytes{0x7f, 5, 0, 0}}))).status(), Status::InvalidArgument);
    EXPECT_EQ(parse_madt(span_of(madt(0xfee00000, 0, {lapic(0, 0, 1), Bytes{0}}))).status(),
              Status::InvalidArgument);
}

TEST(AcpiMadt, KnownEntriesTooShort) {
    const std::vector<Bytes> short_entries = {
        Bytes{0, 6, 0, 0, 1, 0},                        // LAPIC
        Bytes{1, 8, 0, 0, 0, 0, 0xc0, 0xfe},            // IOAPIC
        Bytes{2, 8, 0, 0, 2, 0, 0, 0},                  // override
        Bytes{5, 8, 0, 0, 0, 0, 0xe0, 0xfe},            // LAPIC address override
        Bytes{9, 12, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0},     // x2APIC
    };
    for (const Bytes& e : short_entries)
        EXPECT_EQ(parse_madt(span_of(madt(0xfee00000, 0, {e}))).status(), Status::InvalidArgument) << int(e[0]);
}

TEST(AcpiMadt, TruncatedTable) {
    const Bytes t = qemu_q35_madt();
    for (size_t len = 0; len < t.size(); ++len) {
        Bytes prefix(t.begin(), t.begin() + static_cast<ptrdiff_t>(len));
        EXPECT_FALSE(parse_madt(span_of(prefix)).ok()) << len;  // header length disagrees
        if (len >= 8) {
            patch32(prefix, 4, static_cast<uint32_t>(len));
            auto r = parse_madt(span_of(prefix));
            // Cut at an entry boundary it parses (fewer entries); anywhere else it fails.
            if (r.ok()) {
                EXPECT_LE(r->cpu_count, 4u);
            }
        }
    }
}

TEST(AcpiMadt, HeaderProblems) {
    Bytes t = qemu_q35_madt();
    Bytes wrong_signature = t;
    wrong_signature[0] = 'B';
    EXPECT_EQ(parse_madt(span_of(wrong_signature)).status(), Status::InvalidArgument);
    Bytes wrong_length = t;
    patch32(wrong_length, 4, static_cast<uint32_t>(t.size() - 1));
    EXPECT_EQ(parse_madt(span_of(wrong_length)).status(), Status::InvalidArgument);
    Bytes with_slack = t;
    with_slack.push_back(0);
    EXPECT_EQ(parse_madt(span_of(with_slack)).status(), Status::InvalidArgument);
    Bytes too_short = sdt("APIC", 1, Bytes(7, 0));
    EXPECT_EQ(parse_madt(span_of(too_short)).status(), Status::InvalidArgument);
    EXPECT_EQ(parse_madt({}).status(), Status::InvalidArgument);
}

TEST(AcpiMadt, CapacityLimits) {
    std::vector<Bytes> cpus;
    for (uint32_t i = 0; i < kMaxCpus; ++i)
        cpus.push_back(x2apic(i, 1, i));
    auto full = parse_madt(span_of(madt(0xfee00000, 0, cpus)));
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(full->cpu_count, kMaxCpus);
    EXPECT_EQ(full->cpus[kMaxCpus - 1].apic_id, kMaxCpus - 1);

    cpus.push_back(x2apic(kMaxCpus, 0, kMaxCpus));  // even a disabled one counts
    EXPECT_EQ(parse_madt(span_of(madt(0xfee00000, 0, cpus))).status(), Status::Range);

    std::vector<Bytes> ioapics;
    for (uint32_t i = 0; i <= kMaxIoApics; ++i)
        ioapics.push_back(ioapic(static_cast<uint8_t>(i), 0xfec00000 + 0x1000 * i, 24 * i));
    EXPECT_EQ(parse_madt(span_of(madt(0xfee00000, 0, ioapics))).status(), Status::Range);
    ioapics.pop_back();
    EXPECT_EQ(parse_madt(span_of(madt(0xfee00000, 0, ioapics)))->ioapic_count, kMaxIoApics);

    std::vector<Bytes> overrides;
    for (uint32_t i = 0; i <= kMaxOverrides; ++i)
        overrides.push_back(override_entry(static_cast<uint8_t>(i), i, 0));
    EXPECT_EQ(parse_madt(span_of(madt(0xfee00000, 0, overrides))).status(), Status::Range);
    overrides.pop_back();
    EXPECT_EQ(parse_madt(span_of(madt(0xfee00000, 0, overrides)))->override_count, kMaxOverrides);
}

// ---- parse_fadt ----

TEST(AcpiFadt, Acpi2QemuQ35) {
    const Bytes t = fadt(244, 0x3ffe0040, 0x3ffe0040, kResetRegSup);
    auto r = parse_fadt(span_of(t));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->pm1a_control_port, 0x604u);
    EXPECT_EQ(r->pm1b_control_port, 0u);
    EXPECT_EQ(r->pm_timer_port, 0x608u);
    EXPECT_EQ(r->smi_command_port, 0xb2u);
    EXPECT_EQ(r->acpi_enable, 0x02);
    EXPECT_EQ(r->dsdt, 0x3ffe0040u);
    EXPECT_TRUE(r->reset_supported);
    EXPECT_EQ(r->reset_space, 1);
    EXPECT_EQ(r->reset_address, 0xcf9u);
    EXPECT_EQ(r->reset_value, 0x06);
}

TEST(AcpiFadt, Acpi1ShortLayout) {
    const Bytes t = fadt(116, 0x7fe0040, 0, kResetRegSup);
    ASSERT_EQ(t.size(), 116u);
    auto r = parse_fadt(span_of(t));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->pm1a_control_port, 0x604u);
    EXPECT_EQ(r->pm_timer_port, 0x608u);
    EXPECT_EQ(r->dsdt, 0x7fe0040u);
    EXPECT_FALSE(r->reset_supported);  // the flag alone is not enough: no reset register
    EXPECT_EQ(r->reset_address, 0u);
}

TEST(AcpiFadt, ResetRegisterWithoutXFields) {
    const Bytes t = fadt(129, 0x1000, 0, kResetRegSup);
    auto r = parse_fadt(span_of(t));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->reset_supported);
    EXPECT_EQ(r->reset_address, 0xcf9u);
    EXPECT_EQ(r->reset_value, 0x06);
    EXPECT_EQ(r->dsdt, 0x1000u);
}

TEST(AcpiFadt, ResetNotSupportedWithoutFlag) {
    auto r = parse_fadt(span_of(fadt(244, 0x1000, 0, 0)));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->reset_supported);
}

TEST(AcpiFadt, XDsdtPreferredWhenNonZero) {
    auto high = parse_fadt(span_of(fadt(244, 0x1000, 0x123400000ull, 0)));
    ASSERT_TRUE(high.ok());
    EXPECT_EQ(high->dsdt, 0x123400000ull);
    auto zero = parse_fadt(span_of(fadt(244, 0x1000, 0, 0)));
    ASSERT_TRUE(zero.ok());
    EXPECT_EQ(zero->dsdt, 0x1000u);
}

TEST(AcpiFadt, XPortBlocks) {
    Bytes t = fadt(276, 0x1000, 0, 0);
    // X_PM1a_CNT_BLK in I/O space at a different port than the legacy field: X wins.
    patch32(t, 172 + 4, 0xb004);
    // X_PM_TMR_BLK in memory space: not a port, keep the legacy one.
    t[208] = 0;
    patch32(t, 208 + 4, 0xfed00000);
    // X_PM1b_CNT_BLK in I/O space but zero: keep legacy (0).
    t[184] = 1;
    fix_checksum(t, 9, t.size());
    auto r = parse_fadt(span_of(t));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->pm1a_control_port, 0xb004u);
    EXPECT_EQ(r->pm_timer_port, 0x608u);
    EXPECT_EQ(r->pm1b_control_port, 0u);

    // An I/O address above 0xffff is garbage: legacy kept.
    patch32(t, 172 + 4, 0x10000);
    EXPECT_EQ(parse_fadt(span_of(t))->pm1a_control_port, 0x604u);
}

TEST(AcpiFadt, XFieldsPastLengthIgnored) {
    // 180 bytes: X_DSDT present, X_PM1a_CNT_BLK (172..184) cut.
    Bytes t = fadt(180, 0x1000, 0x2000, 0);
    auto r = parse_fadt(span_of(t));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->dsdt, 0x2000u);
    EXPECT_EQ(r->pm1a_control_port, 0x604u);
}

TEST(AcpiFadt, HeaderProblems) {
    EXPECT_EQ(parse_fadt(span_of(sdt("FACP", 1, Bytes(79, 0)))).status(), Status::InvalidArgument);  // 115 bytes
    EXPECT_TRUE(parse_fadt(span_of(sdt("FACP", 1, Bytes(80, 0)))).ok());
    Bytes wrong_signature = fadt(244, 0, 0, 0);
    wrong_signature[3] = 'Q';
    EXPECT_EQ(parse_fadt(span_of(wrong_signature)).status(), Status::InvalidArgument);
    Bytes wrong_length = fadt(244, 0, 0, 0);
    wrong_length.push_back(0);
    EXPECT_EQ(parse_fadt(span_of(wrong_length)).status(), Status::InvalidArgument);
    EXPECT_EQ(parse_fadt({}).status(), Status::InvalidArgument);
}

TEST(AcpiFadt, FromFindTable) {
    FakeMemory mem = qemu_memory();
    const Bytes r = rsdp(0, kRsdt, 0);
    const uint64_t phys = find_table(mem, span_of(r), "FACP").value();
    auto f = parse_fadt({mem.map(phys, 244), 244});
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->pm1a_control_port, 0x604u);
}

// Writes the fuzzer's seed corpus when HV_WRITE_CORPUS names a directory (the files in
// tests/fuzz/corpus/acpi_madt_fuzz/ were produced this way). acpi_madt_fuzz inputs are a
// control byte (bit 0: fix up checksums) followed by either a table or a memory image
// whose RSDP sits at offset 0 and whose table pointers are offsets into the image.
TEST(AcpiTables, SeedCorpusIsUpToDate) {
    // Without HV_WRITE_CORPUS: check that the checked-in seeds are exactly these.
    const char* dir = std::getenv("HV_WRITE_acpi_madt_fuzz");
    const bool write = dir != nullptr;
    const std::string target = write ? std::string(dir) : std::string(HV_SOURCE_DIR "/tests/fuzz/corpus/acpi_madt_fuzz");
    auto with_control = [](uint8_t control, const Bytes& body) {
        Bytes out{control};
        out.insert(out.end(), body.begin(), body.end());
        return out;
    };
    auto image = [](bool use_xsdt) {
        Bytes img = rsdp(use_xsdt ? 2 : 0, 0x40, use_xsdt ? 0x80 : 0);
        img.resize(0x40, 0);
        const Bytes root_rsdt = rsdt({0x100, 0x200});
        img.insert(img.end(), root_rsdt.begin(), root_rsdt.end());
        img.resize(0x80, 0);
        const Bytes root_xsdt = xsdt({0x200, 0x100});
        img.insert(img.end(), root_xsdt.begin(), root_xsdt.end());
        img.resize(0x100, 0);
        const Bytes m = madt(0xfee00000, 1, {lapic(0, 0, 1), lapic(1, 1, 1), ioapic(0, 0xfec00000, 0),
                                             override_entry(0, 2, 0), override_entry(9, 9, 0xd)});
        img.insert(img.end(), m.begin(), m.end());
        img.resize(0x200, 0);
        const Bytes f = fadt(244, 0x300, 0x300, kResetRegSup);
        img.insert(img.end(), f.begin(), f.end());
        return img;
    };
    const std::vector<std::pair<std::string, Bytes>> seeds = {
        {"madt_q35", with_control(0, qemu_q35_madt())},
        {"madt_x2apic", with_control(0, madt(0xfee00000, 0, {x2apic(0x100, 1, 0), lapic_address_override(0xfee00000),
                                                             lapic_nmi(0xff, 0, 1)}))},
        {"fadt_v1", with_control(0, fadt(116, 0x1000, 0, 0))},
        {"fadt_v2", with_control(0, fadt(244, 0x1000, 0x1000, kResetRegSup))},
        {"image_rsdt", with_control(1, image(false))},
        {"image_xsdt", with_control(1, image(true))},
    };
    for (const auto& [name, bytes] : seeds) {
        const std::string path = target + "/" + name;
        if (write) {
            std::ofstream out(path, std::ios::binary);
            out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
            ASSERT_TRUE(out.good()) << name;
        } else {
            std::ifstream in(path, std::ios::binary);
            ASSERT_TRUE(in.good()) << path;
            const Bytes on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            EXPECT_EQ(on_disk, bytes) << path << " is out of date: regenerate with HV_WRITE_CORPUS";
        }
    }
}

}  // namespace
}  // namespace hv::acpi
