#include "console.hpp"

#include "hypercall.hpp"
#include "lib/format.hpp"

namespace guest {

void guest_write(const char* text, size_t length) {
    if (length > 0)
        (void)console_io(xen::ConsoleIoOp::write, static_cast<uint32_t>(length), text);
}

void guest_puts(const char* text) {
    size_t length = 0;
    while (text[length] != 0)
        ++length;
    guest_write(text, length);
}

void guest_vprintf(const char* fmt, va_list ap) {
    // One console_io per call keeps a line whole on the serial port; longer output is
    // truncated rather than split.
    char buffer[1024];
    size_t length = hv::vformat(buffer, sizeof(buffer), fmt, ap);
    if (length >= sizeof(buffer))
        length = sizeof(buffer) - 1;
    guest_write(buffer, length);
}

void guest_printf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    guest_vprintf(fmt, ap);
    va_end(ap);
}

}  // namespace guest
