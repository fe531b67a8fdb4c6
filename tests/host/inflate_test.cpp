// DEFLATE (RFC 1951) and gzip (RFC 1952) decoders: files made by `gzip`, vectors from
// zlib, and hand-assembled bit streams for the error paths.
#include <gtest/gtest.h>

#include <memory>

#include "image/crc.hpp"
#include "image/gzip.hpp"
#include "image/inflate.hpp"
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

Decoded gunzip(const Bytes& in, size_t capacity = 200000) {
    std::unique_ptr<uint8_t[]> out(new uint8_t[capacity]);
    const char* why = nullptr;
    auto r = gzip_decode(in, std::span<uint8_t>(out.get(), capacity), &why);
    if (!r.ok())
        return {r.status(), {}, why};
    return {Status::Ok, Bytes(out.get(), out.get() + *r), why};
}

Decoded raw_inflate(const Bytes& in, size_t capacity = 1024, size_t out_pos = 0) {
    Bytes out(capacity, 0xAA);
    const char* why = nullptr;
    auto r = inflate(in, out, out_pos, &why);
    if (!r.ok())
        return {r.status(), {}, why};
    return {Status::Ok, Bytes(out.begin() + out_pos, out.begin() + r->end), why};
}

// Writes a deflate bit stream: fields LSB first, Huffman codes MSB first (RFC 1951 3.1.1).
struct BitWriter {
    Bytes bytes;
    unsigned used = 8;
    void bit(unsigned b) {
        if (used == 8) {
            bytes.push_back(0);
            used = 0;
        }
        bytes.back() |= static_cast<uint8_t>((b & 1) << used++);
    }
    void field(uint32_t value, unsigned n) {
        for (unsigned i = 0; i < n; ++i)
            bit(value >> i);
    }
    void code(uint32_t value, unsigned n) {
        for (unsigned i = n; i-- > 0;)
            bit(value >> i);
    }
    // Fixed literal/length code (RFC 1951 3.2.6).
    void fixed_symbol(unsigned s) {
        if (s < 144)
            code(0x30 + s, 8);
        else if (s < 256)
            code(0x190 + s - 144, 9);
        else if (s < 280)
            code(s - 256, 7);
        else
            code(0xC0 + s - 280, 8);
    }
};

TEST(Inflate, ZlibVectors) {
    EXPECT_EQ(raw_inflate({0x4B, 0x04, 0x00}).bytes, (Bytes{'a'}));
    const std::string hello = "hello hello hello hello\n";
    EXPECT_EQ(raw_inflate({0xCB, 0x48, 0xCD, 0xC9, 0xC9, 0x57, 0xC8, 0x40, 0x27, 0xB9, 0x00}).bytes,
              Bytes(hello.begin(), hello.end()));
    auto empty = raw_inflate({0x03, 0x00});
    EXPECT_EQ(empty.status, Status::Ok);
    EXPECT_TRUE(empty.bytes.empty());
}

TEST(Inflate, ConsumedStopsAtTheFinalBlock) {
    Bytes in = {0x4B, 0x04, 0x00, 0xDE, 0xAD};
    Bytes out(4);
    auto r = inflate(in, out, 0, nullptr);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->consumed, 3u);
    EXPECT_EQ(r->end, 1u);
}

TEST(Inflate, FixedHuffmanOverlappingMatch) {
    BitWriter w;
    w.field(1, 1);  // final
    w.field(1, 2);  // fixed
    w.fixed_symbol('x');
    w.fixed_symbol(265);  // length 11 + 1 extra bit
    w.field(1, 1);        // -> 12
    w.code(0, 5);         // distance 1
    w.fixed_symbol(256);
    auto d = raw_inflate(w.bytes);
    ASSERT_EQ(d.status, Status::Ok) << d.why;
    EXPECT_EQ(d.bytes, Bytes(13, 'x'));
}

TEST(Inflate, DistanceBeforeStartIsRefused) {
    BitWriter w;
    w.field(1, 1);
    w.field(1, 2);
    w.fixed_symbol(257);  // length 3
    w.code(0, 5);         // distance 1, but nothing written yet
    w.fixed_symbol(256);
    EXPECT_STREQ(raw_inflate(w.bytes).why, "inflate: distance reaches before the start");
    // Also when there is data before out_pos: members are independent.
    EXPECT_STREQ(raw_inflate(w.bytes, 64, 10).why, "inflate: distance reaches before the start");
}

