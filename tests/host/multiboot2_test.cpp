// Host tests for the multiboot2 boot information decoder (boot/multiboot2.hpp).
#include "boot/multiboot2.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace hv::mb2 {
namespace {

using Bytes = std::vector<uint8_t>;

void put32(Bytes& b, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put64(Bytes& b, uint64_t v) {
    put32(b, static_cast<uint32_t>(v));
    put32(b, static_cast<uint32_t>(v >> 32));
}
void patch32(Bytes& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

struct E820 {
    uint64_t base, length;
    uint32_t type;
};

// Builds a boot information block the way a loader does: 8-byte header, tags padded to
// 8-byte alignment, total_size patched in by build().
class InfoBuilder {
public:
    InfoBuilder() { bytes_.resize(8, 0); }

    InfoBuilder& tag(uint32_t type, const Bytes& payload) {
        align();
        last_tag_ = bytes_.size();
        put32(bytes_, type);
        put32(bytes_, static_cast<uint32_t>(8 + payload.size()));
        bytes_.insert(bytes_.end(), payload.begin(), payload.end());
        return *this;
    }
    InfoBuilder& string_tag(uint32_t type, const std::string& s) {
        Bytes p(s.begin(), s.end());
        p.push_back(0);
        return tag(type, p);
    }
    InfoBuilder& cmdline(const std::string& s) { return string_tag(1, s); }
    InfoBuilder& loader(const std::string& s) { return string_tag(2, s); }
    InfoBuilder& module(uint32_t start, uint32_t end, const std::string& s) {
        Bytes p;
        put32(p, start);
        put32(p, end);
        p.insert(p.end(), s.begin(), s.end());
        p.push_back(0);
        return tag(3, p);
    }
    InfoBuilder& meminfo(uint32_t lower, uint32_t upper) {
        Bytes p;
        put32(p, lower);
        put32(p, upper);
        return tag(4, p);
    }
    InfoBuilder& mmap(const std::vector<E820>& entries, uint32_t entry_size = 24) {
        Bytes p;
        put32(p, entry_size);
        put32(p, 0);
        for (const E820& e : entries) {
            const size_t start = p.size();
            put64(p, e.base);
            put64(p, e.length);
            put32(p, e.type);
            p.resize(start + entry_size, 0);
        }
        return tag(6, p);
    }
    InfoBuilder& load_base(uint32_t base) {
        Bytes p;
        put32(p, base);
        return tag(21, p);
    }
    InfoBuilder& end() { return tag(0, {}); }

    // Offset of the most recent tag header, for error-offset checks.
    size_t last_tag() const { return last_tag_; }

    Bytes build() {
        Bytes out = bytes_;
        patch32(out, 0, static_cast<uint32_t>(out.size()));
        return out;
    }

private:
    void align() {
        while (bytes_.size() % 8 != 0)
            bytes_.push_back(0);
    }
    Bytes bytes_;
    size_t last_tag_ = 0;
};

Bytes rsdp_v1(uint32_t rsdt) {
    Bytes r = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ', 0, 'B', 'O', 'C', 'H', 'S', ' ', 0};
    put32(r, rsdt);
    uint8_t sum = 0;
    for (uint8_t b : r)
        sum = static_cast<uint8_t>(sum + b);
    r[8] = static_cast<uint8_t>(-sum);
    return r;
}

Bytes rsdp_v2(uint64_t xsdt) {
    Bytes r = rsdp_v1(0);
    r[15] = 2;
    put32(r, 36);
    put64(r, xsdt);
    r.resize(36, 0);
    return r;
}

Result<BootInfo> parse_bytes(const Bytes& b, ParseError* error = nullptr) {
    return parse(std::span<const uint8_t>(b.data(), b.size()), error);
}

bool points_into(const Bytes& b, std::string_view s) {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    return p >= b.data() && p + s.size() < b.data() + b.size() && p[s.size()] == 0;
}

// The QEMU q35 (SeaBIOS) E820 map with 1 GiB of RAM, first six entries.
const std::vector<E820> kQemuQ35Map = {
    {0x0, 0x9fc00, 1},         {0x9fc00, 0x400, 2},        {0xf0000, 0x10000, 2},
    {0x100000, 0x3fee0000, 1}, {0x3ffe0000, 0x20000, 2},   {0xfffc0000, 0x40000, 2},
};

Bytes grub_like_block() {
    return InfoBuilder()
        .cmdline("/boot/hypervisor.elf console=com1 com1=115200,8n1 loglvl=all dom0_mem=512M")
        .loader("GRUB 2.06")
        .module(0x1000000, 0x1a3c5e0, "/boot/vmlinuz console=hvc0 root=/dev/xvda1")
        .module(0x1a3d000, 0x2f00000, "/boot/initrd.img")
        .meminfo(639, (0x3ffe0000 - 0x100000) / 1024)
        .tag(5, Bytes{0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})  // BIOS boot device
        .mmap(kQemuQ35Map)
        .tag(8, Bytes(24, 0x11))                                                       // framebuffer
        .tag(14, rsdp_v1(0x3ffe2290))
        .load_base(0x200000)
        .end()
        .build();
}

TEST(Multiboot2, MinimalBlockHasNothing) {
    const Bytes b = InfoBuilder().end().build();
    ASSERT_EQ(b.size(), 16u);
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->cmdline.empty());
    EXPECT_TRUE(r->loader_name.empty());
    EXPECT_EQ(r->region_count, 0u);
    EXPECT_EQ(r->module_count, 0u);
    EXPECT_TRUE(r->rsdp.empty());
    EXPECT_FALSE(r->has_basic_meminfo);
    EXPECT_FALSE(r->has_load_base);
    EXPECT_EQ(r->total_size, 16u);
}

TEST(Multiboot2, GrubLikeRealisticBlock) {
    const Bytes b = grub_like_block();
    ParseError err;
    auto r = parse_bytes(b, &err);
    ASSERT_TRUE(r.ok()) << err.what << " at " << err.offset;
    EXPECT_EQ(err.what, nullptr);
    EXPECT_EQ(r->cmdline, "/boot/hypervisor.elf console=com1 com1=115200,8n1 loglvl=all dom0_mem=512M");
    EXPECT_TRUE(points_into(b, r->cmdline));
    EXPECT_EQ(r->loader_name, "GRUB 2.06");
    EXPECT_TRUE(points_into(b, r->loader_name));

    ASSERT_EQ(r->module_count, 2u);
    EXPECT_EQ(r->modules[0].start, 0x1000000u);
    EXPECT_EQ(r->modules[0].end, 0x1a3c5e0u);
    EXPECT_EQ(r->modules[0].cmdline, "/boot/vmlinuz console=hvc0 root=/dev/xvda1");
    EXPECT_TRUE(points_into(b, r->modules[0].cmdline));
    EXPECT_EQ(r->modules[1].start, 0x1a3d000u);
    EXPECT_EQ(r->modules[1].end, 0x2f00000u);
    EXPECT_EQ(r->modules[1].cmdline, "/boot/initrd.img");

    EXPECT_TRUE(r->has_basic_meminfo);
    EXPECT_EQ(r->mem_lower_kib, 639u);
    EXPECT_EQ(r->mem_upper_kib, 1047424u);

    ASSERT_EQ(r->region_count, 6u);
    for (size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(r->regions[i].base, kQemuQ35Map[i].base) << i;
        EXPECT_EQ(r->regions[i].length, kQemuQ35Map[i].length) << i;
        EXPECT_EQ(r->regions[i].type, kQemuQ35Map[i].type) << i;
    }
    uint64_t available = 0;
    for (size_t i = 0; i < r->region_count; ++i)
        if (r->regions[i].type == static_cast<uint32_t>(RegionType::Available))
            available += r->regions[i].length;
    EXPECT_EQ(available, 0x9fc00u + 0x3fee0000u);

    ASSERT_EQ(r->rsdp.size(), 20u);
    EXPECT_EQ(std::memcmp(r->rsdp.data(), "RSD PTR ", 8), 0);
    EXPECT_GE(r->rsdp.data(), b.data());
    EXPECT_LE(r->rsdp.data() + r->rsdp.size(), b.data() + b.size());

    EXPECT_TRUE(r->has_load_base);
    EXPECT_EQ(r->load_base, 0x200000u);
    EXPECT_EQ(r->total_size, b.size());
}

TEST(Multiboot2, EveryTagDecoded) {
    const Bytes b = InfoBuilder()
                        .cmdline("x")
                        .loader("L")
                        .module(1, 2, "m")
                        .meminfo(1, 2)
                        .mmap({{0x1000, 0x2000, 7}})
                        .tag(14, rsdp_v1(1))
                        .tag(15, rsdp_v2(2))
                        .load_base(0x12345678)
                        .end()
                        .build();
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->cmdline, "x");
    EXPECT_EQ(r->loader_name, "L");
    ASSERT_EQ(r->module_count, 1u);
    EXPECT_EQ(r->modules[0].cmdline, "m");
    EXPECT_EQ(r->mem_upper_kib, 2u);
    ASSERT_EQ(r->region_count, 1u);
    EXPECT_EQ(r->regions[0].type, 7u);  // unknown types kept
    EXPECT_EQ(r->rsdp.size(), 36u);     // tag 15 preferred
    EXPECT_EQ(r->load_base, 0x12345678u);
}

TEST(Multiboot2, NewRsdpPreferredEvenWhenItComesFirst) {
    const Bytes b = InfoBuilder().tag(15, rsdp_v2(2)).tag(14, rsdp_v1(1)).end().build();
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->rsdp.size(), 36u);
    EXPECT_EQ(r->rsdp[15], 2);
}

