#include "image/crc.hpp"

#include <array>

namespace hv::image {
namespace {

// Byte-at-a-time tables, built at compile time: entry i is the CRC register after
// shifting the byte i through it.
template <typename Word>
constexpr std::array<Word, 256> make_table(Word polynomial) {
    std::array<Word, 256> table{};
    for (unsigned i = 0; i < 256; ++i) {
        Word r = i;
        for (int bit = 0; bit < 8; ++bit)
            r = (r & 1) ? (r >> 1) ^ polynomial : r >> 1;
        table[i] = r;
    }
    return table;
}

constinit const std::array<uint32_t, 256> kCrc32Table = make_table<uint32_t>(0xEDB88320u);
constinit const std::array<uint64_t, 256> kCrc64Table = make_table<uint64_t>(0xC96C5795D7870F42ull);

}  // namespace

uint32_t crc32_update(uint32_t crc, std::span<const uint8_t> bytes) {
    uint32_t r = ~crc;
    for (uint8_t b : bytes)
        r = kCrc32Table[(r ^ b) & 0xFF] ^ (r >> 8);
    return ~r;
}

uint64_t crc64_update(uint64_t crc, std::span<const uint8_t> bytes) {
    uint64_t r = ~crc;
    for (uint8_t b : bytes)
        r = kCrc64Table[(r ^ b) & 0xFF] ^ (r >> 8);
    return ~r;
}

}  // namespace hv::image
