// ELF64 parser and Xen ELF-note interpretation (parse_xen_image, check_dom0_allowed,
// load_segments) on images assembled in the test, shaped like Debian's 6.1 vmlinux.
#include <gtest/gtest.h>

#include <map>

#include "image/elf64.hpp"
#include "image/xen_features.hpp"
#include "image/xen_image.hpp"
#include "image_test_support.hpp"

namespace {

using hv::Status;
using image_test::Bytes;
using image_test::ElfBuilder;
using namespace hv::image;

struct Parsed {
    Status status;
    XenImageInfo info;
    const char* why;
};

Parsed parse(const ElfBuilder& b) {
    const Bytes elf = b.build();
    const char* why = nullptr;
    auto r = parse_xen_image(elf, &why);
    return {r.status(), r.ok() ? *r : XenImageInfo{}, why};
}

constexpr uint32_t kEntry = 1, kHypercallPage = 2, kVirtBase = 3, kPaddrOffset = 4, kXenVersion = 5, kGuestOs = 6,
                   kLoader = 8, kFeatures = 10, kInitP2m = 15, kModStartPfn = 16, kSupportedFeatures = 17;

TEST(XenImage, LinuxLikeKernelDerivedValues) {
    auto p = parse(ElfBuilder::linux_like());
    ASSERT_EQ(p.status, Status::Ok) << p.why;
    const XenImageInfo& i = p.info;
    EXPECT_EQ(i.virt_base, 0xffffffff80000000u);
    EXPECT_EQ(i.paddr_offset, 0u);
    EXPECT_EQ(i.virt_offset, 0xffffffff80000000u);
    EXPECT_EQ(i.entry, 0xffffffff81003010u);  // the ENTRY note, not e_entry
    EXPECT_EQ(i.pstart, 0x1000000u);
    EXPECT_EQ(i.pend, 0x1006000u);  // by p_paddr: the vaddr-0 percpu segment counts at 0x1002000
    EXPECT_EQ(i.virt_kstart, 0xffffffff81000000u);
    EXPECT_EQ(i.virt_kend, 0xffffffff81006000u);
    EXPECT_FALSE(i.has_hypercall_page);
    EXPECT_EQ(i.hypercall_page, 0u);
    EXPECT_TRUE(i.has_init_p2m);
    EXPECT_EQ(i.init_p2m, 0x8000000000u);
    EXPECT_TRUE(i.mod_start_pfn);
    EXPECT_TRUE(i.pae_yes);
    EXPECT_TRUE(i.loader_generic);
    EXPECT_TRUE(i.has_supported_features);
    EXPECT_EQ(i.supported_features, 0x8801u);
    EXPECT_EQ(i.features_required, xen::feature_bit(xen::Feature::writable_page_tables));
    EXPECT_EQ(i.features_declared, xen::feature_bit(xen::Feature::writable_page_tables) |
                                       xen::feature_bit(xen::Feature::pae_pgdir_above_4gb));
    EXPECT_TRUE(i.requires_feature(xen::Feature::writable_page_tables));
    EXPECT_FALSE(i.requires_feature(xen::Feature::pae_pgdir_above_4gb));
    EXPECT_STREQ(i.features, "!writable_page_tables|pae_pgdir_above_4gb");
    EXPECT_STREQ(i.guest_os, "linux");
    EXPECT_STREQ(i.guest_version, "2.6");
    EXPECT_STREQ(i.xen_version, "xen-3.0");
    EXPECT_STREQ(i.loader, "generic");
    EXPECT_EQ(check_dom0_allowed(i, nullptr), Status::Ok);
}

TEST(XenImage, NotesInSectionsOnlyAreAFallback) {
    auto b = ElfBuilder::linux_like();
    b.notes_in_segment = false;
    b.notes_in_section = true;
    auto p = parse(b);
    ASSERT_EQ(p.status, Status::Ok) << p.why;
    EXPECT_EQ(p.info.entry, 0xffffffff81003010u);
}

TEST(XenImage, NoXenNotesIsNotAPvKernel) {
    auto b = ElfBuilder::linux_like();
    std::erase_if(b.notes, [](const auto& n) { return n.name == "Xen"; });
    auto p = parse(b);
    EXPECT_EQ(p.status, Status::InvalidArgument);
    EXPECT_STREQ(p.why, "not a Xen PV kernel: no Xen ELF notes");

    b.sections.push_back({"__xen_guest", 1, ElfBuilder::str("GUEST_OS=linux,XEN_VER=xen-3.0")});
    p = parse(b);
    EXPECT_EQ(p.status, Status::NotSupported);
    EXPECT_STREQ(p.why, "kernel has only a legacy __xen_guest section, no Xen ELF notes");
}

TEST(XenImage, VersionAndLoaderChecks) {
    auto b = ElfBuilder::linux_like();
    b.set_xen_note(kXenVersion, ElfBuilder::str("xen-2.0"));
    EXPECT_STREQ(parse(b).why, "kernel not built for Xen 3.0 ABI (XEN_VERSION)");
    b.drop_xen_note(kXenVersion);
    EXPECT_STREQ(parse(b).why, "kernel not built for Xen 3.0 ABI (XEN_VERSION)");
    b.set_xen_note(kXenVersion, ElfBuilder::str("xen-3.0-unstable"));  // a prefix is enough
    EXPECT_EQ(parse(b).status, Status::Ok);

    b.set_xen_note(kGuestOs, ElfBuilder::str("freebsd"));
    EXPECT_EQ(parse(b).status, Status::Ok);  // LOADER generic suffices
    b.drop_xen_note(kLoader);
    EXPECT_STREQ(parse(b).why, "kernel is neither for the generic loader nor Linux");
    b.set_xen_note(kGuestOs, ElfBuilder::str("linux"));
    auto p = parse(b);
    EXPECT_EQ(p.status, Status::Ok);  // GUEST_OS linux suffices
    EXPECT_FALSE(p.info.loader_generic);
}

TEST(XenImage, AddressSanityChecks) {
    auto b = ElfBuilder::linux_like();
    b.set_xen_note(kEntry, ElfBuilder::u64(0xffffffff81006000));  // == virt_kend
    EXPECT_STREQ(parse(b).why, "entry point outside the kernel image");
    b.set_xen_note(kEntry, ElfBuilder::u64(0xffffffff80ffffff));
    EXPECT_STREQ(parse(b).why, "entry point outside the kernel image");
    b.set_xen_note(kEntry, ElfBuilder::u64(0xffffffff81000000));
    EXPECT_EQ(parse(b).status, Status::Ok);
    b.drop_xen_note(kEntry);  // falls back to e_entry = 0x1000000, a physical address
    EXPECT_STREQ(parse(b).why, "entry point outside the kernel image");

    b = ElfBuilder::linux_like();
    b.set_xen_note(kPaddrOffset, ElfBuilder::u64(0x2000000));  // kstart = base - 32 MiB + 16 MiB
    b.set_xen_note(kEntry, ElfBuilder::u64(0xffffffff7f000010));
    EXPECT_STREQ(parse(b).why, "VIRT_BASE above the kernel's start");

    b = ElfBuilder::linux_like();
    b.set_xen_note(kInitP2m, ElfBuilder::u64(0xffffffff81004000));
    EXPECT_STREQ(parse(b).why, "INIT_P2M lies inside the kernel image");
    b.drop_xen_note(kInitP2m);
    auto p = parse(b);
    ASSERT_EQ(p.status, Status::Ok);
    EXPECT_FALSE(p.info.has_init_p2m);

    b = ElfBuilder::linux_like();
    b.set_xen_note(kHypercallPage, ElfBuilder::u64(0xffffffff81001000));
    p = parse(b);
    ASSERT_EQ(p.status, Status::Ok) << p.why;
    EXPECT_TRUE(p.info.has_hypercall_page);
    EXPECT_EQ(p.info.hypercall_page, 0xffffffff81001000u);
    b.set_xen_note(kHypercallPage, ElfBuilder::u64(0xffffffff81001008));
    EXPECT_STREQ(parse(b).why, "HYPERCALL_PAGE is not an aligned page inside the kernel");
    b.set_xen_note(kHypercallPage, ElfBuilder::u64(0xffffffff81006000));
    EXPECT_STREQ(parse(b).why, "HYPERCALL_PAGE is not an aligned page inside the kernel");

    b = ElfBuilder::linux_like();
    b.drop_xen_note(kVirtBase);
    EXPECT_STREQ(parse(b).why, "Xen notes: PADDR_OFFSET set but VIRT_BASE unset");
}

TEST(XenImage, WithoutVirtBaseAddressesAreIdentity) {
    ElfBuilder b;
    b.entry = 0x200010;
    b.segments.push_back({1, 5, 0x200000, 0x200000, Bytes(0x40, 0x90), 0x1000});
    b.xen_note(kXenVersion, ElfBuilder::str("xen-3.0"));
    b.xen_note(kLoader, ElfBuilder::str("generic"));
    auto p = parse(b);
    ASSERT_EQ(p.status, Status::Ok) << p.why;
    EXPECT_EQ(p.info.virt_base, 0u);
    EXPECT_EQ(p.info.virt_offset, 0u);
    EXPECT_EQ(p.info.virt_kstart, 0x200000u);
    EXPECT_EQ(p.info.entry, 0x200010u);
    EXPECT_FALSE(p.info.has_supported_features);
    EXPECT_EQ(check_dom0_allowed(p.info, nullptr), Status::Ok);  // no note: no restriction
}

TEST(XenImage, FeatureRules) {
    auto b = ElfBuilder::linux_like();
    b.set_xen_note(kFeatures, ElfBuilder::str("writable_page_tables|!supervisor_mode_kernel"));
    EXPECT_STREQ(parse(b).why, "kernel requires supervisor_mode_kernel");
    b.set_xen_note(kFeatures, ElfBuilder::str("supervisor_mode_kernel|some_future_thing"));
    EXPECT_EQ(parse(b).status, Status::Ok);  // merely declared, unknown optional ignored
    b.set_xen_note(kFeatures, ElfBuilder::str("!some_future_thing"));
    EXPECT_EQ(parse(b).status, Status::NotSupported);
    b.set_xen_note(kFeatures, ElfBuilder::str("||!dom0|"));
    auto p = parse(b);
    ASSERT_EQ(p.status, Status::Ok);
    EXPECT_EQ(p.info.features_required, xen::feature_bit(xen::Feature::dom0));
    b.set_xen_note(kFeatures, ElfBuilder::str(std::string(64, 'x')));
    EXPECT_STREQ(parse(b).why, "FEATURES: feature name too long");
    // Long strings are parsed whole even though the copy is truncated.
    std::string many;
    for (int i = 0; i < 10; ++i)
        many += "writable_descriptor_tables|";
    many += "!auto_translated_physmap";
    b.set_xen_note(kFeatures, ElfBuilder::str(many));
    p = parse(b);
    ASSERT_EQ(p.status, Status::Ok);
    EXPECT_TRUE(p.info.requires_feature(xen::Feature::auto_translated_physmap));
    EXPECT_EQ(std::string(p.info.features).size(), sizeof p.info.features - 1);
}

TEST(XenImage, Dom0Permission) {
    auto b = ElfBuilder::linux_like();
    b.set_xen_note(kSupportedFeatures, ElfBuilder::u32(0x0001));
    auto p = parse(b);
    ASSERT_EQ(p.status, Status::Ok);
    const char* why = nullptr;
    EXPECT_EQ(check_dom0_allowed(p.info, &why), Status::Permission);
    EXPECT_STREQ(why, "kernel does not support running as dom0 (no XENFEAT_dom0)");
    b.set_xen_note(kFeatures, ElfBuilder::str("dom0"));  // libelf merges the FEATURES string
    EXPECT_EQ(check_dom0_allowed(parse(b).info, nullptr), Status::Ok);
    b.set_xen_note(kSupportedFeatures, ElfBuilder::u64(0x0800));  // a 2-submap array
    EXPECT_EQ(parse(b).status, Status::Ok);
    b.set_xen_note(kSupportedFeatures, Bytes{1, 2});
    EXPECT_EQ(parse(b).status, Status::InvalidArgument);
}

TEST(XenImage, NumericNoteSizes) {
    auto b = ElfBuilder::linux_like();
    for (size_t size : {1, 2, 4, 8}) {
        Bytes v(size, 0);
        v[0] = 1;
        b.set_xen_note(kModStartPfn, v);
        auto p = parse(b);
        ASSERT_EQ(p.status, Status::Ok) << size;
        EXPECT_TRUE(p.info.mod_start_pfn);
    }
    b.set_xen_note(kModStartPfn, Bytes{0});
    EXPECT_FALSE(parse(b).info.mod_start_pfn);
    b.set_xen_note(kModStartPfn, Bytes{1, 0, 0});
    EXPECT_STREQ(parse(b).why, "Xen note: numeric value is not 1, 2, 4 or 8 bytes");
    b = ElfBuilder::linux_like();
    b.set_xen_note(kGuestOs, ElfBuilder::str(std::string(40, 'l')));
    EXPECT_STREQ(parse(b).why, "Xen note: GUEST_OS too long");
}

TEST(ElfHeader, Refusals) {
    const Bytes good = ElfBuilder::linux_like().build();
    auto status_of = [](const Bytes& elf) {
        const char* why = nullptr;
        auto r = parse_xen_image(elf, &why);
        EXPECT_TRUE(r.ok() || why != nullptr);
        return r.status();
    };
    EXPECT_EQ(status_of(good), Status::Ok);
    Bytes b = good;
    b[4] = 1;  // ELFCLASS32
    EXPECT_EQ(status_of(b), Status::NotSupported);
    b = good;
    b[18] = 3;  // EM_386
    EXPECT_EQ(status_of(b), Status::NotSupported);
    b = good;
    b[16] = 3;  // ET_DYN
    EXPECT_EQ(status_of(b), Status::NotSupported);
    b = good;
    b[54] = 32;  // phentsize
    EXPECT_EQ(status_of(b), Status::InvalidArgument);
    b = good;
    b[32 + 5] = 1;  // phoff far away
    EXPECT_EQ(status_of(b), Status::InvalidArgument);
    b = good;
    b[56] = 0;  // phnum 0
    b[57] = 0;
    EXPECT_EQ(status_of(b), Status::InvalidArgument);
    EXPECT_EQ(status_of(Bytes(good.begin(), good.begin() + 63)), Status::InvalidArgument);
    // /bin/true is a PIE (ET_DYN).
    const Bytes tool = image_test::read_file("/bin/true");
    if (!tool.empty())
        EXPECT_EQ(status_of(tool), Status::NotSupported);
}

TEST(ElfSegments, Refusals) {
    auto b = ElfBuilder::linux_like();
    b.segments[1].memsz = 0x100;  // < filesz 0x200
    EXPECT_STREQ(parse(b).why, "ELF: PT_LOAD segment with filesz > memsz");
    b = ElfBuilder::linux_like();
    b.segments[0].paddr = ~uint64_t{0} - 0x10;
    EXPECT_STREQ(parse(b).why, "ELF: PT_LOAD segment address overflows");
    b = ElfBuilder::linux_like();
    for (auto& s : b.segments)
        s.type = 6;  // PT_PHDR
    EXPECT_STREQ(parse(b).why, "ELF: no loadable segment");
    b = ElfBuilder::linux_like();
    for (auto& s : b.segments)
        s.flags = 0;  // PT_LOAD without permissions is not loadable (libelf)
    EXPECT_STREQ(parse(b).why, "ELF: no loadable segment");

    Bytes elf = ElfBuilder::linux_like().build();
    elf[64 + 8 + 5] = 0x10;  // first segment's p_offset far outside
    const char* why = nullptr;
    EXPECT_FALSE(parse_xen_image(elf, &why).ok());
    EXPECT_STREQ(why, "ELF: PT_LOAD segment outside the file");
}

TEST(ElfNotes, MalformedNotesAreRefused) {
    ElfNoteReader empty({});
    ElfNote note;
    bool done = false;
    EXPECT_EQ(empty.next(&note, &done, nullptr), Status::Ok);
    EXPECT_TRUE(done);

    Bytes huge_name = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 1, 0, 0, 0};
    ElfNoteReader r1(huge_name);
    EXPECT_EQ(r1.next(&note, &done, nullptr), Status::InvalidArgument);
    Bytes huge_desc = {4, 0, 0, 0, 0xFC, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0, 'X', 'e', 'n', 0};
    ElfNoteReader r2(huge_desc);
    EXPECT_EQ(r2.next(&note, &done, nullptr), Status::InvalidArgument);
    Bytes short_header = {4, 0, 0, 0, 0};
    ElfNoteReader r3(short_header);
    EXPECT_EQ(r3.next(&note, &done, nullptr), Status::InvalidArgument);
    // Last descriptor's padding may be cut off by the area's end.
    Bytes unpadded = {4, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 'X', 'e', 'n', 0, 0x42};
    ElfNoteReader r4(unpadded);
    ASSERT_EQ(r4.next(&note, &done, nullptr), Status::Ok);
    EXPECT_EQ(note.name, "Xen");
    EXPECT_EQ(note.type, 7u);
    ASSERT_EQ(note.desc.size(), 1u);
    EXPECT_EQ(r4.next(&note, &done, nullptr), Status::Ok);
    EXPECT_TRUE(done);
}

