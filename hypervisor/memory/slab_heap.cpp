#include "memory/slab_heap.hpp"

#include <bit>
#include <new>

#include "seam/panic.hpp"

// Host builds under ASan poison free objects; the image has no sanitizer and these compile away.
#if defined(__SANITIZE_ADDRESS__)
#define HV_HEAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HV_HEAP_ASAN 1
#endif
#endif

#ifdef HV_HEAP_ASAN
extern "C" void __asan_poison_memory_region(void const volatile* addr, size_t size);
extern "C" void __asan_unpoison_memory_region(void const volatile* addr, size_t size);
#endif

namespace hv {
namespace {

constexpr uint32_t kSlabMagic = 0x534c4142;   // "SLAB"
constexpr uint32_t kLargeMagic = 0x4c415247;  // "LARG"

void poison(void* p, size_t size) {
#ifdef HV_HEAP_ASAN
    __asan_poison_memory_region(p, size);
#else
    (void)p, (void)size;
#endif
}

void unpoison(void* p, size_t size) {
#ifdef HV_HEAP_ASAN
    __asan_unpoison_memory_region(p, size);
#else
    (void)p, (void)size;
#endif
}

constexpr size_t class_size(unsigned index) { return SlabHeap::kMinClassSize << index; }

constexpr unsigned capacity(unsigned index) {
    return static_cast<unsigned>((SlabHeap::kPageSize - SlabHeap::kHeaderSize) / class_size(index));
}
static_assert(capacity(0) <= 4 * 64, "the live bitmap has 256 bits");
static_assert(capacity(0) <= 255, "bump and in_use are bytes");
static_assert(class_size(SlabHeap::kClassCount - 1) == SlabHeap::kMaxClassSize);

constexpr unsigned class_index_for(size_t size) {
    return size <= SlabHeap::kMinClassSize ? 0 : static_cast<unsigned>(std::bit_width(size - 1)) - 4;
}

constexpr size_t run_bytes(unsigned order) { return SlabHeap::kPageSize << order; }

uintptr_t page_base(const void* p) { return reinterpret_cast<uintptr_t>(p) & ~(SlabHeap::kPageSize - 1); }

}  // namespace

SlabHeap::SlabHeap(PageSource& pages) : pages_(pages) {}

SlabHeap::~SlabHeap() {
    for (SizeClass& size_class : classes_) {
        HV_ASSERT(size_class.live_objects == 0 && size_class.partial.empty() && "heap destroyed with live objects");
        if (size_class.empty != nullptr) {
            size_class.empty->magic = 0;
            unpoison(size_class.empty, kPageSize);
            pages_.free_pages(size_class.empty, 0);
        }
    }
    HV_ASSERT(large_objects_.load() == 0 && "heap destroyed with live objects");
}

// Under the class lock: an object from the first partial page (or the cached empty page), or nullptr if
// the class has no free slot. `recycled` tells whether the object was used before (and must be zeroed).
void* SlabHeap::take_object(SizeClass& size_class, unsigned class_index, bool& recycled) {
    SlabPage* page;
    if (!size_class.partial.empty()) {
        page = &size_class.partial.front();
    } else if (size_class.empty != nullptr) {
        page = size_class.empty;
        size_class.empty = nullptr;
        size_class.partial.push_front(*page);
    } else {
        return nullptr;
    }

    const size_t size = class_size(class_index);
    char* const objects = reinterpret_cast<char*>(page) + kHeaderSize;
    void* object;
    if (page->free_list != nullptr) {
        object = page->free_list;
        unpoison(object, size);
        page->free_list = *static_cast<void**>(object);
        recycled = true;
    } else {
        HV_ASSERT(page->bump < capacity(class_index));
        object = objects + size_t{page->bump} * size;
        ++page->bump;
        unpoison(object, size);
        recycled = false;
    }
    const size_t index = static_cast<size_t>(static_cast<char*>(object) - objects) / size;
    page->live[index / 64] |= uint64_t{1} << (index % 64);
    ++page->in_use;
    ++size_class.live_objects;
    if (page->free_list == nullptr && page->bump == capacity(class_index))
        size_class.partial.erase(size_class.partial.iterator_to(*page));
    return object;
}

void* SlabHeap::allocate(size_t size) {
    if (size == 0)
        return nullptr;
    if (size > kMaxClassSize)
        return allocate_large(size);

    const unsigned class_index = class_index_for(size);
    SizeClass& size_class = classes_[class_index];
    bool recycled = false;
    void* object;
    {
        LockGuard guard(size_class.lock);
        object = take_object(size_class, class_index, recycled);
    }
    if (object == nullptr) {
        // No heap lock held while the page source runs (it may take the frame allocator's lock).
        void* memory = pages_.allocate_pages(0);
        if (memory == nullptr)
            return nullptr;
        HV_ASSERT(page_base(memory) == reinterpret_cast<uintptr_t>(memory));
        SlabPage* page = new (memory) SlabPage();
        page->magic = kSlabMagic;
        page->class_index = static_cast<uint8_t>(class_index);
        poison(static_cast<char*>(memory) + kHeaderSize, kPageSize - kHeaderSize);

        LockGuard guard(size_class.lock);
        ++size_class.pages;
        size_class.partial.push_front(*page);
        object = take_object(size_class, class_index, recycled);
    }
    if (recycled)
        __builtin_memset(object, 0, class_size(class_index));
    return object;
}

void* SlabHeap::allocate_large(size_t size) {
    if (size > run_bytes(kMaxRunOrder) - kHeaderSize)
        return nullptr;
    unsigned order = 0;
    while (run_bytes(order) - kHeaderSize < size)
        ++order;
    void* memory = pages_.allocate_pages(order);
    if (memory == nullptr)
        return nullptr;
    HV_ASSERT((reinterpret_cast<uintptr_t>(memory) & (run_bytes(order) - 1)) == 0);
    LargeRun* run = new (memory) LargeRun();
    run->magic = kLargeMagic;
    run->order = static_cast<uint8_t>(order);
    large_pages_.fetch_add(size_t{1} << order, std::memory_order_relaxed);
    large_objects_.fetch_add(1, std::memory_order_relaxed);
    large_bytes_.fetch_add(run_bytes(order) - kHeaderSize, std::memory_order_relaxed);
    return static_cast<char*>(memory) + kHeaderSize;
}

void SlabHeap::free_large(void* p) {
    HV_ASSERT(reinterpret_cast<uintptr_t>(p) - page_base(p) == kHeaderSize && "not the start of a heap object");
    LargeRun* run = reinterpret_cast<LargeRun*>(page_base(p));
    const unsigned order = run->order;
    HV_ASSERT(order <= kMaxRunOrder && (page_base(p) & (run_bytes(order) - 1)) == 0 && "corrupt large-run header");
    run->magic = 0;  // a second free of p no longer finds a heap header
    large_pages_.fetch_sub(size_t{1} << order, std::memory_order_relaxed);
    large_objects_.fetch_sub(1, std::memory_order_relaxed);
    large_bytes_.fetch_sub(run_bytes(order) - kHeaderSize, std::memory_order_relaxed);
    pages_.free_pages(run, order);
}

void SlabHeap::free(void* p) {
    if (p == nullptr)
        return;
    // The header of the page holding a live object stays put while the object is live, so reading it
    // without a lock is safe for every pointer this heap handed out.
    const uint32_t magic = *reinterpret_cast<const uint32_t*>(page_base(p));
    if (magic == kLargeMagic) {
        free_large(p);
        return;
    }
    HV_ASSERT(magic == kSlabMagic && "pointer not from this heap");
    SlabPage* page = reinterpret_cast<SlabPage*>(page_base(p));
    const unsigned class_index = page->class_index;
    HV_ASSERT(class_index < kClassCount && "corrupt slab header");
    const size_t size = class_size(class_index);
    const size_t offset = reinterpret_cast<uintptr_t>(p) - page_base(p);
    HV_ASSERT(offset >= kHeaderSize && (offset - kHeaderSize) % size == 0 && "not the start of a heap object");
    const size_t index = (offset - kHeaderSize) / size;
    const uint64_t bit = uint64_t{1} << (index % 64);

    SizeClass& size_class = classes_[class_index];
    SlabPage* release = nullptr;
    {
        LockGuard guard(size_class.lock);
        HV_ASSERT(index < page->bump && (page->live[index / 64] & bit) != 0 && "double free");
        page->live[index / 64] &= ~bit;
        *static_cast<void**>(p) = page->free_list;
        page->free_list = p;
        poison(p, size);
        const bool was_full = !page->hook.is_linked();
        --page->in_use;
        --size_class.live_objects;
        if (page->in_use == 0) {
            if (!was_full)
                size_class.partial.erase(size_class.partial.iterator_to(*page));
            if (size_class.empty == nullptr) {
                size_class.empty = page;
            } else {
                release = page;
                --size_class.pages;
            }
        } else if (was_full) {
            size_class.partial.push_front(*page);
        }
    }
    if (release != nullptr) {
        release->magic = 0;
        unpoison(release, kPageSize);
        pages_.free_pages(release, 0);
    }
}

size_t SlabHeap::release_cached() {
    size_t released = 0;
    for (SizeClass& size_class : classes_) {
        SlabPage* page = nullptr;
        {
            LockGuard guard(size_class.lock);
            page = size_class.empty;
            size_class.empty = nullptr;
            if (page != nullptr)
                --size_class.pages;
        }
        if (page != nullptr) {
            page->magic = 0;
            unpoison(page, kPageSize);
            pages_.free_pages(page, 0);
            ++released;
        }
    }
    return released;
}

size_t SlabHeap::usable_size(const void* p) const {
    HV_ASSERT(p != nullptr);
    const uint32_t magic = *reinterpret_cast<const uint32_t*>(page_base(p));
    if (magic == kLargeMagic) {
        HV_ASSERT(reinterpret_cast<uintptr_t>(p) - page_base(p) == kHeaderSize && "not the start of a heap object");
        return run_bytes(reinterpret_cast<const LargeRun*>(page_base(p))->order) - kHeaderSize;
    }
    HV_ASSERT(magic == kSlabMagic && "pointer not from this heap");
    const SlabPage* page = reinterpret_cast<const SlabPage*>(page_base(p));
    const unsigned class_index = page->class_index;
    HV_ASSERT(class_index < kClassCount && "corrupt slab header");
    const size_t size = class_size(class_index);
    const size_t offset = reinterpret_cast<uintptr_t>(p) - page_base(p);
    HV_ASSERT(offset >= kHeaderSize && (offset - kHeaderSize) % size == 0 && "not the start of a heap object");
    const size_t index = (offset - kHeaderSize) / size;
    LockGuard guard(classes_[class_index].lock);
    HV_ASSERT(index < page->bump && (page->live[index / 64] & (uint64_t{1} << (index % 64))) != 0 &&
              "object is not live");
    return size;
}

SlabHeap::Stats SlabHeap::stats() const {
    Stats stats{large_pages_.load(std::memory_order_relaxed), large_objects_.load(std::memory_order_relaxed),
                large_bytes_.load(std::memory_order_relaxed)};
    for (unsigned index = 0; index < kClassCount; ++index) {
        LockGuard guard(classes_[index].lock);
        stats.pages += classes_[index].pages;
        stats.live_objects += classes_[index].live_objects;
        stats.live_bytes += classes_[index].live_objects * class_size(index);
    }
    return stats;
}

}  // namespace hv
