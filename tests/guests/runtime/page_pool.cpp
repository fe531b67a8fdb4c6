#include "page_pool.hpp"

#include "paging.hpp"

namespace guest {
namespace {

alignas(4096) constinit uint8_t g_pool[pool_pages][4096];
constinit uint64_t g_used[(pool_pages + 63) / 64]{};

bool used(size_t page) {
    return (g_used[page / 64] >> (page % 64)) & 1;
}
void set_used(size_t page, bool value) {
    if (value)
        g_used[page / 64] |= 1ull << (page % 64);
    else
        g_used[page / 64] &= ~(1ull << (page % 64));
}

}  // namespace

uint64_t pool_alloc(size_t count) {
    for (size_t first = 0; first + count <= pool_pages; ++first) {
        size_t n = 0;
        while (n < count && !used(first + n))
            ++n;
        if (n < count) {
            first += n;
            continue;
        }
        for (size_t i = 0; i < count; ++i) {
            set_used(first + i, true);
            __builtin_memset(g_pool[first + i], 0, page_size);
        }
        return reinterpret_cast<uint64_t>(g_pool[first]);
    }
    return 0;
}

void pool_free(uint64_t va, size_t count) {
    const size_t first = (va - pool_base()) / page_size;
    for (size_t i = 0; i < count && first + i < pool_pages; ++i)
        set_used(first + i, false);
}

uint64_t pool_base() {
    return reinterpret_cast<uint64_t>(g_pool);
}

uint64_t pool_end() {
    return pool_base() + pool_pages * page_size;
}

}  // namespace guest