TEST(Inflate, InvalidSymbolsAndBlockTypes) {
    EXPECT_STREQ(raw_inflate({0x07}).why, "inflate: invalid block type");
    BitWriter length286;
    length286.field(1, 1);
    length286.field(1, 2);
    length286.fixed_symbol(286);
    EXPECT_STREQ(raw_inflate(length286.bytes).why, "inflate: invalid length symbol");
    BitWriter distance30;
    distance30.field(1, 1);
    distance30.field(1, 2);
    distance30.fixed_symbol('a');
    distance30.fixed_symbol(257);
    distance30.code(30, 5);
    EXPECT_STREQ(raw_inflate(distance30.bytes).why, "inflate: invalid distance symbol");
}

TEST(Inflate, StoredBlocks) {
    Bytes ok = {0x01, 0x03, 0x00, 0xFC, 0xFF, 'a', 'b', 'c'};
    EXPECT_EQ(raw_inflate(ok).bytes, (Bytes{'a', 'b', 'c'}));
    Bytes bad_nlen = {0x01, 0x03, 0x00, 0xFC, 0xFE, 'a', 'b', 'c'};
    EXPECT_STREQ(raw_inflate(bad_nlen).why, "inflate: stored block length check failed");
    Bytes short_data = {0x01, 0x03, 0x00, 0xFC, 0xFF, 'a', 'b'};
    EXPECT_STREQ(raw_inflate(short_data).why, "inflate: truncated stored block");
    EXPECT_EQ(raw_inflate(ok, 2).status, Status::NoSpace);
}

// A dynamic block header: HLIT/HDIST/HCLEN and code-length code lengths as given.
BitWriter dynamic_header(unsigned hlit, unsigned hdist, const std::vector<unsigned>& clen_in_order) {
    BitWriter w;
    w.field(1, 1);
    w.field(2, 2);
    w.field(hlit - 257, 5);
    w.field(hdist - 1, 5);
    w.field(static_cast<uint32_t>(clen_in_order.size() - 4), 4);
    for (unsigned l : clen_in_order)
        w.field(l, 3);
    return w;
}

TEST(Inflate, DynamicHeaderErrors) {
    EXPECT_STREQ(raw_inflate(dynamic_header(287, 1, {0, 0, 0, 0}).bytes).why,
                 "inflate: too many length or distance symbols");
    EXPECT_STREQ(raw_inflate(dynamic_header(257, 31, {0, 0, 0, 0}).bytes).why,
                 "inflate: too many length or distance symbols");
    // Code-length code over-subscribed: three codes of length 1.
    EXPECT_STREQ(raw_inflate(dynamic_header(257, 1, {1, 1, 1, 0}).bytes).why, "inflate: bad code-length code");
    // Order is 16,17,18,0,...: give symbols 16 and 17 one bit each; start with a 16.
    BitWriter repeat_first = dynamic_header(257, 1, {1, 1, 0, 0});
    repeat_first.code(0, 1);  // symbol 16 (code 0)
    repeat_first.field(0, 2);
    EXPECT_STREQ(raw_inflate(repeat_first.bytes).why, "inflate: repeat with no previous length");
    // Only zeros (17 = code 1, repeat 3 + 7 = 10 each ...): no end-of-block code.
    BitWriter zeros = dynamic_header(257, 1, {1, 1, 0, 0});
    for (int i = 0; i < 26; ++i) {
        zeros.code(1, 1);  // 17
        zeros.field(7, 3);  // 10 zeros
    }
    zeros.code(1, 1);
    zeros.field(5, 3);  // 8 more: 268 > 258 -> overflow
    EXPECT_STREQ(raw_inflate(zeros.bytes).why, "inflate: code lengths overflow the alphabet");
    BitWriter no_eob = dynamic_header(257, 1, {1, 1, 0, 0});
    for (int i = 0; i < 25; ++i) {
        no_eob.code(1, 1);
        no_eob.field(7, 3);
    }
    no_eob.code(1, 1);
    no_eob.field(5, 3);  // 250 + 8 = 258 lengths, all zero
    EXPECT_STREQ(raw_inflate(no_eob.bytes).why, "inflate: no end-of-block code");
}

