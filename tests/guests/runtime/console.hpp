// Guest console: formatted output through console_io(CONSOLEIO_write), which Xen copies
// straight to its serial line for the hardware domain (no prefix).
#pragma once

#include <cstdarg>
#include <cstddef>

namespace guest {

void guest_write(const char* text, size_t length);
void guest_puts(const char* text);
void guest_vprintf(const char* fmt, va_list ap);
void guest_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace guest
