// LZMA2 framing: a sequence of chunks, each either stored bytes or an LZMA chunk, ended by
// a 0x00 control byte. Single-call: decodes one whole LZMA2 stream from `in` into `out`,
// starting at out[out_pos] (the dictionary never reaches before out_pos).
//
// Chunk control byte:
//   0x00         end of stream
//   0x01 / 0x02  stored chunk with / without dictionary reset; u16be size-1, then the bytes
//   0x80-0xFF    LZMA chunk; bits 5-6: 0 = continue, 1 = reset state, 2 = reset state and
//                read a new properties byte, 3 = that and reset the dictionary; bits 0-4
//                are bits 16-20 of (uncompressed size - 1); then u16be low bits, u16be
//                (compressed size - 1) and the optional properties byte
//   0x03-0x7F    invalid
// The first chunk must reset the dictionary, and the first LZMA chunk after a dictionary
// reset must carry properties.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "image/lzma_decoder.hpp"
#include "lib/status.hpp"

namespace hv::image {

struct Lzma2Outcome {
    size_t consumed = 0;  // input bytes, end byte included
    size_t end = 0;       // index in `out` one past the last byte written
};

// Status: InvalidArgument for corrupt data, NoSpace when `out` is too small.
[[nodiscard]] Result<Lzma2Outcome> decode_lzma2(std::span<const uint8_t> in, std::span<uint8_t> out, size_t out_pos,
                                                LzmaDecoder& lzma, const char** why);

}  // namespace hv::image
