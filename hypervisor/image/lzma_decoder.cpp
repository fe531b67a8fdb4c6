#include "image/lzma_decoder.hpp"

#include "image/decode_support.hpp"

namespace hv::image {
namespace {

// Range coder constants (LZMA format): 11-bit probabilities, adaptation shift 5, the coder
// renormalises when the range drops below 2^24.
constexpr unsigned kProbabilityBits = 11;
constexpr uint16_t kProbabilityHalf = 1u << (kProbabilityBits - 1);
constexpr unsigned kAdaptShift = 5;
constexpr uint32_t kRenormaliseBelow = 1u << 24;
constexpr size_t kRangeCoderInitBytes = 5;
constexpr unsigned kMatchMinLength = 2;
constexpr unsigned kLiteralStates = 7;  // states below this one follow a literal

// Binary range decoder over one chunk. Reading past the chunk feeds zeros and raises
// `overrun`; callers check it once per symbol so corrupt input terminates quickly.
struct RangeDecoder {
    const uint8_t* in;
    size_t size;
    size_t pos;
    uint32_t range;
    uint32_t code;
    bool overrun;

    uint8_t next_byte() {
        if (pos < size)
            return in[pos++];
        overrun = true;
        return 0;
    }
    void normalise() {
        if (range < kRenormaliseBelow) {
            range <<= 8;
            code = (code << 8) | next_byte();
        }
    }
    unsigned bit(uint16_t& probability) {
        normalise();
        const uint32_t bound = (range >> kProbabilityBits) * probability;
        if (code < bound) {
            range = bound;
            probability = static_cast<uint16_t>(probability + (((1u << kProbabilityBits) - probability) >> kAdaptShift));
            return 0;
        }
        range -= bound;
        code -= bound;
        probability = static_cast<uint16_t>(probability - (probability >> kAdaptShift));
        return 1;
    }
    // Most-significant-bit-first tree of 2^bits leaves; probs[1 .. 2^bits) are used.
    unsigned tree(uint16_t* probs, unsigned bits) {
        unsigned node = 1;
        for (unsigned i = 0; i < bits; ++i)
            node = (node << 1) | bit(probs[node]);
        return node - (1u << bits);
    }
    // Least-significant-bit-first tree, as used for the low distance bits.
    unsigned reverse_tree(uint16_t* probs, unsigned bits) {
        unsigned node = 1, value = 0;
        for (unsigned i = 0; i < bits; ++i) {
            const unsigned b = bit(probs[node]);
            node = (node << 1) | b;
            value |= b << i;
        }
        return value;
    }
    // Bits with a fixed probability of one half.
    uint32_t direct(unsigned bits) {
        uint32_t value = 0;
        for (unsigned i = 0; i < bits; ++i) {
            normalise();
            range >>= 1;
            const uint32_t take = code >= range ? 1u : 0u;
            code -= range & (0u - take);
            value = (value << 1) | take;
        }
        return value;
    }
};

// State transitions of the LZMA model (12 states remember the last few symbol kinds).
constexpr uint32_t after_literal(uint32_t s) { return s < 4 ? 0 : (s < 10 ? s - 3 : s - 6); }
constexpr uint32_t after_match(uint32_t s) { return s < kLiteralStates ? 7 : 10; }
constexpr uint32_t after_rep(uint32_t s) { return s < kLiteralStates ? 8 : 11; }
constexpr uint32_t after_short_rep(uint32_t s) { return s < kLiteralStates ? 9 : 11; }

// Length model layout inside its block of probabilities.
constexpr unsigned kChoice = 0, kChoice2 = 1, kLow = 2;
constexpr unsigned kMid = kLow + LzmaDecoder::kPositionStatesMax * (1u << LzmaDecoder::kLengthLowBits);
constexpr unsigned kHigh = kMid + LzmaDecoder::kPositionStatesMax * (1u << LzmaDecoder::kLengthMidBits);
static_assert(kHigh + (1u << LzmaDecoder::kLengthHighBits) == LzmaDecoder::kLengthModelSize);

unsigned decode_length(RangeDecoder& rc, uint16_t* model, unsigned pos_state) {
    if (rc.bit(model[kChoice]) == 0)
        return kMatchMinLength + rc.tree(model + kLow + pos_state * 8, LzmaDecoder::kLengthLowBits);
    if (rc.bit(model[kChoice2]) == 0)
        return kMatchMinLength + 8 + rc.tree(model + kMid + pos_state * 8, LzmaDecoder::kLengthMidBits);
    return kMatchMinLength + 16 + rc.tree(model + kHigh, LzmaDecoder::kLengthHighBits);
}

// Returns the match distance minus one. Slots 0-3 are the distance itself; higher slots
// give the top two bits and a bit count, the rest comes from reverse trees (slots < 14) or
// direct bits plus a 4-bit aligned reverse tree.
uint32_t decode_distance(RangeDecoder& rc, uint16_t* p, unsigned length) {
    const unsigned length_state = length - kMatchMinLength < LzmaDecoder::kLengthToPositionStates
                                      ? length - kMatchMinLength
                                      : LzmaDecoder::kLengthToPositionStates - 1;
    const unsigned slot =
        rc.tree(p + LzmaDecoder::kDistanceSlot + length_state * LzmaDecoder::kDistanceSlots, 6);
    if (slot < 4)
        return slot;
    const unsigned extra_bits = (slot >> 1) - 1;
    uint32_t distance = (2u | (slot & 1)) << extra_bits;
    if (slot < LzmaDecoder::kDistanceModelEnd) {
        // Tree nodes for this slot start right after the previous slots' nodes; index 0 of
        // the tree is unused, hence the -1. Highest index: slot 13 -> 96 - 14 + 31 = 113.
        distance += rc.reverse_tree(p + LzmaDecoder::kDistanceSpecial + distance - slot - 1, extra_bits);
        return distance;
    }
    distance += rc.direct(extra_bits - LzmaDecoder::kAlignBits) << LzmaDecoder::kAlignBits;
    distance += rc.reverse_tree(p + LzmaDecoder::kDistanceAlign, LzmaDecoder::kAlignBits);
    return distance;
}

}  // namespace

Status decode_lzma2_properties(uint8_t byte, LzmaProperties* props, const char** why) {
    if (byte >= 9 * 5 * 5)
        return fail(why, Status::InvalidArgument, "LZMA properties byte out of range");
    props->literal_context_bits = static_cast<uint8_t>(byte % 9);
    byte /= 9;
    props->literal_position_bits = static_cast<uint8_t>(byte % 5);
    props->position_bits = static_cast<uint8_t>(byte / 5);
    if (props->literal_context_bits + props->literal_position_bits > 4)
        return fail(why, Status::InvalidArgument, "LZMA2 requires lc + lp <= 4");
    return Status::Ok;
}

void LzmaDecoder::set_properties(const LzmaProperties& props) {
    props_ = props;
    has_properties_ = true;
    reset_state();
}

void LzmaDecoder::reset_state() {
    const unsigned literal_coders = 1u << (props_.literal_context_bits + props_.literal_position_bits);
    const size_t used = kLiteral + literal_coders * kLiteralCoderSize;
    // Fill by doubling copies: a state reset can happen every chunk, and 14 block copies
    // beat ~14,000 element stores.
    probabilities_[0] = kProbabilityHalf;
    for (size_t filled = 1; filled < used;) {
        const size_t n = filled < used - filled ? filled : used - filled;
        __builtin_memcpy(probabilities_ + filled, probabilities_, n * sizeof probabilities_[0]);
        filled += n;
    }
    state_ = 0;
    reps_[0] = reps_[1] = reps_[2] = reps_[3] = 0;
}

Status LzmaDecoder::decode_chunk(std::span<const uint8_t> in, std::span<uint8_t> out, size_t dict_start,
                                 size_t pos, size_t end, const char** why) {
    if (!has_properties_ || dict_start > pos || pos > end || end > out.size())
        return fail(why, Status::InvalidArgument, "LZMA chunk without properties or with bad limits");
    if (in.size() < kRangeCoderInitBytes || in[0] != 0)
        return fail(why, Status::InvalidArgument, "LZMA chunk: bad range coder header");

    RangeDecoder rc{in.data(), in.size(), 1, 0xFFFFFFFFu, 0, false};
    for (int i = 0; i < 4; ++i)
        rc.code = (rc.code << 8) | rc.next_byte();

    uint16_t* const p = probabilities_;
    uint8_t* const buf = out.data();
    const unsigned lc = props_.literal_context_bits;
    const size_t lp_mask = (size_t{1} << props_.literal_position_bits) - 1;
    const size_t pb_mask = (size_t{1} << props_.position_bits) - 1;
    uint32_t state = state_;
    uint32_t rep0 = reps_[0], rep1 = reps_[1], rep2 = reps_[2], rep3 = reps_[3];
    Status status = Status::Ok;
    const char* reason = nullptr;

    while (pos < end) {
        if (rc.overrun) {
            status = Status::InvalidArgument, reason = "LZMA chunk: compressed data truncated";
            break;
        }
        const size_t offset = pos - dict_start;  // bytes available behind pos
        const unsigned pos_state = static_cast<unsigned>(offset & pb_mask);

        if (rc.bit(p[kIsMatch + state * kPositionStatesMax + pos_state]) == 0) {
            const unsigned previous = offset > 0 ? buf[pos - 1] : 0;
            uint16_t* lit = p + kLiteral +
                            kLiteralCoderSize * (((offset & lp_mask) << lc) + (previous >> (8 - lc)));
            unsigned symbol = 1;
            if (state < kLiteralStates) {
                while (symbol < 0x100)
                    symbol = (symbol << 1) | rc.bit(lit[symbol]);
            } else {
                // After a match the byte at rep0 predicts this one: bits are coded with
                // separate probabilities while they agree with it.
                if (rep0 >= offset) {
                    status = Status::InvalidArgument, reason = "LZMA chunk: distance beyond dictionary";
                    break;
                }
                unsigned match_byte = buf[pos - rep0 - 1];
                unsigned agree = 0x100;  // 0x100 while all bits so far matched, then 0
                while (symbol < 0x100) {
                    match_byte <<= 1;
                    const unsigned match_bit = match_byte & agree;
                    const unsigned b = rc.bit(lit[agree + match_bit + symbol]);
                    symbol = (symbol << 1) | b;
                    agree &= b ? match_bit : ~match_bit;
                }
            }
            buf[pos++] = static_cast<uint8_t>(symbol);
            state = after_literal(state);
            continue;
        }

        unsigned length;
        if (rc.bit(p[kIsRep + state]) == 0) {
            length = decode_length(rc, p + kMatchLength, pos_state);
            rep3 = rep2, rep2 = rep1, rep1 = rep0;
            rep0 = decode_distance(rc, p, length);
            state = after_match(state);
            // 0xFFFFFFFF would be the LZMA end marker, which LZMA2 does not allow; the
            // distance check below refuses it along with every other impossible distance.
        } else if (rc.bit(p[kIsRep0 + state]) == 0) {
            if (rc.bit(p[kIsRep0Long + state * kPositionStatesMax + pos_state]) == 0) {
                state = after_short_rep(state);
                length = 1;
            } else {
                length = decode_length(rc, p + kRepLength, pos_state);
                state = after_rep(state);
            }
        } else {
            uint32_t distance;
            if (rc.bit(p[kIsRep1 + state]) == 0) {
                distance = rep1;
            } else if (rc.bit(p[kIsRep2 + state]) == 0) {
                distance = rep2;
                rep2 = rep1;
            } else {
                distance = rep3;
                rep3 = rep2, rep2 = rep1;
            }
            rep1 = rep0;
            rep0 = distance;
            length = decode_length(rc, p + kRepLength, pos_state);
            state = after_rep(state);
        }

        if (rep0 >= offset) {
            status = Status::InvalidArgument, reason = "LZMA chunk: distance beyond dictionary";
            break;
        }
        if (length > end - pos) {
            status = Status::InvalidArgument, reason = "LZMA chunk: match runs past the chunk";
            break;
        }
        const uint8_t* from = buf + pos - rep0 - 1;
        uint8_t* to = buf + pos;
        for (unsigned i = 0; i < length; ++i)  // overlapping copies repeat, as LZ77 intends
            to[i] = from[i];
        pos += length;
    }

    state_ = state;
    reps_[0] = rep0, reps_[1] = rep1, reps_[2] = rep2, reps_[3] = rep3;
    if (status != Status::Ok)
        return fail(why, status, reason);
    // The chunk must end exactly: after the renormalisation owed by the last bit, all
    // compressed bytes are used and the encoder's flush left the code at zero.
    rc.normalise();
    if (rc.overrun || rc.pos != rc.size || rc.code != 0)
        return fail(why, Status::InvalidArgument, "LZMA chunk: compressed size does not match its data");
    return Status::Ok;
}

}  // namespace hv::image
