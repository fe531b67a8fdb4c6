// Helpers shared by the image decoders: little/big-endian loads and stores on byte
// pointers (never assuming alignment; bounds are checked by the caller before it calls
// them), an overflow-free range check, and the "set the reason, return the status" idiom
// every decoder uses for its `const char** why` out-parameter (why may be null).
#pragma once

#include <cstddef>
#include <cstdint>

namespace hv::image {

inline uint16_t load_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

inline uint32_t load_le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
           (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

inline uint64_t load_le64(const uint8_t* p) {
    return static_cast<uint64_t>(load_le32(p)) | (static_cast<uint64_t>(load_le32(p + 4)) << 32);
}

inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

inline void store_le32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v >> 16);
    p[3] = static_cast<uint8_t>(v >> 24);
}

// True when [offset, offset + length) lies inside a buffer of `size` bytes, without
// overflowing on hostile offsets.
constexpr bool in_bounds(uint64_t offset, uint64_t length, uint64_t size) {
    return offset <= size && length <= size - offset;
}

// Sets *why (when asked for) and returns the status, so error paths stay one line.
template <typename Code>
inline Code fail(const char** why, Code code, const char* reason) {
    if (why != nullptr)
        *why = reason;
    return code;
}

}  // namespace hv::image
