// DEFLATE decoder (RFC 1951), single-call: the whole output buffer is the window.
//
// Output model: bytes are written at out[out_pos...]; a back-reference may reach back to
// out[out_pos] (the start of this deflate stream) and never before it, so concatenated
// gzip members stay independent.
//
// Invariants on every path, including corrupt input: reads stay inside `in`, writes inside
// out[out_pos, out.size()); every Huffman table is checked complete (or a lone one-bit
// code, as zlib allows) before use; a code that decodes to no symbol, a length/distance
// symbol outside the tables, a distance beyond the data written so far, or input that ends
// before the final block all fail with InvalidArgument. A full output buffer is NoSpace.
// State lives on the stack (~3 KiB of tables); nothing allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/status.hpp"

namespace hv::image {

struct InflateOutcome {
    size_t consumed = 0;  // input bytes up to and including the byte holding the last bit
    size_t end = 0;       // index in `out` one past the last byte written
};

[[nodiscard]] Result<InflateOutcome> inflate(std::span<const uint8_t> in, std::span<uint8_t> out, size_t out_pos,
                                             const char** why);

}  // namespace hv::image
