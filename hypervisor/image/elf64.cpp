#include "image/elf64.hpp"

#include "image/decode_support.hpp"

namespace hv::image {
namespace {

// ELF64 layout (System V gABI; the x86-64 psABI fixes little endian).
constexpr size_t kFileHeaderSize = 64, kProgramHeaderSize = 56, kSectionHeaderSize = 64;
constexpr uint8_t kElfMagic[4] = {0x7F, 'E', 'L', 'F'};
constexpr uint8_t kClass64 = 2, kDataLittleEndian = 1, kVersionCurrent = 1;
constexpr uint16_t kTypeExecutable = 2, kMachineX86_64 = 62;
constexpr uint16_t kExtendedNumbering = 0xFFFF;  // PN_XNUM: count lives in section 0; refused
constexpr size_t kNoteHeaderSize = 12;

constexpr uint64_t align4(uint64_t n) { return (n + 3) & ~uint64_t{3}; }

}  // namespace

Result<ElfImage> ElfImage::open(std::span<const uint8_t> bytes, const char** why) {
    if (bytes.size() < kFileHeaderSize)
        return fail(why, Status::InvalidArgument, "ELF: shorter than a file header");
    const uint8_t* b = bytes.data();
    for (size_t i = 0; i < sizeof kElfMagic; ++i)
        if (b[i] != kElfMagic[i])
            return fail(why, Status::InvalidArgument, "ELF: magic missing");
    if (b[4] != kClass64 || b[5] != kDataLittleEndian || b[6] != kVersionCurrent)
        return fail(why, Status::NotSupported, "ELF: not a little-endian ELF64 (version 1) image");

    ElfImage image;
    image.bytes_ = bytes;
    ElfHeader& h = image.header_;
    h.type = load_le16(b + 16);
    h.machine = load_le16(b + 18);
    h.entry = load_le64(b + 24);
    h.phoff = load_le64(b + 32);
    h.shoff = load_le64(b + 40);
    const uint16_t phentsize = load_le16(b + 54);
    h.phnum = load_le16(b + 56);
    const uint16_t shentsize = load_le16(b + 58);
    h.shnum = load_le16(b + 60);
    h.shstrndx = load_le16(b + 62);

    if (h.type != kTypeExecutable)
        return fail(why, Status::NotSupported, "ELF: not an executable (ET_EXEC)");
    if (h.machine != kMachineX86_64)
        return fail(why, Status::NotSupported, "ELF: not an x86-64 image");
    if (h.phnum == 0 || h.phnum == kExtendedNumbering || phentsize != kProgramHeaderSize)
        return fail(why, Status::InvalidArgument, "ELF: bad program header table");
    if (!in_bounds(h.phoff, uint64_t{h.phnum} * kProgramHeaderSize, bytes.size()))
        return fail(why, Status::InvalidArgument, "ELF: program header table outside the image");
    if (h.shnum != 0) {
        if (h.shnum == kExtendedNumbering || shentsize != kSectionHeaderSize ||
            !in_bounds(h.shoff, uint64_t{h.shnum} * kSectionHeaderSize, bytes.size()))
            return fail(why, Status::InvalidArgument, "ELF: bad section header table");
    }
    return image;
}

ProgramHeader ElfImage::program_header(size_t index) const {
    const uint8_t* p = bytes_.data() + header_.phoff + index * kProgramHeaderSize;
    return ProgramHeader{load_le32(p),      load_le32(p + 4),  load_le64(p + 8),  load_le64(p + 16),
                         load_le64(p + 24), load_le64(p + 32), load_le64(p + 40), load_le64(p + 48)};
}

SectionHeader ElfImage::section(size_t index) const {
    const uint8_t* s = bytes_.data() + header_.shoff + index * kSectionHeaderSize;
    return SectionHeader{load_le32(s), load_le32(s + 4), load_le64(s + 8), load_le64(s + 16), load_le64(s + 24),
                         load_le64(s + 32)};
}

Result<std::span<const uint8_t>> ElfImage::file_range(uint64_t offset, uint64_t size) const {
    if (!in_bounds(offset, size, bytes_.size()))
        return Status::Range;
    return bytes_.subspan(offset, size);
}

std::string_view ElfImage::section_name(const SectionHeader& s) const {
    if (header_.shstrndx == 0 || header_.shstrndx >= header_.shnum)
        return {};
    const SectionHeader strings = section(header_.shstrndx);
    auto table = file_range(strings.offset, strings.size);
    if (!table || s.name >= table->size())
        return {};
    const auto* start = reinterpret_cast<const char*>(table->data()) + s.name;
    size_t length = 0;
    while (s.name + length < table->size() && start[length] != '\0')
        ++length;
    if (s.name + length == table->size())
        return {};  // unterminated
    return {start, length};
}

Status ElfNoteReader::next(ElfNote* note, bool* done, const char** why) {
    *done = false;
    if (pos_ == notes_.size()) {
        *done = true;
        return Status::Ok;
    }
    if (!in_bounds(pos_, kNoteHeaderSize, notes_.size()))
        return fail(why, Status::InvalidArgument, "ELF note: truncated header");
    const uint8_t* h = notes_.data() + pos_;
    const uint32_t namesz = load_le32(h), descsz = load_le32(h + 4);
    const uint64_t name_at = pos_ + kNoteHeaderSize;
    const uint64_t desc_at = name_at + align4(namesz);
    if (!in_bounds(name_at, align4(namesz), notes_.size()) || !in_bounds(desc_at, descsz, notes_.size()))
        return fail(why, Status::InvalidArgument, "ELF note: name or descriptor outside the note area");
    // The owner name includes its NUL; tolerate a missing one (a few producers omit it).
    const auto* name = reinterpret_cast<const char*>(notes_.data() + name_at);
    size_t name_length = namesz;
    if (name_length != 0 && name[name_length - 1] == '\0')
        --name_length;
    note->name = {name, name_length};
    note->type = load_le32(h + 8);
    note->desc = notes_.subspan(desc_at, descsz);
    // The last note's descriptor padding may be cut off by the segment's end.
    const uint64_t next = desc_at + align4(descsz);
    pos_ = next < notes_.size() ? next : notes_.size();
    return Status::Ok;
}

}  // namespace hv::image
