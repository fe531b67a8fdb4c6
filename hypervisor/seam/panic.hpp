// Seam: fatal errors. The image implements panic() with a register dump and a
// symbolized backtrace (kernel/panic.cpp); host tests link a fake that prints and aborts
// (tests/host/fakes/panic_fake.cpp), so HV_ASSERT failures show up as death tests.
#pragma once

namespace hv {

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace hv

#define HV_ASSERT(cond)                                                            \
    do {                                                                           \
        if (__builtin_expect(!(cond), 0))                                          \
            ::hv::panic("assertion '%s' failed at %s:%d", #cond, __FILE__, __LINE__); \
    } while (0)
