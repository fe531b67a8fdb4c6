#include "kernel/memory.hpp"

#include <new>

#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/paging.hpp"
#include "kernel/log.hpp"
#include "memory/memory_map.hpp"
#include "seam/panic.hpp"

extern "C" {
extern char hv_text_start[], hv_text_end[], hv_rodata_start[], hv_data_start[], hv_image_end[];
extern const uint64_t hv_image_phys_start_addr, hv_image_phys_end_addr;
}

namespace hv {
namespace {

using layout::kBootWindowLimit;
constexpr uint64_t kLowReserved = 1ull << 20;      // BIOS data, EBDA, ROMs, the AP trampoline

MemoryMap boot_map;  // free RAM not yet handed to the buddy allocator

class DirectMapZeroer final : public PageZeroer {
public:
    void zero_frames(Pfn first, uint64_t count) override {
        __builtin_memset(layout::phys_to_virt(first << kPageShift), 0, count << kPageShift);
    }
};

class BuddyPageSource final : public PageSource {
public:
    void* allocate_pages(unsigned order) override { return hv::allocate_pages(order); }
    void free_pages(void* p, unsigned order) override { hv::free_pages(p, order); }
};

DirectMapZeroer zeroer;
BuddyPageSource page_source;
alignas(BuddyAllocator) unsigned char buddy_storage[sizeof(BuddyAllocator)];
alignas(SlabHeap) unsigned char heap_storage[sizeof(SlabHeap)];
BuddyAllocator* buddy = nullptr;
SlabHeap* slab_heap = nullptr;
FrameInfo* frame_table = nullptr;
uint64_t frame_count = 0;
uint64_t ram_frames = 0;

void* early_phys_to_virt(uint64_t pa) {
    HV_ASSERT(pa < kBootWindowLimit);
    return reinterpret_cast<void*>(pa + layout::kImageWindowBase);
}

uint64_t early_table_alloc() {
    auto pa = boot_map.take(kPageSize, kPageSize, kBootWindowLimit);
    if (!pa.ok())
        return 0;
    __builtin_memset(early_phys_to_virt(*pa), 0, kPageSize);
    return *pa;
}

uint64_t buddy_table_alloc() {
    auto pfn = buddy->allocate(0);
    return pfn.ok() ? *pfn << kPageShift : 0;
}

void reserve_or_panic(uint64_t base, uint64_t length, const char* what) {
    if (boot_map.reserve(base, length) != Status::Ok)
        panic("memory: cannot reserve %s [%#llx, +%#llx)", what, static_cast<unsigned long long>(base),
              static_cast<unsigned long long>(length));
}

void map_or_panic(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags, bool large, const char* what) {
    const Status s = arch::paging_map(va, pa, size, flags, large);
    if (s != Status::Ok)
        panic("memory: mapping %s failed: %s", what, status_name(s));
}

void map_image_section(const char* start, const char* end, uint64_t flags, const char* what) {
    const uint64_t va = reinterpret_cast<uint64_t>(start);
    const uint64_t size = ((reinterpret_cast<uint64_t>(end) + kPageSize - 1) & ~(kPageSize - 1)) - va;
    map_or_panic(va, layout::image_to_phys(va), size, flags, false, what);
}

void build_master_page_tables(const MemoryMap& ram) {
    arch::paging_set_allocator(early_table_alloc, early_phys_to_virt);
    if (arch::paging_create_master() != Status::Ok)
        panic("memory: no memory below 1 GiB for page tables");
    // The image, W^X: text read-only executable, rodata read-only, data+bss writable.
    map_image_section(hv_text_start, hv_text_end, arch::kMapCode, "image text");
    map_image_section(hv_rodata_start, hv_data_start, arch::kMapReadOnly, "image rodata");
    map_image_section(hv_data_start, hv_image_end, arch::kMapData, "image data");
    // Direct map of every RAM range (2 MiB pages where aligned).
    for (const PhysRange& r : ram.usable())
        map_or_panic(layout::kDirectMapBase + r.base, r.base, r.end - r.base, arch::kMapData, true, "direct map");
    arch::paging_activate();
    arch::paging_set_allocator(early_table_alloc, layout::phys_to_virt);
}

}  // namespace

void memory_init(const mb2::BootInfo& info, uint64_t info_phys) {
    // 1. RAM according to the firmware, and what is already in use.
    MemoryMap ram;
    for (size_t i = 0; i < info.region_count; ++i) {
        const mb2::MemoryRegion& r = info.regions[i];
        if (r.type != static_cast<uint32_t>(mb2::RegionType::Available))
            continue;
        if (ram.add_usable(r.base, r.length) != Status::Ok || boot_map.add_usable(r.base, r.length) != Status::Ok)
            panic("memory: too many memory-map regions");
    }
    if (ram.usable_bytes() == 0)
        panic("memory: the boot loader reported no usable RAM");
    reserve_or_panic(0, kLowReserved, "low memory");
    reserve_or_panic(hv_image_phys_start_addr, hv_image_phys_end_addr - hv_image_phys_start_addr, "hypervisor image");
    reserve_or_panic(info_phys, info.total_size, "boot information");
    for (size_t i = 0; i < info.module_count; ++i)
        reserve_or_panic(info.modules[i].start, info.modules[i].end - info.modules[i].start, "boot module");

    // 2. Our own page tables, then 3. the frame table.
    build_master_page_tables(ram);
    frame_count = ram.highest_usable_end() >> kPageShift;
    const uint64_t table_bytes = (frame_count * sizeof(FrameInfo) + kPageSize - 1) & ~(kPageSize - 1);
    auto table_pa = boot_map.take(table_bytes, 2ull << 20);
    if (!table_pa.ok())
        table_pa = boot_map.take(table_bytes, kPageSize);
    if (!table_pa.ok())
        panic("memory: no room for a %llu KiB frame table", static_cast<unsigned long long>(table_bytes >> 10));
    frame_table = static_cast<FrameInfo*>(layout::phys_to_virt(*table_pa));
    for (uint64_t pfn = 0; pfn < frame_count; ++pfn) {
        new (&frame_table[pfn]) FrameInfo{};
        frame_table[pfn].flags = kFrameNotRam;
    }
    for (const PhysRange& r : ram.usable())
        for (uint64_t pfn = r.base >> kPageShift; pfn < (r.end >> kPageShift); ++pfn)
            frame_table[pfn].flags = 0;
    for (const PhysRange& r : ram.usable())
        ram_frames += (r.end - r.base) >> kPageShift;

    // 4. The buddy allocator takes everything still free; page tables come from it now.
    buddy = new (buddy_storage) BuddyAllocator({frame_table, frame_count}, zeroer);
    for (const PhysRange& r : boot_map.usable())
        buddy->add_free_range(r.base >> kPageShift, (r.end - r.base) >> kPageShift);
    arch::paging_set_allocator(buddy_table_alloc, layout::phys_to_virt);
    slab_heap = new (heap_storage) SlabHeap(page_source);

    LOG_INFO("memory: %llu MiB RAM, frame table %llu KiB for %llu frames at %#llx, %llu MiB free",
             static_cast<unsigned long long>(ram_frames >> 8), static_cast<unsigned long long>(table_bytes >> 10),
             static_cast<unsigned long long>(frame_count), static_cast<unsigned long long>(*table_pa),
             static_cast<unsigned long long>(buddy->free_frames() >> 8));
}

BuddyAllocator& frame_allocator() { return *buddy; }
SlabHeap& heap() { return *slab_heap; }
uint64_t max_pfn() { return frame_count; }
uint64_t total_ram_frames() { return ram_frames; }

FrameInfo& frame_info(Pfn pfn) {
    HV_ASSERT(pfn < frame_count);
    return frame_table[pfn];
}

void* allocate_pages(unsigned order) {
    auto pfn = buddy->allocate(order);
    return pfn.ok() ? layout::phys_to_virt(*pfn << kPageShift) : nullptr;
}

void free_pages(void* va, unsigned order) { buddy->free(layout::virt_to_phys(va) >> kPageShift, order); }

void memory_print_stats() {
    const SlabHeap::Stats s = slab_heap->stats();
    LOG_INFO("memory: %llu of %llu frames free; heap %zu pages, %zu objects, %zu bytes live",
             static_cast<unsigned long long>(buddy->free_frames()), static_cast<unsigned long long>(ram_frames),
             s.pages, s.live_objects, s.live_bytes);
}

}  // namespace hv
