// Fuzzes the kernel-image decompressors: every input goes through the .xz decoder (whole
// file and first stream), the index-only size reader, raw DEFLATE, gzip, and the kernel
// module unwrapper. Each must return a Status (never crash, hang or touch memory outside
// its spans), and a success must be self-consistent.
//
// Seed corpus (corpus/xz_fuzz/), made with XZ Utils 5.4.1 / gzip 1.12:
//   seq300_x86_crc32.xz   seq 1 300 | xz --check=crc32 --x86 --lzma2=dict=32MiB
//   true3k_x86.xz         head -c 3000 /bin/true | xz --x86 --lzma2=preset=6
//   seq300_blocks.xz      seq 1 300 | xz --block-size=256
//   seq100_sha256.xz      seq 1 100 | xz --check=sha256
//   empty.xz, empty.gz    : | xz ;  : | gzip -n
//   seq50_two_streams.xz  two `seq 1 50 | xz --check=none` streams with 4 bytes of padding
//   seq300.gz             seq 1 300 | gzip -9 -n
//   random512.gz          512 seeded random bytes | gzip -n (stored block)
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "image/gzip.hpp"
#include "image/inflate.hpp"
#include "image/kernel_image.hpp"
#include "image/xz_decoder.hpp"

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

constexpr size_t kCapacity = 1 << 16;
uint8_t g_out[kCapacity];
hv::image::LzmaDecoder g_lzma;

void check_failure(hv::Status status, const char* why) {
    check(status != hv::Status::Ok && why != nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace hv::image;
    const std::span<const uint8_t> in(data, size);
    const std::span<uint8_t> out(g_out, kCapacity);

    const char* why = nullptr;
    auto whole = xz_decode(in, out, g_lzma, &why);
    if (whole.ok()) {
        check(*whole <= kCapacity);
        // The index was verified against the blocks, so the index-only size agrees.
        auto size_from_index = xz_uncompressed_size(in, nullptr);
        check(size_from_index.ok() && *size_from_index == *whole);
        if (*whole > 0) {
            why = nullptr;
            auto small = xz_decode(in, out.first(*whole - 1), g_lzma, &why);
            check(small.status() == hv::Status::NoSpace && why != nullptr);
        }
    } else {
        check_failure(whole.status(), why);
    }

    why = nullptr;
    auto stream = xz_decode_stream(in, out, 0, g_lzma, &why);
    if (stream.ok())
        check(stream->consumed <= size && stream->end <= kCapacity);
    else
        check_failure(stream.status(), why);

    why = nullptr;
    auto raw = inflate(in, out, 0, &why);
    if (raw.ok())
        check(raw->consumed <= size && raw->end <= kCapacity);
    else
        check_failure(raw.status(), why);

    why = nullptr;
    auto gz = gzip_decode(in, out, &why);
    if (gz.ok())
        check(*gz <= kCapacity);
    else
        check_failure(gz.status(), why);

    why = nullptr;
    auto kernel = unpack_kernel(in, out, g_lzma, &why);
    if (kernel.ok())
        check(*kernel <= kCapacity);
    else
        check_failure(kernel.status(), why);
    (void)unpacked_size_hint(in);
    return 0;
}
