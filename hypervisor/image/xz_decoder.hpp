// The .xz container (XZ file format 1.1.0/1.2.0), single-call, for LZMA2 with an optional
// x86 BCJ filter in front: what `xz` produces by default (CRC64 check) and what Linux's
// kernel build produces (`xz --check=crc32 --x86 --lzma2=...`).
//
//   file   = stream (stream-padding stream)* stream-padding    padding: 4k zero bytes
//   stream = header(12) block* index footer(12)
//   header = FD 37 7A 58 5A 00 | flags(2) | crc32(flags)
//   block  = header((b0+1)*4, crc32) | LZMA2 data | 0-3 zero bytes to 4 | check
//   index  = 00 | count | (unpadded size, uncompressed size)* | zero pad to 4 | crc32
//   footer = crc32(backward size, flags) | backward size = index size/4 - 1 | flags | "YZ"
//
// Everything a stream states is verified: header/block-header/index/footer CRC32s, the
// per-block check over the decoded bytes (none, CRC32, CRC64; SHA-256 and the reserved
// check ids are refused as NotSupported), the sizes stored in block headers, the index
// against the blocks actually decoded, and the footer against the header and the index.
// Decoding never reads outside `in` or writes outside `out`; on failure `out` holds an
// unspecified prefix of the data. The LZMA2 dictionary-size property is range-checked but
// not enforced: in single-call mode the whole output is the dictionary, so a match may
// reach as far back as the block start, as with xz-embedded's single-call mode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "image/lzma_decoder.hpp"
#include "lib/status.hpp"

namespace hv::image {

inline constexpr uint8_t kXzMagic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};

struct XzStreamOutcome {
    size_t consumed = 0;  // bytes of `in` making up the stream (no padding)
    size_t end = 0;       // index in `out` one past the stream's last byte
};

// Decodes the one stream at the start of `in` to out[out_pos...], ignoring whatever
// follows it (a bzImage payload carries a 4-byte size after its stream).
[[nodiscard]] Result<XzStreamOutcome> xz_decode_stream(std::span<const uint8_t> in, std::span<uint8_t> out,
                                                       size_t out_pos, LzmaDecoder& scratch, const char** why);

// Decodes a whole .xz file: every stream and all stream padding, input fully consumed.
// Returns the number of bytes written to `out`. Status: InvalidArgument for corrupt or
// truncated data, NotSupported for valid features we lack, NoSpace if `out` is too small.
[[nodiscard]] Result<size_t> xz_decode(std::span<const uint8_t> in, std::span<uint8_t> out, LzmaDecoder& scratch,
                                       const char** why);

// The total uncompressed size of a whole .xz file, read from the stream footers and
// indexes alone (walking backwards, as `xz --list` does); nothing is decompressed, so the
// blocks themselves are not verified.
[[nodiscard]] Result<uint64_t> xz_uncompressed_size(std::span<const uint8_t> in, const char** why);

}  // namespace hv::image
