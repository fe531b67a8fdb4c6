// Builders for ACPI tables in host tests: little-endian writers and a checksummed system
// description table with QEMU's OEM fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hv::acpi::testing {

using Bytes = std::vector<uint8_t>;

inline void put8(Bytes& b, uint8_t v) { b.push_back(v); }
inline void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v));
    b.push_back(static_cast<uint8_t>(v >> 8));
}
inline void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v));
    put16(b, static_cast<uint16_t>(v >> 16));
}
inline void put64(Bytes& b, uint64_t v) {
    put32(b, static_cast<uint32_t>(v));
    put32(b, static_cast<uint32_t>(v >> 32));
}
inline void put_str(Bytes& b, const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i)
        b.push_back(static_cast<uint8_t>(s[i]));
}
inline void patch32(Bytes& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void fix_checksum(Bytes& b, size_t checksum_at, size_t length) {
    b[checksum_at] = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i)
        sum = static_cast<uint8_t>(sum + b[i]);
    b[checksum_at] = static_cast<uint8_t>(-sum);
}

// A system description table: 36-byte header (QEMU's OEM fields) + body, checksummed.
inline Bytes sdt(const char* signature, uint8_t revision, const Bytes& body) {
    Bytes t;
    put_str(t, signature, 4);
    put32(t, static_cast<uint32_t>(36 + body.size()));
    put8(t, revision);
    put8(t, 0);
    put_str(t, "BOCHS ", 6);
    put_str(t, "BXPC    ", 8);
    put32(t, 1);
    put_str(t, "BXPC", 4);
    put32(t, 1);
    t.insert(t.end(), body.begin(), body.end());
    fix_checksum(t, 9, t.size());
    return t;
}

inline std::span<const uint8_t> span_of(const Bytes& b) { return {b.data(), b.size()}; }

}  // namespace hv::acpi::testing