TEST(Multiboot2, OldRsdpAloneIsUsed) {
    const Bytes b = InfoBuilder().tag(14, rsdp_v1(0x1234)).end().build();
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->rsdp.size(), 20u);
    EXPECT_EQ(r->rsdp[16], 0x34);
}

TEST(Multiboot2, EmptyStringsAndEmptyModule) {
    const Bytes b = InfoBuilder().cmdline("").loader("").module(5, 5, "").end().build();
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->cmdline.empty());
    EXPECT_TRUE(r->loader_name.empty());
    ASSERT_EQ(r->module_count, 1u);
    EXPECT_EQ(r->modules[0].start, r->modules[0].end);
    EXPECT_TRUE(r->modules[0].cmdline.empty());
}

TEST(Multiboot2, StringStopsAtFirstNul) {
    const Bytes b = InfoBuilder().tag(1, Bytes{'a', 'b', 0, 'c', 0}).end().build();
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->cmdline, "ab");
}

TEST(Multiboot2, AlignmentPaddingBetweenTags) {
    // "abcd\0" makes a 13-byte tag: the next tag starts at the next multiple of 8, and
    // the padding bytes are garbage that must not be read as a tag.
    InfoBuilder builder;
    builder.cmdline("abcd");
    Bytes b = builder.loader("GRUB").end().build();
    ASSERT_EQ(b[12], 13);  // the cmdline tag's size field
    for (size_t i = 8 + 13; i < 24; ++i)
        b[i] = 0xee;
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->cmdline, "abcd");
    EXPECT_EQ(r->loader_name, "GRUB");
}

