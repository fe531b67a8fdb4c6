#include "image/xz_decoder.hpp"

#include "image/bcj_x86.hpp"
#include "image/decode_support.hpp"
#include "image/crc.hpp"
#include "image/lzma2_decoder.hpp"

namespace hv::image {
namespace {

constexpr size_t kStreamHeaderSize = 12, kStreamFooterSize = 12;
constexpr uint8_t kFooterMagic[2] = {'Y', 'Z'};
constexpr unsigned kMaxVliBytes = 9;
constexpr uint64_t kVliMax = ~uint64_t{0} >> 1;

enum class CheckType : uint8_t { None = 0x0, Crc32 = 0x1, Crc64 = 0x4, Sha256 = 0xA };
// Check sizes are fixed by the check id's range even for ids we do not know.
constexpr size_t check_size(unsigned id) { return id == 0 ? 0 : size_t{4} << ((id - 1) / 3); }

enum class FilterId : uint64_t { X86 = 0x04, Lzma2 = 0x21 };
constexpr uint64_t kFilterDelta = 0x03, kFilterBcjLast = 0x0B;  // 0x05-0x0B: other BCJ filters
constexpr uint8_t kLzma2MaxDictionaryByte = 40;

size_t round_up4(size_t n) { return (n + 3) & ~size_t{3}; }

// Variable-length integer: 7 bits a byte, little end first, the high bit says "more".
// At most 9 bytes, and no redundant trailing zero byte.
bool read_vli(std::span<const uint8_t> in, size_t* pos, size_t limit, uint64_t* value) {
    uint64_t v = 0;
    for (unsigned i = 0; i < kMaxVliBytes; ++i) {
        if (*pos >= limit || *pos >= in.size())
            return false;
        const uint8_t b = in[(*pos)++];
        v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
        if ((b & 0x80) == 0) {
            if (b == 0 && i != 0)
                return false;
            *value = v;
            return true;
        }
    }
    return false;
}

bool equal_bytes(const uint8_t* a, const uint8_t* b, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (a[i] != b[i])
            return false;
    return true;
}

// What the blocks of a stream add up to, computed once from the blocks as they are decoded
// and once from the index records: equal summaries mean the index describes the blocks
// (the hash makes a reordering or a compensating pair of errors show up).
struct BlockSummary {
    uint64_t count = 0;
    uint64_t unpadded_total = 0;
    uint64_t uncompressed_total = 0;
    uint64_t blocks_size = 0;  // sum of unpadded sizes rounded up to 4: bytes the blocks occupy
    uint64_t hash = 0;

