#include "image/xen_image.hpp"

#include "image/decode_support.hpp"
#include "image/elf64.hpp"
#include "image/xen_features.hpp"

namespace hv::image {
namespace {

constexpr std::string_view kXenOwner = "Xen";
constexpr std::string_view kLegacyGuestSection = "__xen_guest";
constexpr std::string_view kRequiredXenVersion = "xen-3.0";
constexpr std::string_view kGenericLoader = "generic", kLinuxGuest = "linux";
constexpr uint64_t kPageSize = 4096;

bool is_loadable(const ProgramHeader& ph) {
    return ph.type == kPtLoad && (ph.flags & (kPfRead | kPfWrite | kPfExecute)) != 0;
}

// What the notes said, before the derived values are computed. Later notes of the same
// type override earlier ones, as in libelf.
struct NoteValues {
    unsigned xen_notes = 0;
    bool has_virt_base = false, has_paddr_offset = false, has_entry = false;
    uint64_t virt_base = 0, paddr_offset = 0, entry = 0;
    FeatureSet features;
};

std::string_view c_string(const char* s) {
    size_t n = 0;
    while (s[n] != '\0')
        ++n;
    return {s, n};
}

// Copies a string note (ended by its first NUL or by the descriptor's end) into `dest`.
template <size_t N>
Status copy_string(std::span<const uint8_t> desc, char (&dest)[N], bool may_truncate, const char* what,
                   const char** why) {
    size_t n = 0;
    while (n < desc.size() && desc[n] != 0)
        ++n;
    if (n >= N) {
        if (!may_truncate)
            return fail(why, Status::InvalidArgument, what);
        n = N - 1;
    }
    for (size_t i = 0; i < n; ++i)
        dest[i] = static_cast<char>(desc[i]);
    dest[n] = '\0';
    return Status::Ok;
}

Result<uint64_t> numeric(std::span<const uint8_t> desc, const char** why) {
    switch (desc.size()) {
    case 1: return uint64_t{desc[0]};
    case 2: return uint64_t{load_le16(desc.data())};
    case 4: return uint64_t{load_le32(desc.data())};
    case 8: return load_le64(desc.data());
    default: return fail(why, Status::InvalidArgument, "Xen note: numeric value is not 1, 2, 4 or 8 bytes");
    }
}

Status apply_note(const ElfNote& note, XenImageInfo& info, NoteValues& values, const char** why) {
    using xen::ElfNote;
    ++values.xen_notes;
    const auto type = static_cast<ElfNote>(note.type);
    switch (type) {
    case ElfNote::entry:
    case ElfNote::hypercall_page:
    case ElfNote::virt_base:
    case ElfNote::paddr_offset:
    case ElfNote::init_p2m:
    case ElfNote::mod_start_pfn: {
        auto value = numeric(note.desc, why);
        if (!value)
            return value.status();
        if (type == ElfNote::entry) {
            values.has_entry = true;
            values.entry = *value;
        } else if (type == ElfNote::hypercall_page) {
            info.has_hypercall_page = true;
            info.hypercall_page = *value;
        } else if (type == ElfNote::virt_base) {
            values.has_virt_base = true;
            values.virt_base = *value;
        } else if (type == ElfNote::paddr_offset) {
            values.has_paddr_offset = true;
            values.paddr_offset = *value;
        } else if (type == ElfNote::init_p2m) {
            info.has_init_p2m = true;
            info.init_p2m = *value;
        } else {
            info.mod_start_pfn = *value != 0;
        }
        return Status::Ok;
    }
    case ElfNote::supported_features:
        // An array of 32-bit feature submaps; we know submap 0 only.
        if (note.desc.size() < 4 || note.desc.size() % 4 != 0)
            return fail(why, Status::InvalidArgument, "Xen note: SUPPORTED_FEATURES is not a u32 array");
        info.has_supported_features = true;
        info.supported_features = load_le32(note.desc.data());
        return Status::Ok;
    case ElfNote::features: {
        auto set = parse_feature_string(note.desc, why);
        if (!set)
            return set.status();
        values.features = *set;
        return copy_string(note.desc, info.features, true, nullptr, why);
    }
    case ElfNote::xen_version:
        return copy_string(note.desc, info.xen_version, false, "Xen note: XEN_VERSION too long", why);
    case ElfNote::guest_os:
        return copy_string(note.desc, info.guest_os, false, "Xen note: GUEST_OS too long", why);
    case ElfNote::guest_version:
        return copy_string(note.desc, info.guest_version, false, "Xen note: GUEST_VERSION too long", why);
    case ElfNote::loader:
        return copy_string(note.desc, info.loader, false, "Xen note: LOADER too long", why);
    case ElfNote::pae_mode: {
        char mode[16] = {};
        HV_TRY(copy_string(note.desc, mode, true, nullptr, why));
        info.pae_yes = c_string(mode) == "yes";
        return Status::Ok;
    }
    default:
        // info, bsd_symtab, hv_start_low (32-bit only), l1_mfn_valid, suspend_cancel
        // (toolstack), phys32_entry (PVH) and unknown types: not used for a 64-bit PV build.
        return Status::Ok;
    }
}

Status read_notes(std::span<const uint8_t> area, XenImageInfo& info, NoteValues& values, const char** why) {
    ElfNoteReader reader(area);
    for (;;) {
        ElfNote note;
        bool done;
        HV_TRY(reader.next(&note, &done, why));
        if (done)
            return Status::Ok;
        if (note.name == kXenOwner)
            HV_TRY(apply_note(note, info, values, why));
    }
}

Status collect_notes(const ElfImage& elf, XenImageInfo& info, NoteValues& values, const char** why) {
    for (size_t i = 0; i < elf.program_header_count(); ++i) {
        const ProgramHeader ph = elf.program_header(i);
        if (ph.type != kPtNote)
            continue;
        auto area = elf.file_range(ph.offset, ph.filesz);
        if (!area)
            return fail(why, Status::InvalidArgument, "ELF: PT_NOTE segment outside the file");
        HV_TRY(read_notes(*area, info, values, why));
    }
    if (values.xen_notes != 0)
        return Status::Ok;
    bool legacy = false;
    for (size_t i = 0; i < elf.section_count(); ++i) {
        const SectionHeader sh = elf.section(i);
        if (sh.type == kShtNote) {
            auto area = elf.file_range(sh.offset, sh.size);
            if (!area)
                return fail(why, Status::InvalidArgument, "ELF: SHT_NOTE section outside the file");
            HV_TRY(read_notes(*area, info, values, why));
        } else if (elf.section_name(sh) == kLegacyGuestSection) {
            legacy = true;
        }
    }
    if (values.xen_notes != 0)
        return Status::Ok;
    if (legacy)
        return fail(why, Status::NotSupported, "kernel has only a legacy __xen_guest section, no Xen ELF notes");
    return fail(why, Status::InvalidArgument, "not a Xen PV kernel: no Xen ELF notes");
}

Status collect_segments(const ElfImage& elf, XenImageInfo& info, const char** why) {
    bool any = false;
    uint64_t low = ~uint64_t{0}, high = 0;
    for (size_t i = 0; i < elf.program_header_count(); ++i) {
        const ProgramHeader ph = elf.program_header(i);
        if (!is_loadable(ph))
            continue;
        if (!elf.file_range(ph.offset, ph.filesz))
            return fail(why, Status::InvalidArgument, "ELF: PT_LOAD segment outside the file");
        if (ph.filesz > ph.memsz)
            return fail(why, Status::InvalidArgument, "ELF: PT_LOAD segment with filesz > memsz");
        if (ph.memsz > ~uint64_t{0} - ph.paddr)
            return fail(why, Status::InvalidArgument, "ELF: PT_LOAD segment address overflows");
        any = true;
        low = ph.paddr < low ? ph.paddr : low;
        high = ph.paddr + ph.memsz > high ? ph.paddr + ph.memsz : high;
    }
    if (!any || low >= high)
        return fail(why, Status::InvalidArgument, "ELF: no loadable segment");
    info.pstart = low;
    info.pend = high;
    return Status::Ok;
}

bool starts_with(const char* s, std::string_view prefix) { return c_string(s).substr(0, prefix.size()) == prefix; }

// libelf's address derivation and sanity checks, on wrapping 64-bit arithmetic like Xen.
Status derive_addresses(const ElfImage& elf, const NoteValues& values, XenImageInfo& info, const char** why) {
    if (values.has_paddr_offset && !values.has_virt_base)
        return fail(why, Status::InvalidArgument, "Xen notes: PADDR_OFFSET set but VIRT_BASE unset");
    info.virt_base = values.has_virt_base ? values.virt_base : 0;
    info.paddr_offset = values.has_paddr_offset ? values.paddr_offset : 0;  // notes present: 0, not virt_base
    info.virt_offset = info.virt_base - info.paddr_offset;
    info.virt_kstart = info.pstart + info.virt_offset;
    info.virt_kend = info.pend + info.virt_offset;
    info.entry = values.has_entry ? values.entry : elf.header().entry;
    if (info.virt_kstart >= info.virt_kend)
        return fail(why, Status::InvalidArgument, "kernel virtual range wraps around");
    if (info.entry < info.virt_kstart || info.entry >= info.virt_kend)
        return fail(why, Status::InvalidArgument, "entry point outside the kernel image");
    if (info.virt_base > info.virt_kstart)
        return fail(why, Status::InvalidArgument, "VIRT_BASE above the kernel's start");
    if (info.has_init_p2m && info.init_p2m >= info.virt_kstart && info.init_p2m < info.virt_kend)
        return fail(why, Status::InvalidArgument, "INIT_P2M lies inside the kernel image");
    if (info.has_hypercall_page &&
        (info.hypercall_page % kPageSize != 0 || info.hypercall_page < info.virt_kstart ||
         info.hypercall_page >= info.virt_kend || info.virt_kend - info.hypercall_page < kPageSize))
        return fail(why, Status::InvalidArgument, "HYPERCALL_PAGE is not an aligned page inside the kernel");
    return Status::Ok;
}

}  // namespace

Result<XenImageInfo> parse_xen_image(std::span<const uint8_t> bytes, const char** why) {
    auto opened = ElfImage::open(bytes, why);
    if (!opened)
        return opened.status();
    const ElfImage& elf = *opened;
    XenImageInfo info;
    NoteValues values;
    HV_TRY(collect_segments(elf, info, why));
    HV_TRY(collect_notes(elf, info, values, why));
    info.features_declared = values.features.declared;
    info.features_required = values.features.required;
    info.loader_generic = starts_with(info.loader, kGenericLoader);

    if (info.requires_feature(xen::Feature::supervisor_mode_kernel))
        return fail(why, Status::NotSupported, "kernel requires supervisor_mode_kernel");
    if (!starts_with(info.xen_version, kRequiredXenVersion))
        return fail(why, Status::NotSupported, "kernel not built for Xen 3.0 ABI (XEN_VERSION)");
    if (!info.loader_generic && !starts_with(info.guest_os, kLinuxGuest))
        return fail(why, Status::NotSupported, "kernel is neither for the generic loader nor Linux");
    HV_TRY(derive_addresses(elf, values, info, why));
    return info;
}

Status check_dom0_allowed(const XenImageInfo& info, const char** why) {
    const uint32_t dom0 = xen::feature_bit(xen::Feature::dom0);
    if (info.has_supported_features && ((info.supported_features | info.features_declared) & dom0) == 0)
        return fail(why, Status::Permission, "kernel does not support running as dom0 (no XENFEAT_dom0)");
    return Status::Ok;
}

Status load_segments(std::span<const uint8_t> bytes, const XenImageInfo& info, SegmentSink& sink,
                     const char** why) {
    auto opened = ElfImage::open(bytes, why);
    if (!opened)
        return opened.status();
    const ElfImage& elf = *opened;
    for (size_t i = 0; i < elf.program_header_count(); ++i) {
        const ProgramHeader ph = elf.program_header(i);
        if (!is_loadable(ph))
            continue;
        auto file = elf.file_range(ph.offset, ph.filesz);
        // Re-checked because `info` is the caller's: it must describe this image.
        if (!file || ph.filesz > ph.memsz || ph.paddr < info.pstart || ph.paddr > info.pend ||
            ph.memsz > info.pend - ph.paddr)
            return fail(why, Status::InvalidArgument, "load: segment does not match the parsed image");
        const uint64_t va = ph.paddr + info.virt_offset;
        HV_TRY(sink.write(va, *file));
        if (ph.memsz > ph.filesz)
            HV_TRY(sink.zero(va + ph.filesz, ph.memsz - ph.filesz));
    }
    return Status::Ok;
}

namespace {

class FlatSink final : public SegmentSink {
public:
    FlatSink(std::span<uint8_t> image, uint64_t base) : image_(image), base_(base) {}
    Status write(uint64_t va, std::span<const uint8_t> bytes) override {
        auto dest = range(va, bytes.size());
        if (dest == nullptr)
            return Status::Range;
        __builtin_memcpy(dest, bytes.data(), bytes.size());
        return Status::Ok;
    }
    Status zero(uint64_t va, uint64_t length) override {
        auto dest = range(va, length);
        if (dest == nullptr)
            return Status::Range;
        __builtin_memset(dest, 0, length);
        return Status::Ok;
    }

private:
    uint8_t* range(uint64_t va, uint64_t length) {
        if (va < base_ || !in_bounds(va - base_, length, image_.size()))
            return nullptr;
        return image_.data() + (va - base_);
    }
    std::span<uint8_t> image_;
    uint64_t base_;
};

}  // namespace

Status load_segments(std::span<const uint8_t> elf, const XenImageInfo& info, std::span<uint8_t> image,
                     const char** why) {
    const uint64_t span = info.virt_kend - info.virt_kstart;
    if (image.size() < span)
        return fail(why, Status::NoSpace, "load: image buffer smaller than the kernel");
    __builtin_memset(image.data(), 0, span);
    FlatSink sink(image.first(span), info.virt_kstart);
    return load_segments(elf, info, sink, why);
}

}  // namespace hv::image