TEST(Multiboot2, UnknownTagsSkipped) {
    const Bytes b = InfoBuilder()
                        .tag(8, Bytes(31, 0xff))   // framebuffer, odd size
                        .tag(7, Bytes(8, 0))       // VBE
                        .tag(9, Bytes(20, 1))      // ELF sections
                        .tag(10, Bytes(12, 2))     // APM
                        .tag(12, Bytes(8, 3))      // EFI64 system table
                        .tag(0xdeadbeef, Bytes{})  // unknown, empty payload
                        .cmdline("ok")
                        .end()
                        .build();
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->cmdline, "ok");
}

TEST(Multiboot2, RepeatedTags) {
    const Bytes b = InfoBuilder()
                        .cmdline("first")
                        .mmap({{0, 0x1000, 1}})
                        .cmdline("second")
                        .mmap({{0x1000, 0x1000, 2}, {0x2000, 0x1000, 3}})
                        .end()
                        .build();
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->cmdline, "second");
    ASSERT_EQ(r->region_count, 3u);
    EXPECT_EQ(r->regions[2].type, 3u);
}

TEST(Multiboot2, LargerMemoryMapEntries) {
    const Bytes b = InfoBuilder().mmap({{0x1000, 0x2000, 1}, {0x5000, 0x100, 4}}, 40).end().build();
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->region_count, 2u);
    EXPECT_EQ(r->regions[1].base, 0x5000u);
    EXPECT_EQ(r->regions[1].type, 4u);
}

