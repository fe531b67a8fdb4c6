#include "image/bcj_x86.hpp"

#include <cstddef>

#include "image/decode_support.hpp"

namespace hv::image {
namespace {

// The operand's top byte of a plausible near call/jump displacement: the target is within
// +-16 MiB, so the sign-extension byte is 0x00 or 0xFF.
constexpr bool plausible_top_byte(uint8_t b) { return b == 0x00 || b == 0xFF; }

// `history` bit k is set when the byte k+1 positions before the current candidate was an
// E8/E9 that was left unconverted (only the last three positions matter). For each value:
// may the candidate still be converted, and how far before buf[i + 4] the oldest such
// earlier candidate has its operand's top byte (its operand overlaps ours).
constexpr bool kHistoryAllowsConversion[8] = {true, true, true, false, true, false, false, false};
constexpr unsigned kHistoryOverlapByte[8] = {0, 1, 2, 2, 3, 3, 3, 3};

}  // namespace

void bcj_x86_decode(std::span<uint8_t> block, uint32_t start_offset) {
    if (block.size() < 5)
        return;
    uint8_t* const buf = block.data();
    const size_t limit = block.size() - 4;  // an operand needs 4 bytes after the opcode
    size_t last_candidate = static_cast<size_t>(-1);  // "one before the block"
    uint32_t history = 0;

    for (size_t i = 0; i < limit; ++i) {
        if ((buf[i] & 0xFE) != 0xE8)
            continue;
        const size_t gap = i - last_candidate;  // wraps to i + 1 for the first candidate
        if (gap > 3) {
            history = 0;
        } else {
            history = (history << (gap - 1)) & 7;
            if (history != 0 && (!kHistoryAllowsConversion[history] ||
                                 plausible_top_byte(buf[i + 4 - kHistoryOverlapByte[history]]))) {
                last_candidate = i;
                history = (history << 1) | 1;
                continue;
            }
        }
        last_candidate = i;

        if (!plausible_top_byte(buf[i + 4])) {
            history = (history << 1) | 1;
            continue;
        }
        // Undo the absolute conversion. If an overlapping earlier candidate's byte would
        // look like a top byte after conversion, the encoder converted again; mirror it.
        uint32_t operand = load_le32(buf + i + 1);
        uint32_t relative;
        for (;;) {
            relative = operand - (start_offset + static_cast<uint32_t>(i) + 5);
            if (history == 0)
                break;
            const unsigned shift = kHistoryOverlapByte[history] * 8;
            if (!plausible_top_byte(static_cast<uint8_t>(relative >> (24 - shift))))
                break;
            operand = relative ^ ((1u << (32 - shift)) - 1);
        }
        // Sign-extend from bit 24 (the encoder only converts +-16 MiB displacements).
        relative &= 0x01FFFFFF;
        relative |= 0u - (relative & 0x01000000);
        store_le32(buf + i + 1, relative);
        i += 4;
    }
}

}  // namespace hv::image
