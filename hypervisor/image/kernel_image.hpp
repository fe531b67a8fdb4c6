// Unwrapping the kernel module handed to the hypervisor into a plain ELF image.
//
// Accepted module formats:
//   - a raw ELF (vmlinux), used as is;
//   - a Linux bzImage (boot protocol >= 2.08): "HdrS" at 0x202, version at 0x206,
//     setup_sects at 0x1F1 (0 means 4); the protected-mode part starts at
//     (setup_sects + 1) * 512 and holds the compressed payload at payload_offset (0x248)
//     for payload_length (0x24C) bytes. Linux appends the 4-byte uncompressed size to the
//     payload, so only the first stream/member of the payload is decoded;
//   - a bare .xz or .gz file of a vmlinux (whole-file semantics).
// Payloads are recognised by magic; XZ and gzip are decoded, bzip2/LZMA/LZO/LZ4/zstd are
// recognised and refused as NotSupported.
//
// unpack_kernel needs ~28 KiB of LZMA state: the overload without `scratch` uses one static
// instance under a lock (domain building is rare and serialised anyway).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "image/lzma_decoder.hpp"
#include "lib/status.hpp"

namespace hv::image {

enum class PayloadFormat : uint8_t { Elf, Xz, Gzip, Bzip2, Lzma, Lzo, Lz4, Zstd, Unknown };

const char* payload_format_name(PayloadFormat format);
PayloadFormat detect_payload_format(std::span<const uint8_t> bytes);

struct KernelPayload {
    std::span<const uint8_t> data;  // the ELF, or the compressed bytes
    PayloadFormat format = PayloadFormat::Unknown;
    bool in_bzimage = false;        // data came from a bzImage's payload fields
};

// Finds the kernel inside `module` (a view into it, nothing is decoded).
[[nodiscard]] Result<KernelPayload> locate_kernel_payload(std::span<const uint8_t> module, const char** why);

// Bytes unpack_kernel will produce: XZ from the stream index, gzip from ISIZE (exact for a
// single member), a raw ELF its own size. Cheap: nothing is decompressed.
[[nodiscard]] Result<size_t> unpacked_size_hint(std::span<const uint8_t> module, const char** why = nullptr);

// Writes the ELF image to `out` and returns its size. NoSpace if `out` is too small.
[[nodiscard]] Result<size_t> unpack_kernel(std::span<const uint8_t> module, std::span<uint8_t> out,
                                           const char** why);
[[nodiscard]] Result<size_t> unpack_kernel(std::span<const uint8_t> module, std::span<uint8_t> out,
                                           LzmaDecoder& scratch, const char** why);

}  // namespace hv::image