TEST(Multiboot2, EmptyMemoryMap) {
    const Bytes b = InfoBuilder().mmap({}).end().build();
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->region_count, 0u);
}

TEST(Multiboot2, BytesAfterEndTagAndBufferLongerThanTotalSizeIgnored) {
    Bytes b = InfoBuilder().cmdline("a").end().tag(1, Bytes{'b', 0}).build();
    // total_size covers the garbage tag after the end tag; the buffer also has slack.
    b.resize(b.size() + 13, 0xcc);
    auto r = parse_bytes(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->cmdline, "a");
    EXPECT_EQ(r->total_size, b.size() - 13);
}

TEST(Multiboot2, UnalignedBufferIsFine) {
    const Bytes b = grub_like_block();
    Bytes shifted(b.size() + 3);
    std::memcpy(shifted.data() + 3, b.data(), b.size());
    auto r = parse(std::span<const uint8_t>(shifted.data() + 3, b.size()));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->region_count, 6u);
    EXPECT_EQ(r->loader_name, "GRUB 2.06");
}

TEST(Multiboot2, FullTablesAreAccepted) {
    std::vector<E820> map(kMaxRegions, E820{0, 0x1000, 1});
    InfoBuilder builder;
    builder.mmap(map);
    for (size_t i = 0; i < kMaxModules; ++i)
        builder.module(static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1), "m");
    auto r = parse_bytes(builder.end().build());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->region_count, kMaxRegions);
    EXPECT_EQ(r->module_count, kMaxModules);
}

// ---- errors ----

void expect_error(const Bytes& b, Status status, const char* fragment, size_t offset) {
    ParseError err;
    auto r = parse_bytes(b, &err);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status(), status);
    ASSERT_NE(err.what, nullptr);
    EXPECT_NE(std::string(err.what).find(fragment), std::string::npos) << err.what;
    EXPECT_EQ(err.offset, offset) << err.what;
}

TEST(Multiboot2Errors, ErrorOutputOptional) {
    EXPECT_EQ(parse_bytes(Bytes{}).status(), Status::InvalidArgument);
}

TEST(Multiboot2Errors, BufferShorterThanHeader) {
    expect_error(Bytes{16, 0, 0, 0, 0, 0, 0}, Status::InvalidArgument, "shorter than the 8-byte header", 0);
    expect_error(Bytes{}, Status::InvalidArgument, "header", 0);
}

TEST(Multiboot2Errors, BufferShorterThanTotalSize) {
    Bytes b = InfoBuilder().cmdline("abc").end().build();
    b.pop_back();
    expect_error(b, Status::InvalidArgument, "shorter than total_size", 0);
}

TEST(Multiboot2Errors, TotalSizeTooSmall) {
    Bytes b = InfoBuilder().end().build();
    patch32(b, 0, 8);
    expect_error(b, Status::InvalidArgument, "total_size smaller than 16", 0);
    patch32(b, 0, 15);
    expect_error(b, Status::InvalidArgument, "total_size smaller than 16", 0);
}

TEST(Multiboot2Errors, HugeTotalSize) {
    Bytes b = InfoBuilder().end().build();
    patch32(b, 0, 0xffffffff);
    expect_error(b, Status::InvalidArgument, "shorter than total_size", 0);
}

TEST(Multiboot2Errors, TagSizeBelowEight) {
    InfoBuilder builder;
    builder.cmdline("abc");
    Bytes b = builder.end().build();
    patch32(b, 12, 7);
    expect_error(b, Status::InvalidArgument, "tag size smaller than 8", 8);
    patch32(b, 12, 0);
    expect_error(b, Status::InvalidArgument, "tag size smaller than 8", 8);
}

TEST(Multiboot2Errors, EndTagWithSizeBelowEight) {
    InfoBuilder builder;
    Bytes b = builder.end().build();
    patch32(b, 12, 4);
    expect_error(b, Status::InvalidArgument, "tag size smaller than 8", 8);
}

TEST(Multiboot2Errors, TagRunsPastTotalSize) {
    Bytes b = InfoBuilder().cmdline("abc").end().build();
    patch32(b, 12, 0x100);
    expect_error(b, Status::InvalidArgument, "runs past total_size", 8);
    patch32(b, 12, 0xffffffff);
    expect_error(b, Status::InvalidArgument, "runs past total_size", 8);
}

