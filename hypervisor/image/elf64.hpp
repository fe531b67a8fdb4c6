// Read-only view of an untrusted ELF64 little-endian x86-64 executable (the guest kernel).
//
// ElfImage::open validates once, then the accessors can be trusted:
//   - the file header is ELFCLASS64 / ELFDATA2LSB / EV_CURRENT / ET_EXEC / EM_X86_64;
//   - the program header table (e_phnum >= 1, entries of 56 bytes) lies inside the image;
//   - the section header table, when present (e_shnum != 0), has 64-byte entries and lies
//     inside the image; section contents are *not* checked until asked for.
// Header fields are decoded byte by byte into plain structs, so the image may be unaligned.
// Notes (ElfNoteReader) follow the layout {namesz, descsz, type, name, desc} with name and
// desc each padded to 4 bytes, which is what Xen's libelf assumes for ELF64 too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "lib/status.hpp"

namespace hv::image {

inline constexpr uint32_t kPtLoad = 1, kPtNote = 4;
inline constexpr uint32_t kShtNote = 7;
inline constexpr uint32_t kPfExecute = 1, kPfWrite = 2, kPfRead = 4;

struct ElfHeader {
    uint16_t type, machine;
    uint64_t entry, phoff, shoff;
    uint16_t phnum, shnum, shstrndx;
};

struct ProgramHeader {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct SectionHeader {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
};

class ElfImage {
public:
    ElfImage() = default;
    [[nodiscard]] static Result<ElfImage> open(std::span<const uint8_t> bytes, const char** why);

    const ElfHeader& header() const { return header_; }
    std::span<const uint8_t> bytes() const { return bytes_; }
    size_t program_header_count() const { return header_.phnum; }
    size_t section_count() const { return header_.shnum; }
    ProgramHeader program_header(size_t index) const;  // index < program_header_count()
    SectionHeader section(size_t index) const;         // index < section_count()

    // The file bytes [offset, offset + size), or an empty result if outside the image.
    [[nodiscard]] Result<std::span<const uint8_t>> file_range(uint64_t offset, uint64_t size) const;
    // The section's name from the section-name string table; empty if it has none or the
    // table or the name is malformed.
    std::string_view section_name(const SectionHeader& section) const;

private:
    std::span<const uint8_t> bytes_;
    ElfHeader header_{};
};

struct ElfNote {
    std::string_view name;  // owner name without its terminating NUL
    uint32_t type = 0;
    std::span<const uint8_t> desc;
};

// Iterates over the notes in a note segment or section.
class ElfNoteReader {
public:
    explicit ElfNoteReader(std::span<const uint8_t> notes) : notes_(notes) {}
    // Ok and *done = false with *note filled, Ok and *done = true at the end, or
    // InvalidArgument for a note that does not fit.
    [[nodiscard]] Status next(ElfNote* note, bool* done, const char** why);

private:
    std::span<const uint8_t> notes_;
    size_t pos_ = 0;
};

}  // namespace hv::image
