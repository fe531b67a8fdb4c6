#include "lib/format.hpp"

#include <climits>
#include <cstdint>

namespace hv {
namespace {

// Output cursor that counts everything but stores only what fits.
struct Sink {
    char* buf;
    size_t size;
    size_t len = 0;

    void put(char c) {
        if (len + 1 < size)
            buf[len] = c;
        ++len;
    }
    void repeat(char c, int n) {
        for (; n > 0 && len + 1 < size; --n)
            buf[len++] = c;
        if (n > 0)
            len += static_cast<size_t>(n);  // past the end: only counted (a huge width costs nothing)
    }
};

struct Spec {
    bool left = false, zero = false, plus = false, space = false, alt = false;
    int width = 0;
    int precision = -1;
};

// How an integer conversion is spelled: base, digit case, whether it is signed ('+' and ' ' apply
// only to signed conversions) and its '#' form (octal: force a leading 0; hex: 0x/0X before a
// non-zero value).
struct IntegerStyle {
    unsigned base;
    bool upper;
    bool is_signed;
};

void emit_number(Sink& out, uint64_t value, bool negative, const IntegerStyle& style, const Spec& spec,
                 const char* forced_prefix = nullptr) {
    char digits[24];
    int n = 0;
    const char* set = style.upper ? "0123456789ABCDEF" : "0123456789abcdef";
    const bool zero_value = value == 0;
    do {
        digits[n++] = set[value % style.base];
        value /= style.base;
    } while (value != 0);
    if (spec.precision == 0 && zero_value)
        n = 0;

    const char sign = negative ? '-' : !style.is_signed ? 0 : spec.plus ? '+' : spec.space ? ' ' : 0;
    const char* prefix = "";
    if (forced_prefix != nullptr)
        prefix = forced_prefix;
    else if (spec.alt && style.base == 16 && !zero_value)
        prefix = style.upper ? "0X" : "0x";
    int prefix_len = 0;
    while (prefix[prefix_len] != 0)
        ++prefix_len;
    int zeros = spec.precision > n ? spec.precision - n : 0;
    // Octal '#': raise the precision just enough for the first digit to be a 0.
    if (spec.alt && style.base == 8 && zeros == 0 && (n == 0 || digits[n - 1] != '0'))
        zeros = 1;
    const int body = n + zeros + prefix_len + (sign ? 1 : 0);
    const int pad = spec.width > body ? spec.width - body : 0;

    if (!spec.left && !(spec.zero && spec.precision < 0))
        out.repeat(' ', pad);
    if (sign)
        out.put(sign);
    for (int i = 0; i < prefix_len; ++i)
        out.put(prefix[i]);
    if (!spec.left && spec.zero && spec.precision < 0)
        out.repeat('0', pad);
    out.repeat('0', zeros);
    while (n > 0)
        out.put(digits[--n]);
    if (spec.left)
        out.repeat(' ', pad);
}

void emit_char(Sink& out, char c, const Spec& spec) {
    const int pad = spec.width > 1 ? spec.width - 1 : 0;
    if (!spec.left)
        out.repeat(' ', pad);
    out.put(c);
    if (spec.left)
        out.repeat(' ', pad);
}

void emit_string(Sink& out, const char* s, const Spec& spec) {
    if (s == nullptr)
        s = "(null)";
    int n = 0;
    while (s[n] != 0 && (spec.precision < 0 || n < spec.precision))
        ++n;
    const int pad = spec.width > n ? spec.width - n : 0;
    if (!spec.left)
        out.repeat(' ', pad);
    for (int i = 0; i < n; ++i)
        out.put(s[i]);
    if (spec.left)
        out.repeat(' ', pad);
}

// A decimal width or precision; saturates instead of overflowing (the output is clipped anyway).
int parse_count(const char*& p) {
    int value = 0;
    for (; *p >= '0' && *p <= '9'; ++p)
        value = value > (INT_MAX - 9) / 10 ? INT_MAX : value * 10 + (*p - '0');
    return value;
}

enum class Length { Int, Char, Short, Long, LongLong, Size, Max, Ptrdiff };

}  // namespace

size_t vformat(char* buf, size_t size, const char* fmt, va_list ap) {
    Sink out{buf, size};
    for (const char* p = fmt; *p != 0; ++p) {
        if (*p != '%') {
            out.put(*p);
            continue;
        }
        const char* start = p++;
        Spec spec;
        for (;; ++p) {
            if (*p == '-') spec.left = true;
            else if (*p == '0') spec.zero = true;
            else if (*p == '+') spec.plus = true;
            else if (*p == ' ') spec.space = true;
            else if (*p == '#') spec.alt = true;
            else break;
        }
        if (*p == '*') {
            const int width = va_arg(ap, int);
            if (width < 0) {
                spec.left = true;
                spec.width = width == INT_MIN ? INT_MAX : -width;
            } else {
                spec.width = width;
            }
            ++p;
        } else {
            spec.width = parse_count(p);
        }
        if (*p == '.') {
            ++p;
            spec.precision = 0;
            if (*p == '*') {
                spec.precision = va_arg(ap, int);
                ++p;
            } else {
                spec.precision = parse_count(p);
            }
        }
        Length length = Length::Int;
        if (*p == 'h') {
            length = (p[1] == 'h') ? (++p, Length::Char) : Length::Short;
            ++p;
        } else if (*p == 'l') {
            length = (p[1] == 'l') ? (++p, Length::LongLong) : Length::Long;
            ++p;
        } else if (*p == 'z') {
            length = Length::Size, ++p;
        } else if (*p == 'j') {
            length = Length::Max, ++p;
        } else if (*p == 't') {
            length = Length::Ptrdiff, ++p;
        }

        auto signed_arg = [&]() -> int64_t {
            switch (length) {
            case Length::Char: return static_cast<signed char>(va_arg(ap, int));
            case Length::Short: return static_cast<short>(va_arg(ap, int));
            case Length::Long: return va_arg(ap, long);
            case Length::LongLong: return va_arg(ap, long long);
            case Length::Size: return va_arg(ap, long);
            case Length::Max: return va_arg(ap, intmax_t);
            case Length::Ptrdiff: return va_arg(ap, ptrdiff_t);
            case Length::Int: break;
            }
            return va_arg(ap, int);
        };
        auto unsigned_arg = [&]() -> uint64_t {
            switch (length) {
            case Length::Char: return static_cast<unsigned char>(va_arg(ap, unsigned));
            case Length::Short: return static_cast<unsigned short>(va_arg(ap, unsigned));
            case Length::Long: return va_arg(ap, unsigned long);
            case Length::LongLong: return va_arg(ap, unsigned long long);
            case Length::Size: return va_arg(ap, size_t);
            case Length::Max: return va_arg(ap, uintmax_t);
            case Length::Ptrdiff: return static_cast<uint64_t>(va_arg(ap, ptrdiff_t));
            case Length::Int: break;
            }
            return va_arg(ap, unsigned);
        };

        switch (*p) {
        case 'd':
        case 'i': {
            const int64_t v = signed_arg();
            const uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
            emit_number(out, mag, v < 0, {10, false, true}, spec);
            break;
        }
        case 'u': emit_number(out, unsigned_arg(), false, {10, false, false}, spec); break;
        case 'o': emit_number(out, unsigned_arg(), false, {8, false, false}, spec); break;
        case 'x': emit_number(out, unsigned_arg(), false, {16, false, false}, spec); break;
        case 'X': emit_number(out, unsigned_arg(), false, {16, true, false}, spec); break;
        case 'p': {
            // Always "0x" and at least 16 digits (unlike glibc's "%#lx"/"(nil)"), so pointers line up in
            // logs; a width pads around that with spaces, on the left or (with '-') on the right.
            Spec ptr_spec = spec;
            ptr_spec.zero = false;
            if (ptr_spec.precision < 16)
                ptr_spec.precision = 16;
            emit_number(out, reinterpret_cast<uintptr_t>(va_arg(ap, void*)), false, {16, false, false}, ptr_spec,
                        "0x");
            break;
        }
        case 's': emit_string(out, va_arg(ap, const char*), spec); break;
        case 'c': emit_char(out, static_cast<char>(va_arg(ap, int)), spec); break;
        case '%': out.put('%'); break;
        default:
            // Unknown or truncated conversion: copy it through so the mistake is visible.
            for (const char* q = start; q <= p && *q != 0; ++q)
                out.put(*q);
            if (*p == 0)
                --p;
            break;
        }
    }
    if (size > 0)
        buf[out.len < size ? out.len : size - 1] = 0;
    return out.len;
}

size_t format(char* buf, size_t size, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const size_t n = vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

}  // namespace hv