TEST(Multiboot2Errors, NoEndTag) {
    expect_error(InfoBuilder().cmdline("abc").build(), Status::InvalidArgument, "no end tag", 20);
    // A tag header that does not fit in the remaining bytes.
    Bytes b = InfoBuilder().cmdline("abcdefg").build();  // 16-byte tag, total 24
    b.resize(28, 0);
    patch32(b, 0, 28);
    expect_error(b, Status::InvalidArgument, "no end tag", 24);
    // Padding that would put the end tag past total_size.
    Bytes c = InfoBuilder().cmdline("ab").end().build();  // 11-byte tag, padded to 16
    c.resize(8 + 11);
    patch32(c, 0, static_cast<uint32_t>(c.size()));
    expect_error(c, Status::InvalidArgument, "no end tag", c.size());
    // Only a header.
    Bytes d = InfoBuilder().build();
    d.resize(16, 0);
    patch32(d, 0, 16);
    patch32(d, 8, 1);
    patch32(d, 12, 8);  // an 8-byte cmdline tag fills the block
    expect_error(d, Status::InvalidArgument, "not NUL-terminated", 16);
}

TEST(Multiboot2Errors, UnterminatedStrings) {
    expect_error(InfoBuilder().tag(1, Bytes{'a', 'b'}).end().build(), Status::InvalidArgument,
                 "not NUL-terminated", 16);
    expect_error(InfoBuilder().tag(2, Bytes{}).end().build(), Status::InvalidArgument, "not NUL-terminated", 16);
    InfoBuilder builder;
    builder.cmdline("fine");
    Bytes module_payload;
    put32(module_payload, 1);
    put32(module_payload, 2);
    module_payload.push_back('m');
    builder.tag(3, module_payload);
    const size_t module_tag = builder.last_tag();
    expect_error(builder.end().build(), Status::InvalidArgument, "not NUL-terminated", module_tag + 16);
}

TEST(Multiboot2Errors, StringTerminatorOnlyInPadding) {
    // The NUL right after the tag (in the padding) does not count.
    Bytes b = InfoBuilder().tag(1, Bytes{'a', 'b', 'c'}).end().build();
    ASSERT_EQ(b[19], 0);
    expect_error(b, Status::InvalidArgument, "not NUL-terminated", 16);
}

TEST(Multiboot2Errors, MemoryMapEntrySize) {
    expect_error(InfoBuilder().mmap({{0, 1, 1}}, 16).end().build(), Status::InvalidArgument,
                 "entry_size below 24 or not a multiple of 8", 16);
    expect_error(InfoBuilder().mmap({{0, 1, 1}}, 28).end().build(), Status::InvalidArgument,
                 "entry_size below 24 or not a multiple of 8", 16);
    expect_error(InfoBuilder().mmap({}, 0).end().build(), Status::InvalidArgument, "entry_size", 16);
}

TEST(Multiboot2Errors, MemoryMapPartialEntry) {
    InfoBuilder builder;
    Bytes p;
    put32(p, 24);
    put32(p, 0);
    p.resize(8 + 24 + 10, 0);
    expect_error(builder.tag(6, p).end().build(), Status::InvalidArgument, "whole number of entries", 8);
}

TEST(Multiboot2Errors, MemoryMapTagTooShort) {
    expect_error(InfoBuilder().tag(6, Bytes{24, 0, 0, 0}).end().build(), Status::InvalidArgument,
                 "memory map tag shorter than 16", 8);
}

TEST(Multiboot2Errors, ModuleEndBelowStart) {
    expect_error(InfoBuilder().module(0x2000, 0x1000, "x").end().build(), Status::InvalidArgument,
                 "module end below module start", 20);
}

TEST(Multiboot2Errors, ModuleTagTooShort) {
    expect_error(InfoBuilder().tag(3, Bytes{1, 0, 0, 0}).end().build(), Status::InvalidArgument,
                 "module tag shorter than 16", 8);
}

TEST(Multiboot2Errors, TooManyRegions) {
    std::vector<E820> map(kMaxRegions + 1, E820{0, 0x1000, 1});
    expect_error(InfoBuilder().mmap(map).end().build(), Status::Range, "kMaxRegions", 24 + 24 * kMaxRegions);
    // Also when split over two tags.
    std::vector<E820> half(kMaxRegions / 2 + 1, E820{0, 0x1000, 1});
    ParseError err;
    EXPECT_EQ(parse_bytes(InfoBuilder().mmap(half).mmap(half).end().build(), &err).status(), Status::Range);
}

