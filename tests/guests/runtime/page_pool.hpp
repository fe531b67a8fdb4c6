// Whole pages for cases that need frames of their own: new page tables, a user L4, a
// vcpu_info page, pages to remap, the hostile mode's argument and victim pages, the
// benchmark's 512 pages.
//
// Invariants: the pool is a page-aligned .bss array inside the initial mapping, so each
// page has a fixed VA and MFN (va_to_mfn); a page is handed out zeroed and mapped
// read-write, and must be given back in that state (unpinned, unhooked, RW); runs of
// pages are contiguous in VA.
#pragma once

#include <cstddef>
#include <cstdint>

namespace guest {

inline constexpr size_t pool_pages = 640;

// VA of `count` contiguous free pages (zeroed), or 0 if the pool has no such run.
uint64_t pool_alloc(size_t count = 1);
void pool_free(uint64_t va, size_t count = 1);

uint64_t pool_base();
uint64_t pool_end();
inline bool pool_contains(uint64_t va) {
    return va >= pool_base() && va < pool_end();
}

}  // namespace guest
