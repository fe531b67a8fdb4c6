// The freestanding C/C++ runtime the compiler expects: mem* (GCC emits calls to them even
// with -ffreestanding), operator new/delete on the slab heap, and the few ABI hooks.
#include <cstddef>
#include <cstdint>
#include <new>

#include "kernel/memory.hpp"
#include "seam/panic.hpp"

extern "C" {

// Quadwords first, then the tail: a string instruction iteration is one instruction to
// an emulator counting instructions (QEMU -icount), so this is 8x cheaper there, and no
// slower on hardware with fast strings.
void* memset(void* dst, int c, size_t n) {
    void* d = dst;
    size_t quads = n >> 3, tail = n & 7;
    const uint64_t pattern = 0x0101010101010101ull * static_cast<uint8_t>(c);
    asm volatile("rep stosq" : "+D"(d), "+c"(quads) : "a"(pattern) : "memory");
    asm volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(pattern) : "memory");
    return dst;
}

void* memcpy(void* dst, const void* src, size_t n) {
    void* d = dst;
    size_t quads = n >> 3, tail = n & 7;
    asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(quads) : : "memory");
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    for (size_t i = n; i > 0; --i)
        d[i - 1] = s[i - 1];
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    auto* x = static_cast<const unsigned char*>(a);
    auto* y = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; ++i)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

void* memchr(const void* s, int c, size_t n) {
    auto* p = static_cast<const unsigned char*>(s);
    for (size_t i = 0; i < n; ++i)
        if (p[i] == static_cast<unsigned char>(c))
            return const_cast<unsigned char*>(p + i);
    return nullptr;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n] != 0)
        ++n;
    return n;
}

void __cxa_pure_virtual() { hv::panic("pure virtual function called"); }
// Global destructors never run: the hypervisor does not exit.
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void* __dso_handle = nullptr;

}  // extern "C"

namespace std {
// libstdc++ calls these on misuse (e.g. std::array::at out of range) when exceptions are off.
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) { hv::panic("std: out of range"); }
[[noreturn]] void __throw_bad_optional_access() { hv::panic("std: bad optional access"); }
[[noreturn]] void __throw_length_error(const char* what) { hv::panic("std: length error: %s", what); }
[[noreturn]] void __throw_bad_alloc() { hv::panic("std: bad alloc"); }
}  // namespace std

void* operator new(size_t size) {
    void* p = hv::heap().allocate(size);
    if (p == nullptr)
        hv::panic("out of heap memory (%zu bytes)", size);
    return p;
}
void* operator new[](size_t size) { return operator new(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return hv::heap().allocate(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return hv::heap().allocate(size); }
void operator delete(void* p) noexcept { hv::heap().free(p); }
void operator delete[](void* p) noexcept { hv::heap().free(p); }
void operator delete(void* p, size_t) noexcept { hv::heap().free(p); }
void operator delete[](void* p, size_t) noexcept { hv::heap().free(p); }

// Over-aligned types: the slab heap aligns objects of 64 bytes or more to 64.
void* operator new(size_t size, std::align_val_t align) {
    if (static_cast<size_t>(align) > 64)
        hv::panic("operator new: alignment %zu not supported", static_cast<size_t>(align));
    return operator new(size < 64 ? 64 : size);
}
void operator delete(void* p, std::align_val_t) noexcept { hv::heap().free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { hv::heap().free(p); }