TEST(Multiboot2Errors, TooManyModules) {
    InfoBuilder builder;
    for (size_t i = 0; i <= kMaxModules; ++i)
        builder.module(0, 1, "m");
    const size_t last = builder.last_tag();
    expect_error(builder.end().build(), Status::Range, "kMaxModules", last);
}

TEST(Multiboot2Errors, ShortRsdpTags) {
    Bytes v1 = rsdp_v1(1);
    v1.pop_back();
    expect_error(InfoBuilder().tag(14, v1).end().build(), Status::InvalidArgument, "shorter than 20", 16);
    expect_error(InfoBuilder().tag(15, rsdp_v1(1)).end().build(), Status::InvalidArgument, "shorter than 36", 16);
}

TEST(Multiboot2Errors, ShortFixedTags) {
    expect_error(InfoBuilder().tag(4, Bytes(7, 0)).end().build(), Status::InvalidArgument,
                 "basic memory info tag shorter than 16", 8);
    expect_error(InfoBuilder().tag(21, Bytes(3, 0)).end().build(), Status::InvalidArgument,
                 "load base address tag shorter than 12", 8);
}

TEST(Multiboot2Errors, ErrorIsResetOnSuccess) {
    ParseError err{"stale", 99};
    ASSERT_TRUE(parse_bytes(InfoBuilder().end().build(), &err).ok());
    EXPECT_EQ(err.what, nullptr);
    EXPECT_EQ(err.offset, 0u);
}

TEST(Multiboot2, TruncationsNeverCrashOrSucceedWrongly) {
    // Every prefix of a valid block with total_size left as is must be rejected.
    const Bytes b = grub_like_block();
    for (size_t len = 0; len < b.size(); ++len) {
        Bytes prefix(b.begin(), b.begin() + static_cast<ptrdiff_t>(len));
        EXPECT_FALSE(parse_bytes(prefix).ok()) << len;
        // ... and so must it when total_size is patched to match: the end tag is gone.
        if (len >= 8) {
            patch32(prefix, 0, static_cast<uint32_t>(len));
            EXPECT_FALSE(parse_bytes(prefix).ok()) << len;
        }
    }
}

TEST(Multiboot2, RegionTypeNames) {
    EXPECT_STREQ(region_type_name(1), "available");
    EXPECT_STREQ(region_type_name(2), "reserved");
    EXPECT_STREQ(region_type_name(3), "ACPI reclaimable");
    EXPECT_STREQ(region_type_name(4), "ACPI NVS");
    EXPECT_STREQ(region_type_name(5), "bad");
    EXPECT_STREQ(region_type_name(0), "unknown");
    EXPECT_STREQ(region_type_name(12), "unknown");
}

// Writes the fuzzer's seed corpus when HV_WRITE_CORPUS names a directory (the files in
// tests/fuzz/corpus/multiboot2_fuzz/ were produced this way).
TEST(Multiboot2, SeedCorpusIsUpToDate) {
    // Without HV_WRITE_CORPUS: check that the checked-in seeds are exactly these.
    const char* dir = std::getenv("HV_WRITE_multiboot2_fuzz");
    const bool write = dir != nullptr;
    const std::string target = write ? std::string(dir) : std::string(HV_SOURCE_DIR "/tests/fuzz/corpus/multiboot2_fuzz");
    const std::vector<std::pair<std::string, Bytes>> seeds = {
        {"minimal", InfoBuilder().end().build()},
        {"grub_q35", grub_like_block()},
        {"all_tags", InfoBuilder()
                         .cmdline("x")
                         .loader("L")
                         .module(1, 2, "m")
                         .meminfo(1, 2)
                         .mmap({{0x1000, 0x2000, 1}}, 32)
                         .tag(14, rsdp_v1(1))
                         .tag(15, rsdp_v2(2))
                         .load_base(0x100000)
                         .end()
                         .build()},
        {"unknown_tags", InfoBuilder().tag(8, Bytes(31, 0xff)).tag(9, Bytes(20, 1)).cmdline("a b").end().build()},
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
}  // namespace hv::mb2