TEST(Gzip, FilesFromTheGzipTool) {
    auto t = gunzip(image_test::read_data("true.gz"));
    ASSERT_EQ(t.status, Status::Ok) << t.why;
    EXPECT_EQ(t.bytes.size(), 35664u);
    EXPECT_EQ(gzip_last_member_size(image_test::read_data("true.gz"), nullptr).value_or(0), 35664u);

    auto named = gunzip(image_test::read_data("seq.named.gz"));
    ASSERT_EQ(named.status, Status::Ok) << named.why;
    EXPECT_EQ(named.bytes, image_test::seq_text(1, 10000));

    const Bytes multi = image_test::read_data("seq.multimember.gz");
    auto m = gunzip(multi);
    ASSERT_EQ(m.status, Status::Ok) << m.why;
    EXPECT_EQ(m.bytes, image_test::seq_text(1, 10000));
    EXPECT_EQ(gzip_last_member_size(multi, nullptr).value_or(0), image_test::seq_text(5001, 10000).size());

    auto r = gunzip(image_test::read_data("random.gz"));
    ASSERT_EQ(r.status, Status::Ok) << r.why;
    EXPECT_EQ(r.bytes.size(), 8192u);

    auto e = gunzip(image_test::read_data("empty.gz"), 0);
    ASSERT_EQ(e.status, Status::Ok) << e.why;
    EXPECT_TRUE(e.bytes.empty());
}

TEST(Gzip, StoredMembersAndOptionalHeaderFields) {
    const Bytes data = image_test::seq_text(1, 20000);  // > 64 KiB: two stored blocks
    EXPECT_EQ(gunzip(image_test::gzip_stored(data)).bytes, data);

    Bytes g = image_test::gzip_stored({'h', 'i'});
    Bytes header = {0x1F, 0x8B, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3, 2, 0, 'x', 'y', 'n', 0, 'c', 0};
    image_test::put_le(header, hv::image::crc32(header) & 0xFFFF, 2);
    Bytes full = header;
    full.insert(full.end(), g.begin() + 10, g.end());
    EXPECT_EQ(gunzip(full).bytes, (Bytes{'h', 'i'}));

    Bytes bad_hcrc = full;
    bad_hcrc[18] ^= 1;
    EXPECT_STREQ(gunzip(bad_hcrc).why, "gzip: header CRC mismatch");
    Bytes reserved = g;
    reserved[3] = 0x20;
    EXPECT_STREQ(gunzip(reserved).why, "gzip: reserved header flags set");
    Bytes method = g;
    method[2] = 7;
    EXPECT_EQ(gunzip(method).status, Status::NotSupported);
    Bytes unterminated = {0x1F, 0x8B, 8, 0x08, 0, 0, 0, 0, 0, 3, 'n', 'a', 'm', 'e'};
    EXPECT_STREQ(gunzip(unterminated).why, "gzip: unterminated file name");
}

TEST(Gzip, CrcAndSizeMismatch) {
    Bytes g = image_test::gzip_stored({'a', 'b', 'c'});
    Bytes crc = g;
    crc[crc.size() - 8] ^= 1;
    EXPECT_STREQ(gunzip(crc).why, "gzip: CRC32 mismatch (corrupt data)");
    Bytes isize = g;
    isize[isize.size() - 1] ^= 1;
    EXPECT_STREQ(gunzip(isize).why, "gzip: ISIZE mismatch");
    Bytes trailing = g;
    trailing.push_back(0);
    EXPECT_NE(gunzip(trailing).status, Status::Ok);
}

TEST(Gzip, OutputTooSmallIsNoSpace) {
    const Bytes file = image_test::read_data("true.gz");
    for (size_t capacity : {size_t{0}, size_t{100}, size_t{35663}})
        EXPECT_EQ(gunzip(file, capacity).status, Status::NoSpace) << capacity;
    EXPECT_EQ(gunzip(file, 35664).status, Status::Ok);
}

TEST(Gzip, EveryTruncationFails) {
    const Bytes file = image_test::read_data("true.gz");
    for (size_t n = 0; n < file.size(); n += (n < 64 || file.size() - n < 64) ? 1 : 37)
        EXPECT_NE(gunzip(Bytes(file.begin(), file.begin() + n)).status, Status::Ok) << n;
}

TEST(Gzip, CorruptionInDataOrTrailerIsDetected) {
    // MTIME/XFL/OS are not covered by anything, and the last deflate byte may hold unused
    // padding bits; every other byte of a `gzip -n` file is.
    const Bytes file = image_test::read_data("true.gz");
    for (size_t i = 10; i < file.size(); i += (file.size() - i < 64) ? 1 : 17) {
        if (i == file.size() - 9)
            continue;
        for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
            Bytes bad = file;
            bad[i] ^= flip;
            EXPECT_NE(gunzip(bad).status, Status::Ok) << "offset " << i << " xor " << int(flip);
        }
    }
}

}  // namespace
