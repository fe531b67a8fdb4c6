#include "image/gzip.hpp"

#include "image/decode_support.hpp"
#include "image/crc.hpp"
#include "image/inflate.hpp"

namespace hv::image {
namespace {

constexpr size_t kFixedHeaderSize = 10, kTrailerSize = 8;
constexpr uint8_t kMethodDeflate = 8;
constexpr uint8_t kFlagHeaderCrc = 0x02, kFlagExtra = 0x04, kFlagName = 0x08, kFlagComment = 0x10,
                  kFlagsReserved = 0xE0;

bool skip_string(std::span<const uint8_t> in, size_t* pos) {
    while (*pos < in.size())
        if (in[(*pos)++] == 0)
            return true;
    return false;
}

// Returns the size of the member header at in[0].
Result<size_t> parse_header(std::span<const uint8_t> in, const char** why) {
    if (in.size() < kFixedHeaderSize || in[0] != kGzipMagic[0] || in[1] != kGzipMagic[1])
        return fail(why, Status::InvalidArgument, "gzip: magic missing");
    if (in[2] != kMethodDeflate)
        return fail(why, Status::NotSupported, "gzip: compression method is not deflate");
    const uint8_t flags = in[3];
    if (flags & kFlagsReserved)
        return fail(why, Status::InvalidArgument, "gzip: reserved header flags set");
    size_t pos = kFixedHeaderSize;
    if (flags & kFlagExtra) {
        if (!in_bounds(pos, 2, in.size()))
            return fail(why, Status::InvalidArgument, "gzip: truncated extra field");
        const size_t extra = load_le16(in.data() + pos);
        pos += 2;
        if (!in_bounds(pos, extra, in.size()))
            return fail(why, Status::InvalidArgument, "gzip: truncated extra field");
        pos += extra;
    }
    if ((flags & kFlagName) && !skip_string(in, &pos))
        return fail(why, Status::InvalidArgument, "gzip: unterminated file name");
    if ((flags & kFlagComment) && !skip_string(in, &pos))
        return fail(why, Status::InvalidArgument, "gzip: unterminated comment");
    if (flags & kFlagHeaderCrc) {
        if (!in_bounds(pos, 2, in.size()))
            return fail(why, Status::InvalidArgument, "gzip: truncated header CRC");
        if ((crc32(in.first(pos)) & 0xFFFF) != load_le16(in.data() + pos))
            return fail(why, Status::InvalidArgument, "gzip: header CRC mismatch");
        pos += 2;
    }
    return pos;
}

}  // namespace

Result<GzipMemberOutcome> gzip_decode_member(std::span<const uint8_t> in, std::span<uint8_t> out, size_t out_pos,
                                             const char** why) {
    auto header = parse_header(in, why);
    if (!header)
        return header.status();
    auto body = inflate(in.subspan(*header), out, out_pos, why);
    if (!body)
        return body.status();
    const size_t trailer = *header + body->consumed;
    if (!in_bounds(trailer, kTrailerSize, in.size()))
        return fail(why, Status::InvalidArgument, "gzip: truncated trailer");
    std::span<const uint8_t> data = out.subspan(out_pos, body->end - out_pos);
    if (crc32(data) != load_le32(in.data() + trailer))
        return fail(why, Status::InvalidArgument, "gzip: CRC32 mismatch (corrupt data)");
    if (static_cast<uint32_t>(data.size()) != load_le32(in.data() + trailer + 4))
        return fail(why, Status::InvalidArgument, "gzip: ISIZE mismatch");
    return GzipMemberOutcome{trailer + kTrailerSize, body->end};
}

Result<size_t> gzip_decode(std::span<const uint8_t> in, std::span<uint8_t> out, const char** why) {
    size_t ip = 0, pos = 0;
    do {
        auto member = gzip_decode_member(in.subspan(ip), out, pos, why);
        if (!member)
            return member.status();
        ip += member->consumed;
        pos = member->end;
    } while (ip < in.size());
    return pos;
}

Result<uint32_t> gzip_last_member_size(std::span<const uint8_t> in, const char** why) {
    auto header = parse_header(in, why);
    if (!header)
        return header.status();
    if (in.size() < *header + kTrailerSize)
        return fail(why, Status::InvalidArgument, "gzip: too short for a trailer");
    return load_le32(in.data() + in.size() - 4);
}

}  // namespace hv::image
