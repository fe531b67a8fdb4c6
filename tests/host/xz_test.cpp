// XZ container + LZMA2 + x86 BCJ decoder, against files made by the real `xz` tool
// (tests/host/data/image, see its README) and streams built byte by byte.
#include <gtest/gtest.h>

#include <memory>

#include "image/bcj_x86.hpp"
#include "image/crc.hpp"
#include "image/gzip.hpp"
#include "image/xz_decoder.hpp"
#include "image_test_support.hpp"

namespace {

using hv::Status;
using image_test::Bytes;
using namespace hv::image;

struct Decoded {
    Status status;
    Bytes bytes;
    const char* why;
};

// Decodes into a buffer of `capacity` bytes (a separate heap block, so ASan sees overruns).
Decoded xz(const Bytes& in, size_t capacity = 200000) {
    auto scratch = std::make_unique<LzmaDecoder>();
    std::unique_ptr<uint8_t[]> out(new uint8_t[capacity]);
    const char* why = nullptr;
    auto r = xz_decode(in, std::span<uint8_t>(out.get(), capacity), *scratch, &why);
    if (!r.ok())
        return {r.status(), {}, why};
    return {Status::Ok, Bytes(out.get(), out.get() + *r), why};
}

Bytes gunzip(const Bytes& in) {
    Bytes out(1 << 20);
    const char* why = nullptr;
    auto r = gzip_decode(in, out, &why);
    EXPECT_TRUE(r.ok()) << why;
    out.resize(r.value_or(0));
    return out;
}

TEST(Crc, KnownVectors) {
    const Bytes check = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    EXPECT_EQ(crc32(check), 0xCBF43926u);
    EXPECT_EQ(crc64(check), 0x995DC9BBDF1939FAull);
    EXPECT_EQ(crc32({}), 0u);
    // Incremental equals one-shot.
    std::span<const uint8_t> s(check);
    EXPECT_EQ(crc32_update(crc32(s.first(4)), s.subspan(4)), crc32(s));
    EXPECT_EQ(crc64_update(crc64(s.first(4)), s.subspan(4)), crc64(s));
}

TEST(XzFiles, LinuxKernelFlagsBcjLzma2Crc32) {
    const Bytes reference = gunzip(image_test::read_data("true.gz"));
    ASSERT_EQ(reference.size(), 35664u);
    const Bytes file = image_test::read_data("true.x86.xz");
    auto d = xz(file);
    ASSERT_EQ(d.status, Status::Ok) << d.why;
    EXPECT_EQ(d.bytes, reference);
    auto size = xz_uncompressed_size(file, nullptr);
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(*size, reference.size());
}

TEST(XzFiles, DefaultsMultiBlockAndStartOffset) {
    const Bytes reference = gunzip(image_test::read_data("true.gz"));
    for (const char* name : {"true.xz", "true.blocks.xz", "true.x86start.xz"}) {
        auto d = xz(image_test::read_data(name));
        ASSERT_EQ(d.status, Status::Ok) << name << ": " << d.why;
        EXPECT_EQ(d.bytes, reference) << name;
    }
}

TEST(XzFiles, BcjReallyMatters) {
    // Decoding the BCJ file's LZMA2 layer alone must differ from the reference, or the
    // BCJ tests above would prove nothing.
    const Bytes reference = gunzip(image_test::read_data("true.gz"));
    Bytes filtered = reference;
    bcj_x86_decode(filtered, 0);
    EXPECT_NE(filtered, reference);
}

TEST(XzFiles, MultiStreamWithPaddingAndCheckNone) {
    const Bytes file = image_test::read_data("seq.multistream.xz");
    auto d = xz(file);
    ASSERT_EQ(d.status, Status::Ok) << d.why;
    EXPECT_EQ(d.bytes, image_test::seq_text(1, 10000));
    auto size = xz_uncompressed_size(file, nullptr);
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(*size, d.bytes.size());
}

TEST(XzFiles, StoredChunksFromIncompressibleData) {
    auto d = xz(image_test::read_data("random.xz"));
    ASSERT_EQ(d.status, Status::Ok) << d.why;
    EXPECT_EQ(d.bytes, gunzip(image_test::read_data("random.gz")));
}

TEST(XzFiles, EmptyInputFile) {
    const Bytes file = image_test::read_data("empty.xz");
    auto d = xz(file, 0);
    ASSERT_EQ(d.status, Status::Ok) << d.why;
    EXPECT_TRUE(d.bytes.empty());
    EXPECT_EQ(xz_uncompressed_size(file, nullptr).value_or(99), 0u);
}

TEST(XzFiles, Sha256IsNotSupportedButSizeIsKnown) {
    const Bytes file = image_test::read_data("seq100.sha256.xz");
    auto d = xz(file);
    EXPECT_EQ(d.status, Status::NotSupported);
    EXPECT_STREQ(d.why, "xz: SHA-256 check is not supported");
    EXPECT_EQ(xz_uncompressed_size(file, nullptr).value_or(0), image_test::seq_text(1, 100).size());
}

TEST(XzErrors, ZeroLengthAndGarbage) {
    EXPECT_EQ(xz({}).status, Status::InvalidArgument);
    EXPECT_EQ(xz(Bytes(64, 0)).status, Status::InvalidArgument);
    EXPECT_FALSE(xz_uncompressed_size({}, nullptr).ok());
    EXPECT_FALSE(xz_uncompressed_size(Bytes(64, 0), nullptr).ok());
}

TEST(XzErrors, OutputTooSmallIsNoSpace) {
    const Bytes file = image_test::read_data("true.x86.xz");
    for (size_t capacity : {size_t{0}, size_t{1}, size_t{4096}, size_t{35663}}) {
        auto d = xz(file, capacity);
        EXPECT_EQ(d.status, Status::NoSpace) << capacity;
    }
    EXPECT_EQ(xz(image_test::read_data("random.xz"), 8191).status, Status::NoSpace);
    EXPECT_EQ(xz(file, 35664).status, Status::Ok);
}

TEST(XzErrors, EveryTruncationFails) {
    const Bytes file = image_test::read_data("true.x86.xz");
    for (size_t n = 0; n < file.size(); n += (n < 256 || file.size() - n < 256) ? 1 : 61) {
        Bytes cut(file.begin(), file.begin() + n);
        EXPECT_NE(xz(cut).status, Status::Ok) << "length " << n;
    }
}

TEST(XzErrors, EverySingleByteCorruptionIsDetected) {
    // Every byte of an .xz file is covered by a CRC, a magic, a zero-padding rule or the
    // LZMA2 decoder itself: any change must be refused, never crash, never pass.
    const Bytes file = image_test::read_data("true.x86.xz");
    for (size_t i = 0; i < file.size(); i += (i < 128 || file.size() - i < 256) ? 1 : 29) {
        for (uint8_t flip : {uint8_t{0x01}, uint8_t{0xFF}}) {
            Bytes bad = file;
            bad[i] ^= flip;
            auto d = xz(bad);
            EXPECT_NE(d.status, Status::Ok) << "offset " << i << " xor " << int(flip);
            EXPECT_NE(d.why, nullptr);
        }
    }
}

TEST(XzErrors, CheckMismatchIsReported) {
    Bytes file = image_test::read_data("true.xz");  // CRC64
    // Layout of a one-block stream: ... block check (8) | index | footer (12). Flip the
    // first byte of the CRC64: find it by walking back from the index.
    auto size = xz_uncompressed_size(file, nullptr);
    ASSERT_TRUE(size.ok());
    const uint8_t* footer = file.data() + file.size() - 12;
    const uint32_t backward = footer[4] | footer[5] << 8 | footer[6] << 16 | footer[7] << 24;
    const size_t index_at = file.size() - 12 - (size_t{backward} + 1) * 4;
    file[index_at - 8] ^= 0x40;
    auto d = xz(file);
    EXPECT_EQ(d.status, Status::InvalidArgument);
    EXPECT_STREQ(d.why, "xz: block check mismatch (corrupt data)");
}

TEST(XzBuilt, StoredBlocksAllCheckTypesAndHeaderSizes) {
    const Bytes a = image_test::seq_text(1, 30000), b = image_test::seq_text(5, 9);  // a > 64 KiB: 3 chunks
    for (unsigned check : {0u, 1u, 4u}) {
        for (bool sizes : {false, true}) {
            image_test::XzBuilder builder;
            builder.check = check;
            builder.sizes_in_header = sizes;
            builder.blocks = {a, b, {}};
            auto d = xz(builder.build());
            ASSERT_EQ(d.status, Status::Ok) << check << " " << sizes << " " << d.why;
            Bytes both = a;
            both.insert(both.end(), b.begin(), b.end());
            EXPECT_EQ(d.bytes, both);
            EXPECT_EQ(xz_uncompressed_size(builder.build(), nullptr).value_or(0), both.size());
        }
    }
}

TEST(XzBuilt, BcjFilterIsAppliedPerBlock) {
    // "call absolute 0" at offset 0 of a block decodes to "call rel -5".
    Bytes encoded = {0xE8, 0x00, 0x00, 0x00, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90};
    image_test::XzBuilder builder;
    builder.x86_filter = true;
    const Bytes one = {0xE8, 0xFB, 0xFF, 0xFF, 0xFF, 0x90, 0x90, 0x90, 0x90, 0x90};
    builder.blocks = {encoded, encoded};
    builder.decoded = {one, one};
    auto d = xz(builder.build());
    ASSERT_EQ(d.status, Status::Ok) << d.why;
    Bytes both = one;
    both.insert(both.end(), one.begin(), one.end());
    EXPECT_EQ(d.bytes, both);
}

TEST(XzBuilt, ContainerInconsistenciesAreRefused) {
    const Bytes data = image_test::seq_text(1, 100);
    auto status_of = [](const image_test::XzBuilder& b) { return xz(b.build()); };
    image_test::XzBuilder base;
    base.blocks = {data};

    auto wrong_index = base;
    wrong_index.index_uncompressed_delta = 1;
    EXPECT_STREQ(status_of(wrong_index).why, "xz: index does not match the blocks");

    auto wrong_backward = base;
    wrong_backward.backward_size_delta = 1;
    EXPECT_EQ(status_of(wrong_backward).status, Status::InvalidArgument);

    auto reserved_check = base;
    reserved_check.check = 2;
    EXPECT_EQ(status_of(reserved_check).status, Status::NotSupported);

    auto delta = base;
    delta.extra_filter = {0x03, 0x01, 0x00};  // Delta filter, distance 1
    EXPECT_EQ(status_of(delta).status, Status::NotSupported);

    auto arm = base;
    arm.extra_filter = {0x07, 0x00};  // ARM BCJ
    EXPECT_EQ(status_of(arm).status, Status::NotSupported);

    auto no_dict_reset = base;
    Bytes chunk = image_test::lzma2_stored(data);
    chunk[0] = 0x02;
    no_dict_reset.raw_lzma2 = {chunk};
    EXPECT_STREQ(status_of(no_dict_reset).why, "LZMA2: first chunk does not reset the dictionary");

    auto bad_control = base;
    chunk[0] = 0x03;
    bad_control.raw_lzma2 = {chunk};
    EXPECT_STREQ(status_of(bad_control).why, "LZMA2: invalid control byte");

    auto lzma_without_props = base;
    lzma_without_props.raw_lzma2 = {{0x80, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0, 0x00}};
    EXPECT_EQ(status_of(lzma_without_props).status, Status::InvalidArgument);

    auto sizes = base;
    sizes.sizes_in_header = true;
    Bytes built = sizes.build();
    // Compressed size VLI sits at byte 12 + 2 (header size byte, flags).
    built[14] += 1;
    EXPECT_EQ(xz(built).status, Status::InvalidArgument);  // header CRC now wrong
}

TEST(XzBuilt, TrailingDataAndPadding) {
    image_test::XzBuilder builder;
    builder.blocks = {image_test::seq_text(1, 10)};
    Bytes stream = builder.build();

    Bytes padded = stream;
    padded.insert(padded.end(), 4, 0);
    EXPECT_EQ(xz(padded).status, Status::Ok);

    Bytes badly_padded = stream;
    badly_padded.insert(badly_padded.end(), 3, 0);
    EXPECT_STREQ(xz(badly_padded).why, "xz: stream padding is not a multiple of 4");

    Bytes trailer = stream;
    image_test::put_le(trailer, 0x12345678, 4);  // what a bzImage payload looks like
    EXPECT_NE(xz(trailer).status, Status::Ok);
    auto scratch = std::make_unique<LzmaDecoder>();
    Bytes out(100);
    auto one = xz_decode_stream(trailer, out, 0, *scratch, nullptr);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one->consumed, stream.size());
    EXPECT_EQ(one->end, image_test::seq_text(1, 10).size());
}

TEST(Bcj, LastFourBytesAndImplausibleTargetsStay) {
    Bytes tail = {0x90, 0xE8, 0x00, 0x00, 0x00};  // operand would end past the buffer
    Bytes copy = tail;
    bcj_x86_decode(copy, 0);
    EXPECT_EQ(copy, tail);

    Bytes far = {0xE8, 0x00, 0x00, 0x00, 0x12, 0x90, 0x90, 0x90, 0x90};  // top byte 0x12: not a call
    copy = far;
    bcj_x86_decode(copy, 0);
    EXPECT_EQ(copy, far);

    Bytes start = {0xE8, 0x00, 0x10, 0x00, 0x00, 0x90, 0x90, 0x90, 0x90};  // absolute 0x1000
    bcj_x86_decode(start, 0x1000 - 5);  // instruction ends exactly at 0x1000 -> rel 0
    EXPECT_EQ(start, (Bytes{0xE8, 0, 0, 0, 0, 0x90, 0x90, 0x90, 0x90}));
}

}  // namespace
