/* Included first in every freestanding translation unit (cmake/Freestanding.cmake).
 * Every symbol, declared or defined, is hidden: the image is one static executable, so
 * the compiler may reach any symbol RIP-relatively instead of through the GOT (a GOT
 * load could not be relaxed to an absolute immediate, since we are not in the low or
 * high 2 GiB of the address space). */
#pragma GCC visibility push(hidden)
