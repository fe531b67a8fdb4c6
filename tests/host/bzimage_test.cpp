// Kernel module unwrapping (bzImage / raw ELF / bare xz or gzip) and, when a Debian
// 6.1 kernel is available locally, the whole path on the real thing: bzImage -> XZ+BCJ ->
// vmlinux -> Xen notes -> segments (spec §1.2-1.4).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>

#include "image/gzip.hpp"
#include "image/kernel_image.hpp"
#include "image/xen_image.hpp"
#include "image_test_support.hpp"

namespace {

using hv::Status;
using image_test::Bytes;
using image_test::ElfBuilder;
using namespace hv::image;

// A bzImage: boot sector + setup sectors, the setup header fields we read, then the
// protected-mode part with the payload at `payload_offset` into it.
Bytes make_bzimage(const Bytes& payload, uint8_t setup_sects = 39, uint16_t version = 0x020F,
                   uint32_t payload_offset = 0x2CC) {
    const size_t pm = (setup_sects == 0 ? 4 : setup_sects) * 512 + 512;
    Bytes img(pm + payload_offset, 0);
    img[0x1F1] = setup_sects;
    img[0x202] = 'H', img[0x203] = 'd', img[0x204] = 'r', img[0x205] = 'S';
    img[0x206] = static_cast<uint8_t>(version), img[0x207] = static_cast<uint8_t>(version >> 8);
    for (int i = 0; i < 4; ++i) {
        img[0x248 + i] = static_cast<uint8_t>(payload_offset >> (8 * i));
        img[0x24C + i] = static_cast<uint8_t>(payload.size() >> (8 * i));
    }
    img.insert(img.end(), payload.begin(), payload.end());
    img.insert(img.end(), 1234, 0x5A);  // trailing bytes (a signature, in Debian's case)
    return img;
}

// What Linux's build appends after a compressed kernel: the size, 32-bit little endian.
Bytes with_size(Bytes compressed, size_t size) {
    image_test::put_le(compressed, size, 4);
    return compressed;
}

Bytes gunzip(const Bytes& in) {
    Bytes out(1 << 20);
    auto r = gzip_decode(in, out, nullptr);
    out.resize(r.value_or(0));
    return out;
}

struct Unpacked {
    Status status;
    Bytes bytes;
    const char* why;
};

Unpacked unpack(const Bytes& module, size_t capacity = 1 << 20) {
    Bytes out(capacity);
    const char* why = nullptr;
    auto r = unpack_kernel(module, out, &why);
    if (!r.ok())
        return {r.status(), {}, why};
    out.resize(*r);
    return {Status::Ok, out, why};
}

TEST(PayloadFormat, Magics) {
    EXPECT_EQ(detect_payload_format(Bytes{0x7F, 'E', 'L', 'F', 2}), PayloadFormat::Elf);
    EXPECT_EQ(detect_payload_format(Bytes{0xFD, '7', 'z', 'X', 'Z', 0}), PayloadFormat::Xz);
    EXPECT_EQ(detect_payload_format(Bytes{0xFD, '7', 'z', 'X', 'Z'}), PayloadFormat::Unknown);
    EXPECT_EQ(detect_payload_format(Bytes{0x1F, 0x8B, 8}), PayloadFormat::Gzip);
    EXPECT_EQ(detect_payload_format(Bytes{'B', 'Z', 'h', '9'}), PayloadFormat::Bzip2);
    EXPECT_EQ(detect_payload_format(Bytes{0x5D, 0, 0, 0x80}), PayloadFormat::Lzma);
    EXPECT_EQ(detect_payload_format(Bytes{0x89, 'L', 'Z', 'O'}), PayloadFormat::Lzo);
    EXPECT_EQ(detect_payload_format(Bytes{0x02, 0x21, 0x4C, 0x18}), PayloadFormat::Lz4);
    EXPECT_EQ(detect_payload_format(Bytes{0x28, 0xB5, 0x2F, 0xFD}), PayloadFormat::Zstd);
    EXPECT_EQ(detect_payload_format(Bytes{}), PayloadFormat::Unknown);
    EXPECT_STREQ(payload_format_name(PayloadFormat::Zstd), "zstd");
}

TEST(BzImage, XzPayloadMadeByXzWithLinuxFlags) {
    const Bytes reference = gunzip(image_test::read_data("true.gz"));
    const Bytes bz = make_bzimage(with_size(image_test::read_data("true.x86.xz"), reference.size()));
    auto located = locate_kernel_payload(bz, nullptr);
    ASSERT_TRUE(located.ok());
    EXPECT_TRUE(located->in_bzimage);
    EXPECT_EQ(located->format, PayloadFormat::Xz);
    EXPECT_EQ(unpacked_size_hint(bz).value_or(0), reference.size());
    auto u = unpack(bz);
    ASSERT_EQ(u.status, Status::Ok) << u.why;
    EXPECT_EQ(u.bytes, reference);
    EXPECT_EQ(unpack(bz, reference.size()).status, Status::Ok);
    EXPECT_EQ(unpack(bz, reference.size() - 1).status, Status::NoSpace);
}

TEST(BzImage, FullPathToXenImageInfo) {
    const auto builder = ElfBuilder::linux_like();
    const Bytes elf = builder.build();
    image_test::XzBuilder xz;
    xz.blocks = {elf};
    const Bytes bz = make_bzimage(with_size(xz.build(), elf.size()));
    auto hint = unpacked_size_hint(bz);
    ASSERT_TRUE(hint.ok());
    ASSERT_EQ(*hint, elf.size());
    Bytes out(*hint);
    const char* why = nullptr;
    auto n = unpack_kernel(bz, out, &why);
    ASSERT_TRUE(n.ok()) << why;
    EXPECT_EQ(out, elf);
    auto info = parse_xen_image(std::span<const uint8_t>(out.data(), *n), &why);
    ASSERT_TRUE(info.ok()) << why;
    EXPECT_EQ(info->entry, 0xffffffff81003010u);
}

TEST(BzImage, GzipPayloadAndSetupSectsZero) {
    const Bytes gz = image_test::read_data("true.gz");
    const Bytes reference = gunzip(gz);
    for (uint8_t setup_sects : {uint8_t{0}, uint8_t{4}, uint8_t{27}}) {
        const Bytes bz = make_bzimage(gz, setup_sects, 0x0208, 0x100);
        EXPECT_EQ(unpacked_size_hint(bz).value_or(0), reference.size());
        auto u = unpack(bz);
        ASSERT_EQ(u.status, Status::Ok) << u.why;
        EXPECT_EQ(u.bytes, reference);
    }
}

TEST(BzImage, UnsupportedOrBrokenHeaders) {
    const Bytes xz = image_test::read_data("true.x86.xz");
    auto why_of = [](const Bytes& m) {
        const char* why = nullptr;
        auto r = locate_kernel_payload(m, &why);
        EXPECT_FALSE(r.ok());
        return std::string(why ? why : "");
    };
    EXPECT_EQ(why_of(make_bzimage(xz, 39, 0x0207)), "bzImage: boot protocol older than 2.08 (no payload fields)");
    Bytes outside = make_bzimage(xz);
    outside[0x24F] = 0x10;  // payload_length 256 MiB
    EXPECT_EQ(why_of(outside), "bzImage: payload outside the image");
    for (const Bytes& magic : {Bytes{'B', 'Z', 'h', '9'}, Bytes{0x5D, 0, 0, 0x80}, Bytes{0x89, 'L', 'Z', 'O'},
                               Bytes{0x02, 0x21, 0x4C, 0x18}, Bytes{0x28, 0xB5, 0x2F, 0xFD}}) {
        Bytes payload = magic;
        payload.resize(64, 0);
        const Bytes bz = make_bzimage(payload);
        const char* why = nullptr;
        Bytes out(100);
        auto r = unpack_kernel(bz, out, &why);
        EXPECT_EQ(r.status(), Status::NotSupported);
        EXPECT_STREQ(why, "bzImage: payload compression not supported (only xz and gzip)");
        EXPECT_EQ(unpacked_size_hint(bz).status(), Status::NotSupported);
    }
    EXPECT_EQ(why_of(make_bzimage(Bytes(64, 0x33))), "bzImage: unrecognised payload compression");
    EXPECT_EQ(why_of(Bytes(0x300, 0)), "kernel: neither an ELF, a bzImage nor an xz/gzip file");
    EXPECT_EQ(why_of(Bytes{}), "kernel: neither an ELF, a bzImage nor an xz/gzip file");
}

TEST(KernelModule, RawElfXzAndGzip) {
    const Bytes elf = ElfBuilder::linux_like().build();
    EXPECT_EQ(unpacked_size_hint(elf).value_or(0), elf.size());
    EXPECT_EQ(unpack(elf).bytes, elf);
    EXPECT_EQ(unpack(elf, elf.size() - 1).status, Status::NoSpace);

    const Bytes reference = gunzip(image_test::read_data("true.gz"));
    for (const char* name : {"true.xz", "true.gz", "true.blocks.xz"}) {
        const Bytes module = image_test::read_data(name);
        EXPECT_EQ(unpacked_size_hint(module).value_or(0), reference.size()) << name;
        auto u = unpack(module);
        ASSERT_EQ(u.status, Status::Ok) << name << ": " << u.why;
        EXPECT_EQ(u.bytes, reference) << name;
    }
    // A bare file must be whole: trailing bytes are an error there (unlike in a bzImage).
    Bytes trailing = image_test::read_data("true.xz");
    image_test::put_le(trailing, 35664, 4);
    EXPECT_NE(unpack(trailing).status, Status::Ok);
}

TEST(BzImage, CorruptPayloadFailsCleanly) {
    const Bytes reference = gunzip(image_test::read_data("true.gz"));
    const Bytes good = make_bzimage(with_size(image_test::read_data("true.x86.xz"), reference.size()));
    const size_t payload_at = 40 * 512 + 0x2CC;
    for (size_t i = payload_at; i < payload_at + 400; i += 3) {
        Bytes bad = good;
        bad[i] ^= 0x20;
        EXPECT_NE(unpack(bad).status, Status::Ok) << i;
    }
}

// ---- The real Debian kernel, if there is one on this machine ----

std::string find_debian_kernel() {
    namespace fs = std::filesystem;
    if (const char* env = std::getenv("HV_TEST_VMLINUZ"))
        return fs::exists(env) ? env : "";
    std::vector<fs::path> dirs = {"/boot"};
    std::error_code ec;
    for (const auto& d : fs::directory_iterator("/tmp", ec))
        if (d.is_directory(ec) && fs::exists(d.path() / "boot", ec))
            dirs.push_back(d.path() / "boot");
    for (const auto& dir : dirs)
        for (const auto& f : fs::directory_iterator(dir, ec))
            if (f.path().filename().string().rfind("vmlinuz-6.1.0-", 0) == 0 &&
                f.path().filename().string().find("amd64") != std::string::npos)
                return f.path().string();
    return "";
}

TEST(DebianKernel, UnpackParseAndLoad) {
    const std::string path = find_debian_kernel();
    if (path.empty())
        GTEST_SKIP() << "no vmlinuz-6.1.0-*-amd64 (set HV_TEST_VMLINUZ; see tests/host/data/image/README.md)";
    const Bytes module = image_test::read_file(path);
    ASSERT_GT(module.size(), 1u << 20) << path;

    // §1.2: a bzImage with an XZ payload.
    auto payload = locate_kernel_payload(module, nullptr);
    ASSERT_TRUE(payload.ok());
    EXPECT_TRUE(payload->in_bzimage);
    EXPECT_EQ(payload->format, PayloadFormat::Xz);
    const char* why = nullptr;
    auto hint = unpacked_size_hint(module, &why);
    ASSERT_TRUE(hint.ok()) << why;
    // Linux's appended size agrees with the XZ index.
    const uint8_t* tail = payload->data.data() + payload->data.size() - 4;
    EXPECT_EQ(*hint, size_t{tail[0]} | size_t{tail[1]} << 8 | size_t{tail[2]} << 16 | size_t{tail[3]} << 24);

    std::unique_ptr<uint8_t[]> out(new uint8_t[*hint]);
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    auto n = unpack_kernel(module, std::span<uint8_t>(out.get(), *hint), &why);
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(n.ok()) << why;
    ASSERT_EQ(*n, *hint);
    std::printf("[ info ] %s: %zu -> %zu bytes, %.3f s CPU (%.1f MB/s), %.3f s wall (this build's flags)\n",
                path.c_str(), payload->data.size(), *n, cpu, static_cast<double>(*n) / cpu / 1e6, wall);
    const std::span<const uint8_t> vmlinux(out.get(), *n);

    auto parsed = parse_xen_image(vmlinux, &why);
    ASSERT_TRUE(parsed.ok()) << why;
    const XenImageInfo& i = *parsed;
    EXPECT_EQ(check_dom0_allowed(i, nullptr), Status::Ok);

    // Invariants that hold for every Debian 6.1 PV kernel (spec §1.3-1.4).
    EXPECT_EQ(i.virt_base, 0xffffffff80000000u);
    EXPECT_EQ(i.paddr_offset, 0u);
    EXPECT_EQ(i.virt_offset, 0xffffffff80000000u);
    EXPECT_EQ(i.pstart, 0x1000000u);
    EXPECT_EQ(i.virt_kstart, 0xffffffff81000000u);
    EXPECT_EQ(i.virt_kend, i.pend + i.virt_offset);
    EXPECT_LE(i.virt_kstart, i.entry);
    EXPECT_LT(i.entry, i.virt_kend);
    EXPECT_NE(i.entry, 0x1000000u);  // not the bare-metal e_entry
    EXPECT_TRUE(i.has_init_p2m);
    EXPECT_EQ(i.init_p2m, 0x8000000000u);
    EXPECT_TRUE(i.mod_start_pfn);
    EXPECT_TRUE(i.pae_yes);
    EXPECT_TRUE(i.loader_generic);
    EXPECT_STREQ(i.guest_os, "linux");
    EXPECT_STREQ(i.guest_version, "2.6");
    EXPECT_STREQ(i.xen_version, "xen-3.0");
    EXPECT_STREQ(i.features, "!writable_page_tables|pae_pgdir_above_4gb");
    EXPECT_TRUE(i.requires_feature(xen::Feature::writable_page_tables));
    EXPECT_TRUE(i.declares_feature(xen::Feature::pae_pgdir_above_4gb));
    EXPECT_TRUE(i.has_supported_features);
    EXPECT_EQ(i.supported_features, 0x8801u);
    EXPECT_FALSE(i.has_hypercall_page);  // XSA-466 backport (spec §0.1)

    if (path.find("6.1.0-56-amd64") != std::string::npos) {  // the exact kernel of the spec
        EXPECT_EQ(*n, 65906612u);
        EXPECT_EQ(i.entry, 0xffffffff830791c0u);
        EXPECT_EQ(i.pend, 0x4a00000u);
        EXPECT_EQ(i.virt_kend, 0xffffffff84a00000u);
    }

    // Load and spot-check: the entry bytes come from the segment holding it (by p_paddr),
    // and memory past the last segment's file bytes (.bss/.brk) is zero.
    Bytes image(i.virt_kend - i.virt_kstart, 0xCC);
    ASSERT_EQ(load_segments(vmlinux, i, image, &why), Status::Ok) << why;
    const uint8_t* elf = vmlinux.data();
    uint64_t phoff;
    uint16_t phnum;
    std::memcpy(&phoff, elf + 32, 8);
    std::memcpy(&phnum, elf + 56, 2);
    bool checked_entry = false;
    for (uint16_t k = 0; k < phnum; ++k) {
        const uint8_t* ph = elf + phoff + 56 * k;
        uint32_t type;
        uint64_t f[6];  // offset vaddr paddr filesz memsz align
        std::memcpy(&type, ph, 4);
        std::memcpy(f, ph + 8, sizeof f);
        if (type != 1)
            continue;
        const uint64_t dest = f[2] + i.virt_offset - i.virt_kstart;
        EXPECT_EQ(std::memcmp(image.data() + dest, elf + f[0], std::min<uint64_t>(f[3], 4096)), 0);
        if (i.entry >= f[2] + i.virt_offset && i.entry < f[2] + i.virt_offset + f[3]) {
            const uint64_t at = i.entry - i.virt_kstart;
            EXPECT_EQ(std::memcmp(image.data() + at, elf + f[0] + (at - dest), 16), 0);
            checked_entry = true;
        }
        if (f[4] > f[3])
            EXPECT_TRUE(std::all_of(image.begin() + dest + f[3], image.begin() + dest + f[4],
                                    [](uint8_t c) { return c == 0; }));
    }
    EXPECT_TRUE(checked_entry);
}

}  // namespace
