#include "image/inflate.hpp"

#include "image/decode_support.hpp"

namespace hv::image {
namespace {

constexpr unsigned kMaxCodeBits = 15;
constexpr unsigned kLiteralLengthSymbols = 288;  // 286 usable + 2 that only fill the fixed code
constexpr unsigned kDistanceSymbols = 32;        // 30 usable
constexpr unsigned kCodeLengthSymbols = 19;
constexpr unsigned kEndOfBlock = 256;
constexpr unsigned kFastBits = 9;  // codes up to this long decode with one table lookup

// Length symbols 257..285 and distance symbols 0..29: base value and extra bits (3.2.5).
constexpr uint16_t kLengthBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr uint8_t kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint16_t kDistanceBase[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                        33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                        1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr uint8_t kDistanceExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
// Order in which code-length code lengths are transmitted (3.2.7).
constexpr uint8_t kCodeLengthOrder[kCodeLengthSymbols] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

// LSB-first bit reader. Bits past the end of the input read as zero (a code may be peeked
// beyond the end), but *consuming* them sets `overrun`, which fails the stream.
struct BitReader {
    const uint8_t* in;
    size_t size;
    size_t pos = 0;
    uint64_t bits = 0;
    unsigned count = 0;
    bool overrun = false;

    void refill() {
        while (count <= 56 && pos < size) {
            bits |= static_cast<uint64_t>(in[pos++]) << count;
            count += 8;
        }
    }
    uint32_t peek(unsigned n) const { return static_cast<uint32_t>(bits & ((uint64_t{1} << n) - 1)); }
    void drop(unsigned n) {
        if (n > count) {
            overrun = true;
            bits = 0;
            count = 0;
            return;
        }
        bits >>= n;
        count -= n;
    }
    uint32_t take(unsigned n) {
        if (count < n)
            refill();
        const uint32_t v = peek(n);
        drop(n);
        return v;
    }
    // Skips to a byte boundary and gives whole buffered bytes back to the input.
    void align_and_rewind() {
        drop(count % 8);
        pos -= count / 8;
        bits = 0;
        count = 0;
    }
    size_t consumed() const { return pos - count / 8; }
};

// Canonical Huffman code. count[] and symbol[] define it (symbols sorted by code length,
// then value); fast[] maps the next kFastBits input bits to (length << 12 | symbol) for
// codes no longer than kFastBits, 0 otherwise (longer or unassigned codes).
struct HuffmanCode {
    uint16_t count[kMaxCodeBits + 1];
    uint16_t symbol[kLiteralLengthSymbols];
    uint16_t fast[1u << kFastBits];
};

uint32_t reverse_bits(uint32_t code, unsigned length) {
    uint32_t r = 0;
    for (unsigned i = 0; i < length; ++i, code >>= 1)
        r = (r << 1) | (code & 1);
    return r;
}

// Builds `code` from per-symbol lengths (0 = unused). Over-subscribed codes always fail;
// incomplete codes fail unless they have at most one code, of length one (RFC 1951 allows
// a single distance code; zlib also accepts it for literal/lengths).
bool build(HuffmanCode& code, const uint8_t* lengths, unsigned n) {
    for (auto& c : code.count)
        c = 0;
    for (unsigned s = 0; s < n; ++s)
        ++code.count[lengths[s]];
    code.count[0] = 0;
    int left = 1;
    unsigned used = 0;
    for (unsigned len = 1; len <= kMaxCodeBits; ++len) {
        left = (left << 1) - code.count[len];
        if (left < 0)
            return false;
        used += code.count[len];
    }
    if (left > 0 && !(used == 0 || (used == 1 && code.count[1] == 1)))
        return false;

    uint16_t offset[kMaxCodeBits + 2];
    offset[1] = 0;
    for (unsigned len = 1; len <= kMaxCodeBits; ++len)
        offset[len + 1] = static_cast<uint16_t>(offset[len] + code.count[len]);
    for (unsigned s = 0; s < n; ++s)
        if (lengths[s] != 0)
            code.symbol[offset[lengths[s]]++] = static_cast<uint16_t>(s);

    for (auto& f : code.fast)
        f = 0;
    uint32_t next = 0;  // canonical code value of the next symbol
    unsigned index = 0;
    for (unsigned len = 1; len <= kFastBits; ++len) {
        for (unsigned k = 0; k < code.count[len]; ++k, ++next, ++index) {
            const uint16_t entry = static_cast<uint16_t>((len << 12) | code.symbol[index]);
            for (uint32_t fill = reverse_bits(next, len); fill < (1u << kFastBits); fill += 1u << len)
                code.fast[fill] = entry;
        }
        next <<= 1;
    }
    return true;
}

// Returns the next symbol, or -1 for a bit pattern that is no code.
int decode(BitReader& br, const HuffmanCode& code) {
    if (br.count < kMaxCodeBits)
        br.refill();
    const uint16_t entry = code.fast[br.peek(kFastBits)];
    if (entry != 0) {
        br.drop(entry >> 12);
        return entry & 0xFFF;
    }
    // Long code: walk the canonical code one bit at a time (first = first code of `len`).
    uint64_t bits = br.bits;
    int value = 0, first = 0, index = 0;
    for (unsigned len = 1; len <= kMaxCodeBits; ++len) {
        value |= static_cast<int>(bits & 1);
        bits >>= 1;
        const int count = code.count[len];
        if (value >= first && value - first < count) {  // value >= first always holds; kept as a guard
            br.drop(len);
            return code.symbol[index + value - first];
        }
        index += count;
        first = (first + count) << 1;
        value <<= 1;
    }
    return -1;
}

struct Codes {
    HuffmanCode literal_length;
    HuffmanCode distance;
};

Status read_fixed_codes(Codes& codes) {
    uint8_t lengths[kLiteralLengthSymbols];
    for (unsigned s = 0; s < kLiteralLengthSymbols; ++s)
        lengths[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
    build(codes.literal_length, lengths, kLiteralLengthSymbols);
    for (unsigned s = 0; s < kDistanceSymbols; ++s)
        lengths[s] = 5;
    build(codes.distance, lengths, kDistanceSymbols);
    return Status::Ok;
}

Status read_dynamic_codes(BitReader& br, Codes& codes, const char** why) {
    const unsigned literal_count = br.take(5) + 257;
    const unsigned distance_count = br.take(5) + 1;
    const unsigned code_length_count = br.take(4) + 4;
    if (literal_count > 286 || distance_count > 30)
        return fail(why, Status::InvalidArgument, "inflate: too many length or distance symbols");

    uint8_t lengths[286 + 30] = {};
    for (unsigned i = 0; i < code_length_count; ++i)
        lengths[kCodeLengthOrder[i]] = static_cast<uint8_t>(br.take(3));
    HuffmanCode& length_code = codes.distance;  // borrowed until the real distance code is built
    if (!build(length_code, lengths, kCodeLengthSymbols) || br.overrun)
        return fail(why, Status::InvalidArgument, "inflate: bad code-length code");

    const unsigned total = literal_count + distance_count;
    for (unsigned i = 0; i < kCodeLengthSymbols; ++i)
        lengths[i] = 0;
    unsigned n = 0;
    while (n < total) {
        const int symbol = decode(br, length_code);
        if (symbol < 0 || br.overrun)
            return fail(why, Status::InvalidArgument, "inflate: bad code length symbol");
        if (symbol < 16) {
            lengths[n++] = static_cast<uint8_t>(symbol);
            continue;
        }
        uint8_t value = 0;
        unsigned repeat;
        if (symbol == 16) {
            if (n == 0)
                return fail(why, Status::InvalidArgument, "inflate: repeat with no previous length");
            value = lengths[n - 1];
            repeat = 3 + br.take(2);
        } else if (symbol == 17) {
            repeat = 3 + br.take(3);
        } else {
            repeat = 11 + br.take(7);
        }
        if (repeat > total - n)
            return fail(why, Status::InvalidArgument, "inflate: code lengths overflow the alphabet");
        while (repeat-- != 0)
            lengths[n++] = value;
    }
    if (lengths[kEndOfBlock] == 0)
        return fail(why, Status::InvalidArgument, "inflate: no end-of-block code");
    if (!build(codes.literal_length, lengths, literal_count))
        return fail(why, Status::InvalidArgument, "inflate: bad literal/length code");
    if (!build(codes.distance, lengths + literal_count, distance_count))
        return fail(why, Status::InvalidArgument, "inflate: bad distance code");
    return Status::Ok;
}

Status copy_stored(BitReader& br, std::span<uint8_t> out, size_t* pos, const char** why) {
    br.align_and_rewind();
    if (!in_bounds(br.pos, 4, br.size))
        return fail(why, Status::InvalidArgument, "inflate: truncated stored block header");
    const uint16_t length = load_le16(br.in + br.pos);
    if (static_cast<uint16_t>(~length) != load_le16(br.in + br.pos + 2))
        return fail(why, Status::InvalidArgument, "inflate: stored block length check failed");
    br.pos += 4;
    if (!in_bounds(br.pos, length, br.size))
        return fail(why, Status::InvalidArgument, "inflate: truncated stored block");
    if (!in_bounds(*pos, length, out.size()))
        return fail(why, Status::NoSpace, "inflate: output buffer too small");
    for (size_t i = 0; i < length; ++i)
        out[*pos + i] = br.in[br.pos + i];
    br.pos += length;
    *pos += length;
    return Status::Ok;
}

Status decode_block_data(BitReader& br, const Codes& codes, std::span<uint8_t> out, size_t out_start, size_t* pos_io,
                         const char** why) {
    uint8_t* const buf = out.data();
    const size_t size = out.size();
    size_t pos = *pos_io;
    Status status = Status::Ok;
    const char* reason = nullptr;
    for (;;) {
        if (br.count < 48)
            br.refill();
        const int symbol = decode(br, codes.literal_length);
        if (symbol < 0 || br.overrun) {
            status = Status::InvalidArgument, reason = "inflate: bad literal/length code or truncated data";
            break;
        }
        if (symbol < 256) {
            if (pos == size) {
                status = Status::NoSpace, reason = "inflate: output buffer too small";
                break;
            }
            buf[pos++] = static_cast<uint8_t>(symbol);
            continue;
        }
        if (symbol == kEndOfBlock)
            break;
        const unsigned length_symbol = static_cast<unsigned>(symbol) - 257;
        if (length_symbol >= 29) {
            status = Status::InvalidArgument, reason = "inflate: invalid length symbol";
            break;
        }
        const size_t length = kLengthBase[length_symbol] + br.take(kLengthExtra[length_symbol]);
        const int distance_symbol = decode(br, codes.distance);
        if (distance_symbol < 0 || distance_symbol >= 30) {
            status = Status::InvalidArgument, reason = "inflate: invalid distance symbol";
            break;
        }
        const size_t distance = kDistanceBase[distance_symbol] + br.take(kDistanceExtra[distance_symbol]);
        if (br.overrun) {
            status = Status::InvalidArgument, reason = "inflate: truncated data";
            break;
        }
        if (distance > pos - out_start) {
            status = Status::InvalidArgument, reason = "inflate: distance reaches before the start";
            break;
        }
        if (length > size - pos) {
            status = Status::NoSpace, reason = "inflate: output buffer too small";
            break;
        }
        const uint8_t* from = buf + pos - distance;
        for (size_t i = 0; i < length; ++i)  // overlapping copies repeat, as LZ77 intends
            buf[pos + i] = from[i];
        pos += length;
    }
    *pos_io = pos;
    if (status != Status::Ok)
        return fail(why, status, reason);
    return Status::Ok;
}

}  // namespace

Result<InflateOutcome> inflate(std::span<const uint8_t> in, std::span<uint8_t> out, size_t out_pos,
                               const char** why) {
    if (out_pos > out.size())
        return fail(why, Status::InvalidArgument, "inflate: output position beyond buffer");
    BitReader br{in.data(), in.size()};
    Codes codes;
    size_t pos = out_pos;
    bool last;
    do {
        last = br.take(1) != 0;
        const unsigned type = br.take(2);
        if (br.overrun)
            return fail(why, Status::InvalidArgument, "inflate: truncated block header");
        switch (type) {
        case 0:
            HV_TRY(copy_stored(br, out, &pos, why));
            continue;
        case 1:
            HV_TRY(read_fixed_codes(codes));
            break;
        case 2:
            HV_TRY(read_dynamic_codes(br, codes, why));
            break;
        default:
            return fail(why, Status::InvalidArgument, "inflate: invalid block type");
        }
        HV_TRY(decode_block_data(br, codes, out, out_pos, &pos, why));
    } while (!last);
    br.drop(br.count % 8);
    return InflateOutcome{br.consumed(), pos};
}

}  // namespace hv::image
