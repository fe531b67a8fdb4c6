#include "elf_image.hpp"

#include "paging.hpp"

namespace guest {
namespace {

// ELF64 header and program header fields we read (System V gABI, x86-64 psABI).
struct Elf64Header {
    uint8_t ident[16];
    uint16_t type;
    uint16_t machine;
    uint32_t version;
    uint64_t entry;
    uint64_t phoff;
    uint64_t shoff;
    uint32_t flags;
    uint16_t ehsize;
    uint16_t phentsize;
    uint16_t phnum;
    uint16_t shentsize;
    uint16_t shnum;
    uint16_t shstrndx;
};
static_assert(sizeof(Elf64Header) == 64);

struct Elf64ProgramHeader {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t paddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};
static_assert(sizeof(Elf64ProgramHeader) == 56);

constexpr uint32_t pt_load = 1;
constexpr uint16_t et_exec = 2;
constexpr uint16_t em_x86_64 = 62;
constexpr uint8_t elfclass64 = 2;
constexpr uint8_t elfdata2lsb = 1;
// No test guest comes near this; it keeps every sum below from overflowing.
constexpr uint64_t max_image_paddr = 1ull << 32;

}  // namespace

const char* parse_elf_image(const void* data, uint64_t size, uint64_t virt_base, ElfImage* out) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    if (bytes == nullptr || size < sizeof(Elf64Header))
        return "image smaller than an ELF header";
    Elf64Header header;
    __builtin_memcpy(&header, bytes, sizeof(header));
    if (header.ident[0] != 0x7f || header.ident[1] != 'E' || header.ident[2] != 'L' || header.ident[3] != 'F')
        return "not an ELF file";
    if (header.ident[4] != elfclass64 || header.ident[5] != elfdata2lsb || header.machine != em_x86_64 ||
        header.type != et_exec)
        return "not an x86-64 ELF64 executable";
    if (header.phentsize != sizeof(Elf64ProgramHeader) || header.phoff > size ||
        header.phnum > (size - header.phoff) / sizeof(Elf64ProgramHeader))
        return "program headers outside the image";

    ElfImage image{};
    image.data = bytes;
    image.size = size;
    image.entry = header.entry;
    for (uint16_t i = 0; i < header.phnum; ++i) {
        Elf64ProgramHeader ph;
        __builtin_memcpy(&ph, bytes + header.phoff + i * sizeof(ph), sizeof(ph));
        if (ph.type != pt_load || ph.memsz == 0)
            continue;
        if (image.nr_segments == static_cast<int>(sizeof(image.segments) / sizeof(image.segments[0])))
            return "too many PT_LOAD segments";
        if (ph.filesz > ph.memsz || ph.offset > size || ph.filesz > size - ph.offset)
            return "segment bytes outside the image";
        if (ph.paddr >= max_image_paddr || ph.memsz >= max_image_paddr - ph.paddr)
            return "segment beyond 4 GiB";
        if (ph.vaddr != ph.paddr + virt_base)
            return "segment not linked at VIRT_BASE + paddr";
        image.segments[image.nr_segments++] = {ph.offset, ph.filesz, ph.memsz, ph.paddr};
        if (ph.paddr + ph.memsz > image.paddr_end)
            image.paddr_end = ph.paddr + ph.memsz;
    }
    if (image.nr_segments == 0)
        return "no PT_LOAD segment";
    if (image.entry < virt_base || image.entry - virt_base >= image.paddr_end)
        return "entry point outside the loaded image";
    *out = image;
    return nullptr;
}

void copy_elf_page(const ElfImage& image, uint64_t pfn, uint8_t* page) {
    const uint64_t page_start = pfn * page_size;
    const uint64_t page_end = page_start + page_size;
    for (int i = 0; i < image.nr_segments; ++i) {
        const ElfSegment& s = image.segments[i];
        // File-backed part of the segment only; the rest (BSS) stays zero.
        const uint64_t start = s.paddr > page_start ? s.paddr : page_start;
        const uint64_t file_end = s.paddr + s.file_size;
        const uint64_t end = file_end < page_end ? file_end : page_end;
        if (start >= end)
            continue;
        __builtin_memcpy(page + (start - page_start), image.data + s.file_offset + (start - s.paddr), end - start);
    }
}

}  // namespace guest
