#include "image/kernel_image.hpp"

#include "image/decode_support.hpp"
#include "image/gzip.hpp"
#include "image/xz_decoder.hpp"
#include "lib/spinlock.hpp"

namespace hv::image {
namespace {

// Linux boot protocol setup header fields (Documentation/arch/x86/boot.rst).
constexpr size_t kSetupSects = 0x1F1, kHeaderMagic = 0x202, kProtocolVersion = 0x206, kPayloadOffset = 0x248,
                 kPayloadLength = 0x24C;
constexpr size_t kSetupHeaderEnd = 0x250;  // payload_length is the last field we read
constexpr uint8_t kHeaderMagicBytes[4] = {'H', 'd', 'r', 'S'};
constexpr uint16_t kMinProtocolVersion = 0x0208;  // first version with payload_offset/length
constexpr unsigned kSectorSize = 512, kDefaultSetupSects = 4;

struct Magic {
    PayloadFormat format;
    uint8_t length;
    uint8_t bytes[6];
};
constexpr Magic kMagics[] = {
    {PayloadFormat::Elf, 4, {0x7F, 'E', 'L', 'F'}},
    {PayloadFormat::Xz, 6, {0xFD, '7', 'z', 'X', 'Z', 0x00}},
    {PayloadFormat::Gzip, 2, {0x1F, 0x8B}},
    {PayloadFormat::Bzip2, 3, {'B', 'Z', 'h'}},
    {PayloadFormat::Lzma, 3, {0x5D, 0x00, 0x00}},
    {PayloadFormat::Lzo, 3, {0x89, 'L', 'Z'}},
    {PayloadFormat::Lz4, 4, {0x02, 0x21, 0x4C, 0x18}},
    {PayloadFormat::Zstd, 4, {0x28, 0xB5, 0x2F, 0xFD}},
};

bool starts_with(std::span<const uint8_t> bytes, const uint8_t* prefix, size_t n) {
    if (bytes.size() < n)
        return false;
    for (size_t i = 0; i < n; ++i)
        if (bytes[i] != prefix[i])
            return false;
    return true;
}

constinit TicketLock g_scratch_lock;
constinit LzmaDecoder g_scratch;

}  // namespace

const char* payload_format_name(PayloadFormat format) {
    switch (format) {
    case PayloadFormat::Elf: return "ELF";
    case PayloadFormat::Xz: return "xz";
    case PayloadFormat::Gzip: return "gzip";
    case PayloadFormat::Bzip2: return "bzip2";
    case PayloadFormat::Lzma: return "lzma";
    case PayloadFormat::Lzo: return "lzo";
    case PayloadFormat::Lz4: return "lz4";
    case PayloadFormat::Zstd: return "zstd";
    case PayloadFormat::Unknown: break;
    }
    return "unknown";
}

PayloadFormat detect_payload_format(std::span<const uint8_t> bytes) {
    for (const Magic& m : kMagics)
        if (starts_with(bytes, m.bytes, m.length))
            return m.format;
    return PayloadFormat::Unknown;
}

Result<KernelPayload> locate_kernel_payload(std::span<const uint8_t> module, const char** why) {
    const PayloadFormat direct = detect_payload_format(module);
    if (direct == PayloadFormat::Elf || direct == PayloadFormat::Xz || direct == PayloadFormat::Gzip)
        return KernelPayload{module, direct, false};
    if (module.size() < kSetupHeaderEnd || !starts_with(module.subspan(kHeaderMagic), kHeaderMagicBytes, 4))
        return fail(why, Status::InvalidArgument, "kernel: neither an ELF, a bzImage nor an xz/gzip file");
    if (load_le16(module.data() + kProtocolVersion) < kMinProtocolVersion)
        return fail(why, Status::NotSupported, "bzImage: boot protocol older than 2.08 (no payload fields)");
    const unsigned setup_sects = module[kSetupSects] != 0 ? module[kSetupSects] : kDefaultSetupSects;
    const uint64_t protected_mode = uint64_t{setup_sects + 1} * kSectorSize;
    const uint64_t offset = protected_mode + load_le32(module.data() + kPayloadOffset);
    const uint64_t length = load_le32(module.data() + kPayloadLength);
    if (length == 0 || !in_bounds(offset, length, module.size()))
        return fail(why, Status::InvalidArgument, "bzImage: payload outside the image");
    std::span<const uint8_t> payload = module.subspan(offset, length);
    const PayloadFormat format = detect_payload_format(payload);
    switch (format) {
    case PayloadFormat::Elf:
    case PayloadFormat::Xz:
    case PayloadFormat::Gzip:
        return KernelPayload{payload, format, true};
    case PayloadFormat::Unknown:
        return fail(why, Status::InvalidArgument, "bzImage: unrecognised payload compression");
    default:
        return fail(why, Status::NotSupported, "bzImage: payload compression not supported (only xz and gzip)");
    }
}

Result<size_t> unpacked_size_hint(std::span<const uint8_t> module, const char** why) {
    auto located = locate_kernel_payload(module, why);
    if (!located)
        return located.status();
    const KernelPayload& payload = *located;
    switch (payload.format) {
    case PayloadFormat::Elf:
        return payload.data.size();
    case PayloadFormat::Gzip: {
        auto size = gzip_last_member_size(payload.data, why);
        if (!size)
            return size.status();
        return size_t{*size};
    }
    case PayloadFormat::Xz: {
        // A bzImage payload ends with the 4-byte size Linux appends after the stream.
        auto size = xz_uncompressed_size(payload.data, why);
        if (!size && payload.in_bzimage && payload.data.size() > 4)
            size = xz_uncompressed_size(payload.data.first(payload.data.size() - 4), why);
        if (!size)
            return size.status();
        if (*size > SIZE_MAX)
            return fail(why, Status::Range, "xz: uncompressed size too large");
        return static_cast<size_t>(*size);
    }
    default:
        return fail(why, Status::NotSupported, "kernel: payload format not supported");
    }
}

Result<size_t> unpack_kernel(std::span<const uint8_t> module, std::span<uint8_t> out, LzmaDecoder& scratch,
                             const char** why) {
    auto located = locate_kernel_payload(module, why);
    if (!located)
        return located.status();
    const KernelPayload& payload = *located;
    switch (payload.format) {
    case PayloadFormat::Elf:
        if (payload.data.size() > out.size())
            return fail(why, Status::NoSpace, "kernel: output buffer too small");
        __builtin_memcpy(out.data(), payload.data.data(), payload.data.size());
        return payload.data.size();
    case PayloadFormat::Gzip:
        if (payload.in_bzimage) {
            auto member = gzip_decode_member(payload.data, out, 0, why);
            if (!member)
                return member.status();
            return member->end;
        }
        return gzip_decode(payload.data, out, why);
    case PayloadFormat::Xz:
        if (payload.in_bzimage) {
            auto stream = xz_decode_stream(payload.data, out, 0, scratch, why);
            if (!stream)
                return stream.status();
            return stream->end;
        }
        return xz_decode(payload.data, out, scratch, why);
    default:
        return fail(why, Status::NotSupported, "kernel: payload format not supported");
    }
}

Result<size_t> unpack_kernel(std::span<const uint8_t> module, std::span<uint8_t> out, const char** why) {
    LockGuard guard(g_scratch_lock);
    return unpack_kernel(module, out, g_scratch, why);
}

}  // namespace hv::image