    bool add(uint64_t unpadded, uint64_t uncompressed) {
        if (unpadded > kVliMax - unpadded_total || uncompressed > kVliMax - uncompressed_total ||
            round_up4(unpadded) > kVliMax - blocks_size)
            return false;
        unpadded_total += unpadded;
        uncompressed_total += uncompressed;
        blocks_size += round_up4(unpadded);
        ++count;
        uint8_t record[16];
        for (int i = 0; i < 8; ++i) {
            record[i] = static_cast<uint8_t>(unpadded >> (8 * i));
            record[8 + i] = static_cast<uint8_t>(uncompressed >> (8 * i));
        }
        hash = crc64_update(hash, record);
        return true;
    }
    bool operator==(const BlockSummary&) const = default;
};

struct StreamFlags {
    uint8_t bytes[2];
    unsigned check() const { return bytes[1] & 0x0F; }
};

// Stream flags are {0x00, check id}; the reserved bits must be clear.
Status read_stream_flags(const uint8_t* at, StreamFlags* flags, const char** why) {
    flags->bytes[0] = at[0];
    flags->bytes[1] = at[1];
    if (at[0] != 0 || (at[1] & 0xF0) != 0)
        return fail(why, Status::NotSupported, "xz: unsupported stream flags");
    return Status::Ok;
}

Status check_supported(unsigned check, const char** why) {
    switch (static_cast<CheckType>(check)) {
    case CheckType::None:
    case CheckType::Crc32:
    case CheckType::Crc64:
        return Status::Ok;
    case CheckType::Sha256:
        return fail(why, Status::NotSupported, "xz: SHA-256 check is not supported");
    }
    return fail(why, Status::NotSupported, "xz: reserved check type");
}

// Parses an index starting at in[0] (the 0x00 indicator) into *summary; returns its size.
Result<size_t> parse_index(std::span<const uint8_t> in, BlockSummary* summary, const char** why) {
    size_t pos = 0;
    if (in.empty() || in[0] != 0)
        return fail(why, Status::InvalidArgument, "xz: index indicator missing");
    ++pos;
    uint64_t count;
    if (!read_vli(in, &pos, in.size(), &count))
        return fail(why, Status::InvalidArgument, "xz: bad index record count");
    // Each record takes at least 2 bytes: a count larger than the input is corrupt.
    if (count > in.size() / 2)
        return fail(why, Status::InvalidArgument, "xz: index record count exceeds input");
    for (uint64_t i = 0; i < count; ++i) {
        uint64_t unpadded, uncompressed;
        if (!read_vli(in, &pos, in.size(), &unpadded) || !read_vli(in, &pos, in.size(), &uncompressed))
            return fail(why, Status::InvalidArgument, "xz: truncated index record");
        if (unpadded == 0 || !summary->add(unpadded, uncompressed))
            return fail(why, Status::InvalidArgument, "xz: index record out of range");
    }
    while (pos % 4 != 0) {
        if (pos >= in.size() || in[pos] != 0)
            return fail(why, Status::InvalidArgument, "xz: bad index padding");
        ++pos;
    }
    if (!in_bounds(pos, 4, in.size()))
        return fail(why, Status::InvalidArgument, "xz: truncated index");
    if (crc32(in.first(pos)) != load_le32(in.data() + pos))
        return fail(why, Status::InvalidArgument, "xz: index CRC32 mismatch");
    return pos + 4;
}

// Validates a stream footer at `at` (12 bytes) and returns the index size it states.
Result<size_t> parse_footer(const uint8_t* at, StreamFlags* flags, const char** why) {
    if (!equal_bytes(at + 10, kFooterMagic, 2))
        return fail(why, Status::InvalidArgument, "xz: stream footer magic missing");
    if (crc32({at + 4, 6}) != load_le32(at))
        return fail(why, Status::InvalidArgument, "xz: stream footer CRC32 mismatch");
    HV_TRY(read_stream_flags(at + 8, flags, why));
    return (size_t{load_le32(at + 4)} + 1) * 4;
}

struct BlockFilters {
    bool x86 = false;
    uint32_t x86_start_offset = 0;
    bool has_compressed_size = false, has_uncompressed_size = false;
    uint64_t compressed_size = 0, uncompressed_size = 0;
};

// Block header: size byte, flags, optional sizes, 1-4 filter flags, zero padding, CRC32.
// Returns the header size.
Result<size_t> parse_block_header(std::span<const uint8_t> in, BlockFilters* block, const char** why) {
    const size_t header_size = (size_t{in[0]} + 1) * 4;
    if (!in_bounds(0, header_size, in.size()))
        return fail(why, Status::InvalidArgument, "xz: truncated block header");
    const size_t crc_at = header_size - 4;
    if (crc32(in.first(crc_at)) != load_le32(in.data() + crc_at))
        return fail(why, Status::InvalidArgument, "xz: block header CRC32 mismatch");
    const uint8_t flags = in[1];
    if (flags & 0x3C)
        return fail(why, Status::NotSupported, "xz: unsupported block flags");
    const unsigned filter_count = (flags & 3) + 1;
    size_t pos = 2;
    if (flags & 0x40) {
        block->has_compressed_size = true;
        if (!read_vli(in, &pos, crc_at, &block->compressed_size) || block->compressed_size == 0)
            return fail(why, Status::InvalidArgument, "xz: bad compressed size in block header");
    }
    if (flags & 0x80) {
        block->has_uncompressed_size = true;
        if (!read_vli(in, &pos, crc_at, &block->uncompressed_size))
            return fail(why, Status::InvalidArgument, "xz: bad uncompressed size in block header");
    }
    for (unsigned f = 0; f < filter_count; ++f) {
        uint64_t id, props_size;
        if (!read_vli(in, &pos, crc_at, &id) || !read_vli(in, &pos, crc_at, &props_size) ||
            props_size > crc_at - pos)
            return fail(why, Status::InvalidArgument, "xz: bad filter flags in block header");
        const uint8_t* props = in.data() + pos;
        pos += props_size;
        const bool last = f + 1 == filter_count;
        if (id == static_cast<uint64_t>(FilterId::Lzma2)) {
            if (!last)
                return fail(why, Status::InvalidArgument, "xz: LZMA2 must be the last filter");
            if (props_size != 1 || props[0] > kLzma2MaxDictionaryByte)
                return fail(why, Status::InvalidArgument, "xz: bad LZMA2 filter properties");
        } else if (id == static_cast<uint64_t>(FilterId::X86)) {
            if (last)
                return fail(why, Status::InvalidArgument, "xz: BCJ filter cannot be the last filter");
            if (block->x86)
                return fail(why, Status::NotSupported, "xz: more than one x86 BCJ filter");
            if (props_size != 0 && props_size != 4)
                return fail(why, Status::InvalidArgument, "xz: bad x86 BCJ filter properties");
            block->x86 = true;
            block->x86_start_offset = props_size == 4 ? load_le32(props) : 0;
        } else if (id == kFilterDelta || (id > static_cast<uint64_t>(FilterId::X86) && id <= kFilterBcjLast)) {
            return fail(why, Status::NotSupported, "xz: filter not supported (only x86 BCJ + LZMA2)");
        } else {
            return fail(why, Status::NotSupported, "xz: unknown filter");
        }
    }
    for (; pos < crc_at; ++pos)
        if (in[pos] != 0)
            return fail(why, Status::InvalidArgument, "xz: nonzero block header padding");
    return header_size;
}

// Verifies the block check stored at `stored` against the decoded bytes.
bool check_matches(unsigned check, std::span<const uint8_t> data, const uint8_t* stored) {
    switch (static_cast<CheckType>(check)) {
    case CheckType::None:
        return true;
    case CheckType::Crc32:
        return crc32(data) == load_le32(stored);
    case CheckType::Crc64:
        return crc64(data) == load_le64(stored);
    default:
        return false;  // refused earlier by check_supported
    }
}

struct BlockOutcome {
    size_t consumed = 0;  // whole block: header, data, padding, check
    size_t end = 0;
};

Result<BlockOutcome> decode_block(std::span<const uint8_t> in, std::span<uint8_t> out, size_t out_pos, unsigned check,
                                  LzmaDecoder& scratch, BlockSummary* summary, const char** why) {
    BlockFilters filters;
    auto header = parse_block_header(in, &filters, why);
    if (!header)
        return header.status();
    const size_t data_at = *header;
    std::span<const uint8_t> data = in.subspan(data_at);
    if (filters.has_compressed_size) {
        if (filters.compressed_size > data.size())
            return fail(why, Status::InvalidArgument, "xz: block compressed size exceeds input");
        data = data.first(filters.compressed_size);
    }
    auto lzma2 = decode_lzma2(data, out, out_pos, scratch, why);
    if (!lzma2)
        return lzma2.status();
    const size_t compressed = lzma2->consumed;
    const size_t end = lzma2->end;
    if (filters.has_compressed_size && compressed != filters.compressed_size)
        return fail(why, Status::InvalidArgument, "xz: block compressed size mismatch");
    if (filters.has_uncompressed_size && end - out_pos != filters.uncompressed_size)
        return fail(why, Status::InvalidArgument, "xz: block uncompressed size mismatch");
    std::span<uint8_t> produced = out.subspan(out_pos, end - out_pos);
    if (filters.x86)
        bcj_x86_decode(produced, filters.x86_start_offset);

    size_t pos = data_at + compressed;
    while (pos % 4 != 0) {
        if (pos >= in.size() || in[pos] != 0)
            return fail(why, Status::InvalidArgument, "xz: bad block padding");
        ++pos;
    }
    const size_t check_bytes = check_size(check);
    if (!in_bounds(pos, check_bytes, in.size()))
        return fail(why, Status::InvalidArgument, "xz: truncated block check");
    if (!check_matches(check, produced, in.data() + pos))
        return fail(why, Status::InvalidArgument, "xz: block check mismatch (corrupt data)");
    if (!summary->add(data_at + compressed + check_bytes, produced.size()))
        return fail(why, Status::InvalidArgument, "xz: stream too large");
    return BlockOutcome{pos + check_bytes, end};
}

}  // namespace

Result<XzStreamOutcome> xz_decode_stream(std::span<const uint8_t> in, std::span<uint8_t> out, size_t out_pos,
                                         LzmaDecoder& scratch, const char** why) {
    if (in.size() < kStreamHeaderSize || !equal_bytes(in.data(), kXzMagic, sizeof kXzMagic))
        return fail(why, Status::InvalidArgument, "xz: stream header magic missing");
    if (crc32(in.subspan(6, 2)) != load_le32(in.data() + 8))
        return fail(why, Status::InvalidArgument, "xz: stream header CRC32 mismatch");
    StreamFlags flags;
    HV_TRY(read_stream_flags(in.data() + 6, &flags, why));
    HV_TRY(check_supported(flags.check(), why));
    if (out_pos > out.size())
        return fail(why, Status::InvalidArgument, "xz: output position beyond buffer");

    BlockSummary blocks;
    size_t ip = kStreamHeaderSize;
    size_t pos = out_pos;
    for (;;) {
        if (ip >= in.size())
            return fail(why, Status::InvalidArgument, "xz: truncated stream");
        if (in[ip] == 0)
            break;  // index indicator
        auto block = decode_block(in.subspan(ip), out, pos, flags.check(), scratch, &blocks, why);
        if (!block)
            return block.status();
        ip += block->consumed;
        pos = block->end;
    }

    BlockSummary indexed;
    auto index_size = parse_index(in.subspan(ip), &indexed, why);
    if (!index_size)
        return index_size.status();
    if (!(indexed == blocks))
        return fail(why, Status::InvalidArgument, "xz: index does not match the blocks");
    ip += *index_size;

    if (!in_bounds(ip, kStreamFooterSize, in.size()))
        return fail(why, Status::InvalidArgument, "xz: truncated stream footer");
    StreamFlags footer_flags;
    auto backward = parse_footer(in.data() + ip, &footer_flags, why);
    if (!backward)
        return backward.status();
    if (*backward != *index_size)
        return fail(why, Status::InvalidArgument, "xz: footer backward size does not match the index");
    if (!equal_bytes(footer_flags.bytes, flags.bytes, 2))
        return fail(why, Status::InvalidArgument, "xz: footer flags differ from header flags");
    return XzStreamOutcome{ip + kStreamFooterSize, pos};
}

Result<size_t> xz_decode(std::span<const uint8_t> in, std::span<uint8_t> out, LzmaDecoder& scratch,
                         const char** why) {
    size_t ip = 0, pos = 0;
    do {
        auto stream = xz_decode_stream(in.subspan(ip), out, pos, scratch, why);
        if (!stream)
            return stream.status();
        ip += stream->consumed;
        pos = stream->end;
        const size_t padding_start = ip;
        while (ip < in.size() && in[ip] == 0)
            ++ip;
        if ((ip - padding_start) % 4 != 0)
            return fail(why, Status::InvalidArgument, "xz: stream padding is not a multiple of 4");
    } while (ip < in.size());
    return pos;
}

Result<uint64_t> xz_uncompressed_size(std::span<const uint8_t> in, const char** why) {
    size_t end = in.size();
    uint64_t total = 0;
    if (end % 4 != 0)
        return fail(why, Status::InvalidArgument, "xz: file size is not a multiple of 4");
    do {
        while (end >= 4 && load_le32(in.data() + end - 4) == 0)
            end -= 4;  // stream padding
        if (end < kStreamHeaderSize + kStreamFooterSize)
            return fail(why, Status::InvalidArgument, "xz: no stream footer");
        StreamFlags flags;
        auto index_size = parse_footer(in.data() + end - kStreamFooterSize, &flags, why);
        if (!index_size)
            return index_size.status();
        const size_t index_end = end - kStreamFooterSize;
        if (*index_size > index_end - kStreamHeaderSize)
            return fail(why, Status::InvalidArgument, "xz: index larger than the stream");
        const size_t index_at = index_end - *index_size;
        BlockSummary indexed;
        auto parsed = parse_index(in.subspan(index_at, *index_size), &indexed, why);
        if (!parsed)
            return parsed.status();
        if (*parsed != *index_size)
            return fail(why, Status::InvalidArgument, "xz: index size does not match the footer");
        if (indexed.blocks_size > index_at - kStreamHeaderSize)
            return fail(why, Status::InvalidArgument, "xz: blocks larger than the stream");
        const size_t start = index_at - indexed.blocks_size - kStreamHeaderSize;
        const uint8_t* header = in.data() + start;
        if (!equal_bytes(header, kXzMagic, sizeof kXzMagic) || crc32({header + 6, 2}) != load_le32(header + 8) ||
            !equal_bytes(header + 6, flags.bytes, 2))
            return fail(why, Status::InvalidArgument, "xz: stream header missing or inconsistent with footer");
        if (indexed.uncompressed_total > kVliMax - total)
            return fail(why, Status::InvalidArgument, "xz: total size overflows");
        total += indexed.uncompressed_total;
        end = start;
    } while (end > 0);
    return total;
}

}  // namespace hv::image
