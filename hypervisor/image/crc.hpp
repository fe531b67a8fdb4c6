// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320: gzip, xz, zlib) and CRC-64
// (ECMA-182, reflected polynomial 0xC96C5795D7870F42: xz). Both start from all ones and
// end inverted; the `update` forms take and return the *final* (inverted) value, so a
// CRC over several pieces is crc32_update(crc32_update(0, a), b).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace hv::image {

[[nodiscard]] uint32_t crc32_update(uint32_t crc, std::span<const uint8_t> bytes);
[[nodiscard]] uint64_t crc64_update(uint64_t crc, std::span<const uint8_t> bytes);

[[nodiscard]] inline uint32_t crc32(std::span<const uint8_t> bytes) { return crc32_update(0, bytes); }
[[nodiscard]] inline uint64_t crc64(std::span<const uint8_t> bytes) { return crc64_update(0, bytes); }

}  // namespace hv::image
