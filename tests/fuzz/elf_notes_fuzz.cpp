// Fuzzes the ELF64 parser and the Xen ELF-note interpretation: parse_xen_image must refuse
// or return values that satisfy every invariant its header promises, and load_segments
// must then only write inside [virt_kstart, virt_kend) with bytes taken from the input.
// The raw input is also fed to the note reader and the FEATURES parser directly.
//
// Seed corpus (corpus/elf_notes_fuzz/): ElfBuilder::linux_like() from
// tests/host/image_test_support.hpp with every segment's data cut to 32 bytes (so the
// whole ELF fits libFuzzer's -max_len=4096), once with the notes in a PT_NOTE segment
// (linux_like_segment.elf) and once in an SHT_NOTE section (linux_like_section.elf); plus
// the bare note area (notes.bin) and the FEATURES string (features.txt).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "image/elf64.hpp"
#include "image/xen_features.hpp"
#include "image/xen_image.hpp"

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

class CheckingSink final : public hv::image::SegmentSink {
public:
    CheckingSink(const hv::image::XenImageInfo& info, const uint8_t* data, size_t size)
        : info_(info), data_(data), size_(size) {}
    hv::Status write(uint64_t va, std::span<const uint8_t> bytes) override {
        inside(va, bytes.size());
        check(bytes.empty() || (bytes.data() >= data_ && bytes.data() + bytes.size() <= data_ + size_));
        return hv::Status::Ok;
    }
    hv::Status zero(uint64_t va, uint64_t length) override {
        inside(va, length);
        return hv::Status::Ok;
    }

private:
    void inside(uint64_t va, uint64_t length) const {
        check(va >= info_.virt_kstart && va <= info_.virt_kend && length <= info_.virt_kend - va);
    }
    const hv::image::XenImageInfo& info_;
    const uint8_t* data_;
    size_t size_;
};

uint8_t g_image[1 << 16];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace hv::image;
    const std::span<const uint8_t> in(data, size);

    ElfNoteReader reader(in);
    for (int i = 0; i < 4096; ++i) {
        ElfNote note;
        bool done = false;
        if (reader.next(&note, &done, nullptr) != hv::Status::Ok || done)
            break;
        check(note.desc.data() >= data && note.desc.data() + note.desc.size() <= data + size);
    }
    (void)parse_feature_string(in, nullptr);

    const char* why = nullptr;
    auto parsed = parse_xen_image(in, &why);
    if (!parsed.ok()) {
        check(why != nullptr);
        return 0;
    }
    const XenImageInfo& info = *parsed;
    check(info.pstart < info.pend);
    check(info.virt_kstart == info.pstart + info.virt_offset);
    check(info.virt_kend == info.pend + info.virt_offset);
    check(info.virt_kstart < info.virt_kend);
    check(info.virt_kstart <= info.entry && info.entry < info.virt_kend);
    check(info.virt_base <= info.virt_kstart);
    check(!info.has_init_p2m || info.init_p2m < info.virt_kstart || info.init_p2m >= info.virt_kend);
    check(!info.has_hypercall_page ||
          (info.hypercall_page % 4096 == 0 && info.hypercall_page >= info.virt_kstart &&
           info.virt_kend - info.hypercall_page >= 4096));
    check((info.features_required & ~info.features_declared) == 0);
    check((info.features_required & (1u << 3)) == 0);  // supervisor_mode_kernel is refused
    check(info.features[sizeof info.features - 1] == '\0' && info.loader[sizeof info.loader - 1] == '\0');
    (void)check_dom0_allowed(info, nullptr);

    CheckingSink sink(info, data, size);
    check(load_segments(in, info, sink, nullptr) == hv::Status::Ok);
    if (info.virt_kend - info.virt_kstart <= sizeof g_image)
        check(load_segments(in, info, std::span<uint8_t>(g_image), nullptr) == hv::Status::Ok);
    return 0;
}
