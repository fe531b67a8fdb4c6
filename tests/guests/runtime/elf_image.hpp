// The loadable part of a PV kernel image held in memory (an ELF64 x86-64 executable),
// as a domain builder needs it: where each PT_LOAD segment's bytes are and which
// pseudo-physical range it fills.
//
// Invariants after parse_elf_image succeeds: every segment's file bytes lie inside the
// image, file_size <= mem_size, paddr + mem_size does not overflow, and
// vaddr = paddr + virt_base for every segment (the layout our test guests link with,
// guest.ld: VIRT_BASE = 0xffffffff80000000, PADDR_OFFSET = 0), so PFN n of the new
// domain is mapped at virt_base + n * 4096. Xen's ELF notes are not interpreted: the
// entry point is e_entry, which guest.ld makes the ENTRY note's value too.
#pragma once

#include <cstddef>
#include <cstdint>

namespace guest {

inline constexpr uint64_t test_guest_virt_base = 0xffffffff80000000ull;

struct ElfSegment {
    uint64_t file_offset;
    uint64_t file_size;
    uint64_t mem_size;
    uint64_t paddr;
};

struct ElfImage {
    const uint8_t* data;
    uint64_t size;
    uint64_t entry;      // virtual
    uint64_t paddr_end;  // end of the highest segment (bytes, not rounded)
    int nr_segments;
    ElfSegment segments[8];
};

// Returns nullptr on success, else a short reason.
const char* parse_elf_image(const void* data, uint64_t size, uint64_t virt_base, ElfImage* out);

// Copies the image's bytes that fall into pseudo-physical page `pfn` into `page`
// (4096 bytes, already zeroed by the caller).
void copy_elf_page(const ElfImage& image, uint64_t pfn, uint8_t* page);

}  // namespace guest
