// gzip container (RFC 1952) around DEFLATE, single-call.
//
//   member = 1F 8B | CM=8 | FLG | MTIME(4) | XFL | OS | [XLEN(2) extra] [name\0] [comment\0]
//            [CRC16 of the header] | deflate data | CRC32(data) | ISIZE = size mod 2^32
// A gzip file is one or more members back to back. Every member's CRC32 and ISIZE are
// checked; reserved flag bits and compression methods other than deflate are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/status.hpp"

namespace hv::image {

inline constexpr uint8_t kGzipMagic[2] = {0x1F, 0x8B};

struct GzipMemberOutcome {
    size_t consumed = 0;  // bytes of the member, trailer included
    size_t end = 0;       // index in `out` one past the member's last byte
};

// Decodes the member at the start of `in` to out[out_pos...]; whatever follows is ignored.
[[nodiscard]] Result<GzipMemberOutcome> gzip_decode_member(std::span<const uint8_t> in, std::span<uint8_t> out,
                                                           size_t out_pos, const char** why);

// Decodes a whole gzip file (all members, input fully consumed); returns bytes written.
[[nodiscard]] Result<size_t> gzip_decode(std::span<const uint8_t> in, std::span<uint8_t> out, const char** why);

// ISIZE of the last member: the exact size of a single-member file below 4 GiB.
[[nodiscard]] Result<uint32_t> gzip_last_member_size(std::span<const uint8_t> in, const char** why);

}  // namespace hv::image