TEST(ElfNotes, TruncatedNoteSegmentInKernel) {
    Bytes elf = ElfBuilder::linux_like().build();
    // The PT_NOTE program header is the last one; grow its filesz beyond the file.
    const size_t ph = 64 + 56 * 4;
    elf[ph + 32 + 4] = 0x10;
    const char* why = nullptr;
    EXPECT_FALSE(parse_xen_image(elf, &why).ok());
    EXPECT_STREQ(why, "ELF: PT_NOTE segment outside the file");
}

class RecordingSink final : public SegmentSink {
public:
    std::map<uint64_t, Bytes> writes;
    std::map<uint64_t, uint64_t> zeros;
    Status write(uint64_t va, std::span<const uint8_t> bytes) override {
        writes[va] = Bytes(bytes.begin(), bytes.end());
        return Status::Ok;
    }
    Status zero(uint64_t va, uint64_t length) override {
        zeros[va] = length;
        return Status::Ok;
    }
};

TEST(LoadSegments, PlacedByPhysicalAddress) {
    const auto b = ElfBuilder::linux_like();
    const Bytes elf = b.build();
    auto info = parse_xen_image(elf, nullptr);
    ASSERT_TRUE(info.ok());

    RecordingSink sink;
    ASSERT_EQ(load_segments(elf, *info, sink, nullptr), Status::Ok);
    ASSERT_EQ(sink.writes.size(), 4u);
    EXPECT_EQ(sink.writes.at(0xffffffff81000000), b.segments[0].data);
    EXPECT_EQ(sink.writes.at(0xffffffff81002000), b.segments[2].data);  // percpu: p_vaddr 0
    EXPECT_EQ(sink.zeros.at(0xffffffff81001200), 0xE00u);
    EXPECT_EQ(sink.zeros.at(0xffffffff81003080), 0x2F80u);

    Bytes image(info->virt_kend - info->virt_kstart, 0xCC);
    ASSERT_EQ(load_segments(elf, *info, image, nullptr), Status::Ok);
    EXPECT_TRUE(std::equal(b.segments[3].data.begin(), b.segments[3].data.end(), image.begin() + 0x3000));
    EXPECT_TRUE(std::all_of(image.begin() + 0x3080, image.end(), [](uint8_t c) { return c == 0; }));
    EXPECT_TRUE(std::all_of(image.begin() + 0x300, image.begin() + 0x1000, [](uint8_t c) { return c == 0; }));
    Bytes small(image.size() - 1);
    EXPECT_EQ(load_segments(elf, *info, small, nullptr), Status::NoSpace);

    XenImageInfo wrong = *info;
    wrong.pend -= 0x1000;
    EXPECT_EQ(load_segments(elf, wrong, sink, nullptr), Status::InvalidArgument);
}

TEST(XenImage, TruncationsAndCorruptionsNeverCrash) {
    const Bytes good = ElfBuilder::linux_like().build();
    for (size_t n = 0; n < good.size(); ++n) {
        const char* why = nullptr;
        auto r = parse_xen_image(std::span<const uint8_t>(good.data(), n), &why);
        EXPECT_FALSE(r.ok()) << n;  // the section table sits at the end
        EXPECT_NE(why, nullptr);
    }
    for (size_t i = 0; i < good.size(); ++i) {
        Bytes bad = good;
        bad[i] ^= 0xFF;
        const char* why = nullptr;
        auto r = parse_xen_image(bad, &why);
        if (r.ok()) {
            EXPECT_LE(r->virt_kstart, r->entry);
            EXPECT_LT(r->entry, r->virt_kend);
        } else {
            EXPECT_NE(why, nullptr) << i;
        }
    }
}

}  // namespace
