// printf-style formatting into a caller-supplied buffer; no allocation, no floating point.
// Conversions: %d %i %u %x %X %o %p %s %c %%; flags '-' '0' '+' ' ' '#'; width and
// precision (also '*'); length modifiers hh h l ll z j t. Unknown conversions are copied
// through verbatim so a bad format string is visible rather than undefined.
#pragma once

#include <cstdarg>
#include <cstddef>

namespace hv {

// Like vsnprintf: writes at most size-1 characters plus a NUL (if size > 0) and returns
// the length the full output would have had.
size_t vformat(char* buf, size_t size, const char* fmt, va_list ap);
size_t format(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace hv
