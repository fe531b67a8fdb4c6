// hv::format / hv::vformat against the host's vsnprintf: every conversion, flag, width, precision and
// length modifier that lib/format.hpp lists, generated as a large cross product, plus truncation and
// the return value at every buffer size. Where format.hpp deliberately differs from C (%p, unknown
// conversions, a NULL %s) the expected text is spelled out instead.
#include "lib/format.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace hv {
namespace {

size_t g_cases = 0;

// Compares vformat with vsnprintf for one format and its arguments, at a large buffer size and, when
// `all_sizes` is set, at every size from 0 to the full length + 2.
void expect_same(bool all_sizes, const char* fmt, ...) {
    ++g_cases;
    va_list ap;
    va_start(ap, fmt);
    char expected[1024];
    char actual[1024];
    va_list copy;
    va_copy(copy, ap);
    const int n = std::vsnprintf(expected, sizeof expected, fmt, copy);
    va_end(copy);
    va_copy(copy, ap);
    const size_t m = vformat(actual, sizeof actual, fmt, copy);
    va_end(copy);
    ASSERT_GE(n, 0);
    EXPECT_EQ(m, static_cast<size_t>(n)) << "format \"" << fmt << "\"";
    EXPECT_EQ(std::string(actual, m), std::string(expected, static_cast<size_t>(n)))
        << "format \"" << fmt << "\"";
    EXPECT_EQ(actual[m], '\0');

    if (all_sizes) {
        for (size_t size = 0; size <= static_cast<size_t>(n) + 2; ++size) {
            char want[1024];
            char got[1024];
            std::memset(want, 0x7f, sizeof want);
            std::memset(got, 0x7f, sizeof got);
            va_copy(copy, ap);
            const int wn = std::vsnprintf(size == 0 ? nullptr : want, size, fmt, copy);
            va_end(copy);
            va_copy(copy, ap);
            const size_t gn = vformat(size == 0 ? nullptr : got, size, fmt, copy);
            va_end(copy);
            EXPECT_EQ(gn, static_cast<size_t>(wn)) << "format \"" << fmt << "\" size " << size;
            EXPECT_EQ(std::memcmp(want, got, sizeof want), 0) << "format \"" << fmt << "\" size " << size;
        }
    }
    va_end(ap);
}

// Our own output for formats where format.hpp departs from C on purpose.
std::string ours(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char buf[256];
    const size_t n = vformat(buf, sizeof buf, fmt, ap);
    va_end(ap);
    EXPECT_LT(n, sizeof buf);
    return std::string(buf, n);
}

const std::vector<std::string> kFlagSets = {"", "-", "0", "+", " ", "#", "-0", "+0", "- ", "#0", "#-", "+ ", "-+#0 "};
const std::vector<std::string> kWidths = {"", "1", "5", "12", "25"};
const std::vector<std::string> kPrecisions = {"", ".", ".0", ".1", ".3", ".10", ".22"};

const std::vector<long long> kSignedValues = {
    0, 1, -1, 7, -7, 42, -42, 127, -128, 128, 255, 256, -129, 32767, -32768, 65535, 65536, 100000, -100000,
    INT_MAX, INT_MIN, static_cast<long long>(UINT_MAX), 0x1234abcd, 01234567, LLONG_MAX, LLONG_MIN, -1234567890123LL,
};

void check_integer(const std::string& fmt, const std::string& length, char conversion, long long v) {
    const bool is_signed = conversion == 'd' || conversion == 'i';
    const char* f = fmt.c_str();
    if (length == "hh") {
        if (is_signed)
            expect_same(false, f, static_cast<int>(static_cast<signed char>(v)));
        else
            expect_same(false, f, static_cast<unsigned>(static_cast<unsigned char>(v)));
    } else if (length == "h") {
        if (is_signed)
            expect_same(false, f, static_cast<int>(static_cast<short>(v)));
        else
            expect_same(false, f, static_cast<unsigned>(static_cast<unsigned short>(v)));
    } else if (length.empty()) {
        if (is_signed)
            expect_same(false, f, static_cast<int>(v));
        else
            expect_same(false, f, static_cast<unsigned>(v));
    } else if (length == "l") {
        if (is_signed)
            expect_same(false, f, static_cast<long>(v));
        else
            expect_same(false, f, static_cast<unsigned long>(v));
    } else if (length == "ll") {
        if (is_signed)
            expect_same(false, f, v);
        else
            expect_same(false, f, static_cast<unsigned long long>(v));
    } else if (length == "z") {
        if (is_signed)
            expect_same(false, f, static_cast<ssize_t>(v));
        else
            expect_same(false, f, static_cast<size_t>(v));
    } else if (length == "j") {
        if (is_signed)
            expect_same(false, f, static_cast<intmax_t>(v));
        else
            expect_same(false, f, static_cast<uintmax_t>(v));
    } else if (length == "t") {
        expect_same(false, f, static_cast<ptrdiff_t>(v));
    }
}

TEST(Format, IntegerCrossProduct) {
    const size_t before = g_cases;
    for (char conversion : std::string("diuxXo")) {
        const bool is_signed = conversion == 'd' || conversion == 'i';
        for (const std::string& length : {"hh", "h", "", "l", "ll", "z", "j", "t"}) {
            for (const std::string& flags : kFlagSets) {
                // '#' is undefined for d/i/u in C; '+' and ' ' apply to signed conversions only (we check
                // that they are ignored on unsigned ones, as glibc does).
                if (flags.find('#') != std::string::npos && (is_signed || conversion == 'u'))
                    continue;
                for (const std::string& width : kWidths) {
                    for (const std::string& precision : kPrecisions) {
                        const std::string fmt = "[%" + flags + width + precision + length + conversion + "]";
                        for (long long v : kSignedValues) {
                            check_integer(fmt, length, conversion, v);
                            if (HasFailure())
                                return;
                        }
                    }
                }
            }
        }
    }
    std::printf("integer cases compared with vsnprintf: %zu\n", g_cases - before);
}

TEST(Format, Strings) {
    const size_t before = g_cases;
    const char* values[] = {"", "a", "hello", "hello, world", "tab\tand\nnewline", "0123456789012345678901234567890"};
    for (const std::string& flags : {"", "-"}) {
        for (const std::string& width : kWidths) {
            for (const std::string& precision : kPrecisions) {
                const std::string fmt = "<%" + flags + width + precision + "s>";
                for (const char* v : values)
                    expect_same(false, fmt.c_str(), v);
            }
        }
    }
    std::printf("string cases compared with vsnprintf: %zu\n", g_cases - before);
}

TEST(Format, Characters) {
    for (const std::string& flags : {"", "-"}) {
        for (const std::string& width : kWidths) {
            const std::string fmt = "<%" + flags + width + "c>";
            for (int c : {int{'a'}, int{'Z'}, int{' '}, int{'%'}, 0, 0xff, 0x141})
                expect_same(false, fmt.c_str(), c);
        }
    }
    // Precision does not apply to %c.
    expect_same(false, "<%.0c>", 'x');
    expect_same(false, "<%5.0c>", 'x');
}

TEST(Format, PercentAndPlainText) {
    expect_same(true, "");
    expect_same(true, "plain text");
    expect_same(true, "%%");
    expect_same(true, "100%% sure, %d%%", 42);
    expect_same(true, "%s=%d (%#x) [%-8s] %c%c %lu %lld %zu", "key", -5, 255u, "left", 'o', 'k', 123456789ul,
                -98765432123ll, size_t{77});
}

TEST(Format, StarWidthAndPrecision) {
    for (int width : {-20, -5, -1, 0, 1, 5, 20}) {
        for (int precision : {-3, -1, 0, 2, 8}) {
            expect_same(false, "[%*.*d]", width, precision, -1234);
            expect_same(false, "[%*.*x]", width, precision, 0xbeefu);
            expect_same(false, "[%*.*s]", width, precision, "abcdefghij");
            expect_same(false, "[%-*.*u]", width, precision, 99u);
            expect_same(false, "[%0*d]", width, -77);
        }
        expect_same(false, "[%*c]", width, 'q');
    }
}

TEST(Format, AlternateFormsAtZero) {
    // The cases C spells out: "%#x" of 0 has no prefix; "%#o" always starts with a single 0.
    for (const char* fmt : {"%#x", "%#X", "%#o", "%#.0x", "%#.0o", "%#.3o", "%#5o", "%#05x", "%#.5x", "%#10.4o"}) {
        for (unsigned v : {0u, 1u, 8u, 0755u, 0x1000u})
            expect_same(false, fmt, v);
    }
}

TEST(Format, TruncationAndReturnValueAtEverySize) {
    expect_same(true, "%d", INT_MIN);
    expect_same(true, "%-12s|", "trunc");
    expect_same(true, "%08.3llx and %+d", 0xabcdefull, 17);
    expect_same(true, "%s", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    expect_same(true, "a%cb", '\0');
    expect_same(true, "%30s", "right");
    expect_same(true, "%#o %#x %hhu %hd", 8u, 16u, 300u, 70000);
}

TEST(Format, SizeZeroWritesNothing) {
    char buf[4] = {'x', 'y', 'z', 'w'};
    EXPECT_EQ(format(buf, 0, "%s", "hello"), 5u);
    EXPECT_EQ(buf[0], 'x');
    EXPECT_EQ(format(nullptr, 0, "%d-%d", 10, 20), 5u);
    EXPECT_EQ(format(buf, 1, "%s", "hello"), 5u);
    EXPECT_EQ(buf[0], '\0');
    EXPECT_EQ(buf[1], 'y');
}

TEST(Format, PointersAreFixedWidth) {
    EXPECT_EQ(ours("%p", reinterpret_cast<void*>(0x1234)), "0x0000000000001234");
    EXPECT_EQ(ours("%p", nullptr), "0x0000000000000000");
    EXPECT_EQ(ours("%p", reinterpret_cast<void*>(0xffff800000000000ull)), "0xffff800000000000");
    EXPECT_EQ(ours("[%22p]", reinterpret_cast<void*>(0xab)), "[    0x00000000000000ab]");
    EXPECT_EQ(ours("[%-20p]", reinterpret_cast<void*>(0xab)), "[0x00000000000000ab  ]");
    EXPECT_EQ(ours("[%5p]", reinterpret_cast<void*>(0xab)), "[0x00000000000000ab]");
}

TEST(Format, OwnConventions) {
    // Unknown or incomplete conversions are copied through verbatim, consuming no argument.
    EXPECT_EQ(ours("%y %d", 5), "%y 5");
    EXPECT_EQ(ours("%-5q|"), "%-5q|");
    EXPECT_EQ(ours("100%"), "100%");
    EXPECT_EQ(ours("%5"), "%5");
    EXPECT_EQ(ours("%l"), "%l");
    EXPECT_EQ(ours("%.3"), "%.3");
    // %n is not supported: it never writes through its argument.
    int target = 1234;
    EXPECT_EQ(ours("ab%n", &target), "ab%n");
    EXPECT_EQ(target, 1234);
    // Floating point is not supported either.
    EXPECT_EQ(ours("%f"), "%f");
    // A NULL %s prints "(null)" (cut by the precision like any string).
    EXPECT_EQ(ours("%s", static_cast<const char*>(nullptr)), "(null)");
    EXPECT_EQ(ours("%.3s", static_cast<const char*>(nullptr)), "(nu");
    // Absurd widths saturate rather than overflow (UBSan would catch an overflow).
    char buf[8];
    EXPECT_EQ(format(buf, sizeof buf, "%99999999999999999999d", 1), static_cast<size_t>(INT_MAX));
    EXPECT_STREQ(buf, "       ");
    EXPECT_EQ(format(buf, sizeof buf, "%*d", INT_MIN, 1), static_cast<size_t>(INT_MAX));
    EXPECT_STREQ(buf, "1      ");
}

}  // namespace
}  // namespace hv
