// LZMA decoder for the chunks of an LZMA2 stream, single-call: the whole output buffer is
// the dictionary, so nothing is ever copied out of a sliding window.
//
// Output model. `out` is the caller's whole output buffer. Decoded bytes are written at
// out[pos...]; a match may reach back to out[dict_start] but never before it (dict_start is
// where the LZMA2 stream last reset its dictionary). Positions used by the model (pos_state,
// literal position bits) count from dict_start, as in a fresh dictionary.
//
// Invariants kept by decode_chunk on every path, including corrupt input:
//   - writes only to out[pos, end) and reads only out[dict_start, end) and `in`;
//   - every probability index is in range by construction (bit trees are bounded by their
//     bit counts, lc + lp <= 4 is checked when the properties are set);
//   - reading past `in` yields zero bytes and marks the chunk corrupt, so the loop stays
//     bounded by `end` and the chunk is refused.
// The model (~28 KiB) lives in this object so that callers decide where it goes (a static
// buffer in the image, the stack in tests); nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/status.hpp"

namespace hv::image {

struct LzmaProperties {
    uint8_t literal_context_bits = 0;   // lc
    uint8_t literal_position_bits = 0;  // lp
    uint8_t position_bits = 0;          // pb
};

// Decodes the LZMA properties byte ((pb * 5 + lp) * 9 + lc); LZMA2 also requires lc + lp <= 4.
[[nodiscard]] Status decode_lzma2_properties(uint8_t byte, LzmaProperties* props, const char** why);

class LzmaDecoder {
public:
    // Probability model sizes (LZMA format, fixed by the format itself).
    static constexpr unsigned kStates = 12, kPositionStatesMax = 16;
    static constexpr unsigned kLiteralCoderSize = 0x300, kLiteralCodersMax = 16;  // 2^(lc+lp)
    static constexpr unsigned kDistanceSlots = 64, kLengthToPositionStates = 4;
    static constexpr unsigned kDistanceModelEnd = 14, kFullDistances = 128, kAlignBits = 4;
    static constexpr unsigned kLengthLowBits = 3, kLengthMidBits = 3, kLengthHighBits = 8;
    static constexpr unsigned kLengthModelSize =
        2 + kPositionStatesMax * (1u << kLengthLowBits) * 2 + (1u << kLengthHighBits);

    // Layout of the flat probability array.
    static constexpr unsigned kIsMatch = 0;
    static constexpr unsigned kIsRep = kIsMatch + kStates * kPositionStatesMax;
    static constexpr unsigned kIsRep0 = kIsRep + kStates;
    static constexpr unsigned kIsRep1 = kIsRep0 + kStates;
    static constexpr unsigned kIsRep2 = kIsRep1 + kStates;
    static constexpr unsigned kIsRep0Long = kIsRep2 + kStates;
    static constexpr unsigned kDistanceSlot = kIsRep0Long + kStates * kPositionStatesMax;
    static constexpr unsigned kDistanceSpecial = kDistanceSlot + kLengthToPositionStates * kDistanceSlots;
    static constexpr unsigned kDistanceAlign = kDistanceSpecial + kFullDistances - kDistanceModelEnd;
    static constexpr unsigned kMatchLength = kDistanceAlign + (1u << kAlignBits);
    static constexpr unsigned kRepLength = kMatchLength + kLengthModelSize;
    static constexpr unsigned kLiteral = kRepLength + kLengthModelSize;
    static constexpr unsigned kProbabilityCount = kLiteral + kLiteralCoderSize * kLiteralCodersMax;

    // New lc/lp/pb; implies reset_state(). The properties must come from
    // decode_lzma2_properties.
    void set_properties(const LzmaProperties& props);
    // Probabilities to 1/2, state to "after a literal", all four rep distances to 0.
    void reset_state();
    bool has_properties() const { return has_properties_; }

    // Decodes one LZMA2 chunk: `in` is exactly the chunk's compressed bytes (range coder
    // init included) and the chunk produces exactly out[pos, end). Fails with
    // InvalidArgument if the data is corrupt or does not end exactly at both limits.
    // Requires dict_start <= pos <= end <= out.size().
    [[nodiscard]] Status decode_chunk(std::span<const uint8_t> in, std::span<uint8_t> out, size_t dict_start,
                                      size_t pos, size_t end, const char** why);

private:
    uint16_t probabilities_[kProbabilityCount] = {};
    LzmaProperties props_{};
    bool has_properties_ = false;
    uint32_t state_ = 0;
    uint32_t reps_[4] = {0, 0, 0, 0};  // distances minus one; reps_[0] is the latest
};

}  // namespace hv::image
