// Single loads and stores to guest memory with fault recovery, inline.
//
// copy_to_guest (seam/guest_memory.hpp) copies from a buffer through an out-of-line rep
// movs; the page-fault fast path has its eight frame words in registers already, and the
// small fixed-size copies of hypercall arguments (a batch element, its status) are a few
// words, so they load and store directly. Each access has an entry in the exception table
// whose fixup is the `fault` label: a fault (the page is not mapped, or not writable)
// ends the accesses and returns false, with some of the words possibly written, exactly
// like a failed copy_to_guest. The caller checks the range (no hypervisor address).
#pragma once

#include <cstdint>

namespace hv {

// [dst, dst + 64) must be guest memory (the caller checks: pv::frame_placement_ok).
[[nodiscard]] inline bool store_guest_words8(uint64_t dst, const uint64_t (&w)[8]) {
    asm goto("1: movq %1, 0(%0)\n\t"
             "2: movq %2, 8(%0)\n\t"
             "3: movq %3, 16(%0)\n\t"
             "4: movq %4, 24(%0)\n\t"
             "5: movq %5, 32(%0)\n\t"
             "6: movq %6, 40(%0)\n\t"
             "7: movq %7, 48(%0)\n\t"
             "8: movq %8, 56(%0)\n\t"
             ".pushsection .hv_extable, \"a\"\n\t"
             ".balign 8\n\t"
             ".quad 1b, %l[fault], 2b, %l[fault], 3b, %l[fault], 4b, %l[fault]\n\t"
             ".quad 5b, %l[fault], 6b, %l[fault], 7b, %l[fault], 8b, %l[fault]\n\t"
             ".popsection"
             :
             : "r"(dst), "r"(w[0]), "r"(w[1]), "r"(w[2]), "r"(w[3]), "r"(w[4]), "r"(w[5]), "r"(w[6]), "r"(w[7])
             : "memory"
             : fault);
    return true;
fault:
    return false;
}

// One value of 1, 2, 4 or 8 bytes (any alignment).
template <typename T>
[[nodiscard]] [[gnu::always_inline]] inline bool load_guest(T& out, uint64_t src) {
    static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
    T value;
    asm goto("1: mov %1, %0\n\t"
             ".pushsection .hv_extable, \"a\"\n\t"
             ".balign 8\n\t"
             ".quad 1b, %l[fault]\n\t"
             ".popsection"
             : "=r"(value)
             : "m"(*reinterpret_cast<const T*>(src))
             :
             : fault);
    out = value;
    return true;
fault:
    return false;
}

template <typename T>
[[nodiscard]] [[gnu::always_inline]] inline bool store_guest(uint64_t dst, T value) {
    static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
    asm goto("1: mov %1, %0\n\t"
             ".pushsection .hv_extable, \"a\"\n\t"
             ".balign 8\n\t"
             ".quad 1b, %l[fault]\n\t"
             ".popsection"
             :
             : "m"(*reinterpret_cast<T*>(dst)), "r"(value)
             : "memory"
             : fault);
    return true;
fault:
    return false;
}

}  // namespace hv
