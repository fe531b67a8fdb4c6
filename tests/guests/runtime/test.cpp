// Test runner state. Invariant: g_current is non-null exactly while a case body runs;
// g_counts.passed + g_counts.failed = cases finished so far.
#include "test.hpp"

#include <cstdarg>

#include "console.hpp"
#include "hypercall.hpp"
#include "lib/format.hpp"
#include "runtime.hpp"

extern "C" const guest::TestCase __guest_tests_start[];
extern "C" const guest::TestCase __guest_tests_end[];

namespace guest {
namespace {

constexpr int max_cases = 512;

struct CaseState {
    const TestCase* test;
    int failures;
    char reason[320];
    char note[320];
    size_t note_length;
};

constinit CaseState g_state{};
constinit const TestCase* g_current = nullptr;
constinit RunCounts g_counts{};
constinit ResultSink g_sink = nullptr;

// One result line, to the sink or (newline added) to the console.
void emit_line(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void emit_line(const char* fmt, ...) {
    char line[800];
    va_list ap;
    va_start(ap, fmt);
    hv::vformat(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (g_sink != nullptr)
        g_sink(line);
    else
        guest_printf("%s\n", line);
}

const char* base_name(const char* path) {
    const char* base = path;
    for (const char* p = path; *p != 0; ++p)
        if (*p == '/')
            base = p + 1;
    return base;
}

int compare_strings(const char* a, const char* b) {
    while (*a != 0 && *a == *b)
        ++a, ++b;
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

bool runs_before(const TestCase* a, const TestCase* b) {
    const int by_file = compare_strings(a->file, b->file);
    return by_file != 0 ? by_file < 0 : a->line < b->line;
}

void format_value(char* out, size_t size, detail::Printable v) {
    if (v.is_signed)
        hv::format(out, size, "%lld", static_cast<long long>(v.bits));
    else if (v.bits < 10)
        hv::format(out, size, "%llu", static_cast<unsigned long long>(v.bits));
    else
        hv::format(out, size, "%llu (%#llx)", static_cast<unsigned long long>(v.bits),
                   static_cast<unsigned long long>(v.bits));
}

void print_result_line(const TestCase* test) {
    const char* name = test != nullptr ? test->name : "runtime";
    if (g_state.failures == 0) {
        if (g_state.note_length > 0)
            emit_line("PASS %s: %s", name, g_state.note);
        else
            emit_line("PASS %s", name);
        return;
    }
    char more[32] = "";
    if (g_state.failures > 1)
        hv::format(more, sizeof(more), " (+%d more)", g_state.failures - 1);
    if (g_state.note_length > 0)
        emit_line("FAIL %s: %s%s (note: %s)", name, g_state.reason, more, g_state.note);
    else
        emit_line("FAIL %s: %s%s", name, g_state.reason, more);
}

void print_summary() {
    emit_line("guest-summary: %d passed, %d failed", g_counts.passed, g_counts.failed);
}

}  // namespace

const char* current_test_name() {
    return g_current != nullptr ? g_current->name : nullptr;
}

RunCounts run_counts() {
    return g_counts;
}

void note(const char* fmt, ...) {
    size_t& length = g_state.note_length;
    if (length > 0 && length + 2 < sizeof(g_state.note)) {
        g_state.note[length++] = ',';
        g_state.note[length++] = ' ';
        g_state.note[length] = 0;
    }
    if (length + 1 >= sizeof(g_state.note))
        return;
    va_list ap;
    va_start(ap, fmt);
    const size_t room = sizeof(g_state.note) - length;
    const size_t n = hv::vformat(g_state.note + length, room, fmt, ap);
    va_end(ap);
    length += n < room ? n : room - 1;
}

void record_failure(const char* file, int line, const char* fmt, ...) {
    if (g_state.failures++ > 0)
        return;
    const size_t prefix = hv::format(g_state.reason, sizeof(g_state.reason), "%s:%d: ", base_name(file), line);
    if (prefix + 1 >= sizeof(g_state.reason))
        return;
    va_list ap;
    va_start(ap, fmt);
    hv::vformat(g_state.reason + prefix, sizeof(g_state.reason) - prefix, fmt, ap);
    va_end(ap);
}

namespace detail {

void report_binary(const char* file, int line, const char* op, const char* text_a, const char* text_b, Printable a,
                   Printable b) {
    char value_a[48], value_b[48];
    format_value(value_a, sizeof(value_a), a);
    format_value(value_b, sizeof(value_b), b);
    record_failure(file, line, "expected %s %s %s, got %s vs %s", text_a, op, text_b, value_a, value_b);
}

bool check_true(const char* file, int line, const char* text, bool value, bool expected) {
    if (value != expected)
        record_failure(file, line, "expected %s to be %s", text, expected ? "true" : "false");
    return value == expected;
}

}  // namespace detail

int run_all_tests() {
    const TestCase* order[max_cases];
    int count = 0;
    for (const TestCase* t = __guest_tests_start; t < __guest_tests_end && count < max_cases; ++t)
        order[count++] = t;
    // Insertion sort: section order depends on the compiler, source order does not.
    for (int i = 1; i < count; ++i) {
        const TestCase* t = order[i];
        int j = i;
        for (; j > 0 && runs_before(t, order[j - 1]); --j)
            order[j] = order[j - 1];
        order[j] = t;
    }

    begin_cases(count);
    for (int i = 0; i < count; ++i)
        run_case(*order[i]);
    return end_cases();
}

void begin_cases(int expected_total) {
    g_counts = {0, 0, expected_total};
    emit_line("guest-start: %d cases, hypercalls via %s", expected_total, guest_hypercall_mechanism);
}

bool run_case(const TestCase& test) {
    g_state = {};
    g_state.test = &test;
    g_current = &test;
    test.body();
    g_current = nullptr;
    print_result_line(&test);
    const bool passed = g_state.failures == 0;
    if (passed)
        ++g_counts.passed;
    else
        ++g_counts.failed;
    return passed;
}

void add_result_line(bool passed, const char* line) {
    emit_line("%s", line);
    if (passed)
        ++g_counts.passed;
    else
        ++g_counts.failed;
}

int end_cases() {
    print_summary();
    return g_counts.failed;
}

void set_result_sink(ResultSink sink) {
    g_sink = sink;
}

void report_fatal(const char* reason) {
    const TestCase* test = g_current;
    if (test == nullptr)
        g_state = {};
    // The trap reason is the primary failure; an earlier EXPECT failure moves to "more".
    hv::format(g_state.reason, sizeof(g_state.reason), "%s", reason);
    ++g_state.failures;
    print_result_line(test);
    ++g_counts.failed;
    const int not_run = g_counts.total - g_counts.passed - g_counts.failed;
    if (not_run > 0)
        emit_line("guest-note: %d case(s) not run after the fatal trap", not_run);
    print_summary();
}

}  // namespace guest
