// Host fake of seam/panic.hpp: print the message and abort, so HV_ASSERT and panic()
// paths are observable with EXPECT_DEATH.
#include "seam/panic.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace hv {

void panic(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fputs("panic: ", stderr);
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
    std::abort();
}

}  // namespace hv
