// A tiny test framework for PV test guests.
//
//   GUEST_TEST(xen_version_major) {
//       const int64_t v = guest::xen_version(xen::VersionOp::version, nullptr);
//       EXPECT_GE(xen::version_major(v), 4u);
//       GUEST_NOTE("version=%#llx", (unsigned long long)v);
//   }
//
// Each GUEST_TEST places a TestCase in the .guest_tests section; the runner sorts them
// by (file, line) and prints exactly one line per case, `PASS <name>[: <note>]` or
// `FAIL <name>: <first failure>[ (+N more)][ (note: ...)]`, then
// `guest-summary: N passed, M failed`. EXPECT_* record a failure and continue;
// ASSERT_* also return from the case. A CPU exception inside a case is reported as that
// case's FAIL line, followed by the summary, and the domain shuts down with
// SHUTDOWN_crash.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

#include "hypercall/public/hypercalls.hpp"

namespace guest {

// Invariant: exactly 32 bytes and 32-aligned, so the linker-assembled section is a
// gap-free array whatever alignment the compiler picks for each object.
struct alignas(32) TestCase {
    const char* name;
    void (*body)();
    const char* file;
    int64_t line;
};
static_assert(sizeof(TestCase) == 32);

// Runs every registered case; returns the number of failed cases.
int run_all_tests();

// Modes that sequence cases themselves (the two-domain pair mode) use the runner piece by
// piece: begin_cases prints `guest-start`, run_case runs one case and emits its result
// line, add_result_line emits a line produced elsewhere (another domain's case) and
// counts it, end_cases prints the summary and returns the number of failed cases.
void begin_cases(int expected_total);
bool run_case(const TestCase& test);
void add_result_line(bool passed, const char* line);
int end_cases();

// Where result lines go: the console by default; a domain without a console (a domU
// under release Xen) collects them in a page instead. `line` has no newline.
using ResultSink = void (*)(const char* line);
void set_result_sink(ResultSink sink);

// Adds text to the current case's result line (e.g. a value the reference produced).
void note(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Records a failure of the current case.
void record_failure(const char* file, int line, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

// Name of the case being run, or nullptr outside the runner.
const char* current_test_name();

namespace detail {

// A value reduced to something std::cmp_* accepts and the reporter can print.
template <typename T>
constexpr auto comparable(T value) {
    if constexpr (std::is_enum_v<T>)
        return xen::raw(value);
    else if constexpr (std::is_pointer_v<T> || std::is_null_pointer_v<T>)
        return reinterpret_cast<uintptr_t>(value);
    else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, char> || std::is_same_v<T, signed char> ||
                       std::is_same_v<T, unsigned char> || std::is_same_v<T, char8_t>)
        return static_cast<int>(value);
    else
        return value;
}

struct Printable {
    bool is_signed;
    uint64_t bits;
};

template <typename T>
Printable printable(T value) {
    const auto v = comparable(value);
    return {std::is_signed_v<decltype(v)>, static_cast<uint64_t>(v)};
}

void report_binary(const char* file, int line, const char* op, const char* text_a, const char* text_b, Printable a,
                   Printable b);

enum class Op { eq, ne, lt, le, gt, ge };

template <Op op, typename A, typename B>
bool check(const char* file, int line, const char* op_text, const char* text_a, const char* text_b, A a, B b) {
    const auto x = comparable(a);
    const auto y = comparable(b);
    bool ok = false;
    if constexpr (op == Op::eq) ok = std::cmp_equal(x, y);
    if constexpr (op == Op::ne) ok = std::cmp_not_equal(x, y);
    if constexpr (op == Op::lt) ok = std::cmp_less(x, y);
    if constexpr (op == Op::le) ok = std::cmp_less_equal(x, y);
    if constexpr (op == Op::gt) ok = std::cmp_greater(x, y);
    if constexpr (op == Op::ge) ok = std::cmp_greater_equal(x, y);
    if (!ok)
        report_binary(file, line, op_text, text_a, text_b, printable(a), printable(b));
    return ok;
}

bool check_true(const char* file, int line, const char* text, bool value, bool expected);

}  // namespace detail
}  // namespace guest

#define GUEST_TEST(name)                                                                                   \
    static void guest_test_body_##name();                                                                  \
    [[gnu::used, gnu::section(".guest_tests")]] static constinit const ::guest::TestCase guest_test_##name{ \
        #name, &guest_test_body_##name, __FILE__, __LINE__};                                               \
    static void guest_test_body_##name()

#define GUEST_NOTE(...) ::guest::note(__VA_ARGS__)

#define GUEST_CHECK_(op, text, a, b) \
    ::guest::detail::check<::guest::detail::Op::op>(__FILE__, __LINE__, text, #a, #b, (a), (b))

#define EXPECT_EQ(a, b) GUEST_CHECK_(eq, "==", a, b)
#define EXPECT_NE(a, b) GUEST_CHECK_(ne, "!=", a, b)
#define EXPECT_LT(a, b) GUEST_CHECK_(lt, "<", a, b)
#define EXPECT_LE(a, b) GUEST_CHECK_(le, "<=", a, b)
#define EXPECT_GT(a, b) GUEST_CHECK_(gt, ">", a, b)
#define EXPECT_GE(a, b) GUEST_CHECK_(ge, ">=", a, b)
#define EXPECT_TRUE(c) ::guest::detail::check_true(__FILE__, __LINE__, #c, static_cast<bool>(c), true)
#define EXPECT_FALSE(c) ::guest::detail::check_true(__FILE__, __LINE__, #c, static_cast<bool>(c), false)

#define ASSERT_EQ(a, b) do { if (!EXPECT_EQ(a, b)) return; } while (0)
#define ASSERT_NE(a, b) do { if (!EXPECT_NE(a, b)) return; } while (0)
#define ASSERT_LT(a, b) do { if (!EXPECT_LT(a, b)) return; } while (0)
#define ASSERT_LE(a, b) do { if (!EXPECT_LE(a, b)) return; } while (0)
#define ASSERT_GT(a, b) do { if (!EXPECT_GT(a, b)) return; } while (0)
#define ASSERT_GE(a, b) do { if (!EXPECT_GE(a, b)) return; } while (0)
#define ASSERT_TRUE(c) do { if (!EXPECT_TRUE(c)) return; } while (0)
#define ASSERT_FALSE(c) do { if (!EXPECT_FALSE(c)) return; } while (0)

// Expect a hypercall result to be the given Xen error (EXPECT_ERRNO(rc, enosys)).
#define EXPECT_ERRNO(rc, name) EXPECT_EQ(rc, ::xen::error_return(::xen::Errno::name))
