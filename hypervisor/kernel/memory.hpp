// Boot-time memory bring-up and the machine-wide allocators.
//
// Order (memory_init): multiboot2 map -> MemoryMap with the image, boot info, modules and
// the first MiB reserved -> new master page tables (image with W^X permissions, direct map
// of all RAM, built from boot carve-outs below 1 GiB reachable through the boot window) ->
// CR3 switch -> frame table (one FrameInfo per frame up to the top of RAM) -> buddy
// allocator over what is left -> slab heap. After this, page-table pages for new mappings
// come from the buddy allocator.
#pragma once

#include <cstdint>

#include "boot/multiboot2.hpp"
#include "memory/buddy_allocator.hpp"
#include "memory/frame.hpp"
#include "memory/slab_heap.hpp"

namespace hv {

void memory_init(const mb2::BootInfo& info, uint64_t info_phys);

BuddyAllocator& frame_allocator();
SlabHeap& heap();
uint64_t max_pfn();                       // frames [0, max_pfn) have FrameInfo entries
FrameInfo& frame_info(Pfn pfn);
uint64_t total_ram_frames();              // E820 RAM frames under max_pfn

// Zeroed pages in the direct map (nullptr on exhaustion).
void* allocate_pages(unsigned order);
void free_pages(void* va, unsigned order);

void memory_print_stats();

}  // namespace hv
