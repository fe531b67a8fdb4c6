// Fuzzes the command-line parser against a table with one option of every kind, and the
// number parsers on the raw bytes. Checks the parser's accounting: every token is applied,
// reported unknown or reported malformed, exactly once; every view points into the line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lib/cmdline.hpp"

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

std::string_view g_line;

bool in_line(std::string_view s) {
    if (s.empty())
        return true;
    return s.data() >= g_line.data() && s.size() <= g_line.size() &&
           static_cast<size_t>(s.data() - g_line.data()) <= g_line.size() - s.size();
}

class CountingDiagnostics final : public hv::cmdline::Diagnostics {
public:
    void unknown_option(std::string_view name) override {
        check(in_line(name));
        ++unknown;
    }
    void malformed_value(std::string_view name, std::string_view value, const char* reason) override {
        check(in_line(name) && in_line(value) && reason != nullptr && reason[0] != '\0');
        ++malformed;
    }
    size_t unknown = 0, malformed = 0;
};

hv::Status custom_handler(std::string_view value, void* ctx) {
    check(in_line(value));
    ++*static_cast<size_t*>(ctx);
    return value.size() % 3 == 0 ? hv::Status::Ok : hv::Status::InvalidArgument;
}

size_t count_tokens(std::string_view line) {
    // Mirrors the documented grammar: whitespace splits tokens outside quotes.
    size_t tokens = 0;
    bool in_token = false, quoted = false;
    for (char c : line) {
        const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if (!in_token && !space) {
            in_token = true;
            ++tokens;
        }
        if (c == '"')
            quoted = !quoted;
        else if (space && !quoted)
            in_token = false;
    }
    return tokens;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    g_line = line;

    bool flag = false;
    uint64_t number = 7, bytes = 0;
    std::string_view text;
    size_t custom_calls = 0;
    const hv::cmdline::OptionSpec specs[] = {
        hv::cmdline::OptionSpec::flag("flag", &flag),
        hv::cmdline::OptionSpec::unsigned_int("num", &number, 3, 1000),
        hv::cmdline::OptionSpec::size("mem", &bytes),
        hv::cmdline::OptionSpec::string("str", &text),
        hv::cmdline::OptionSpec::custom("cb", custom_handler, &custom_calls),
        hv::cmdline::OptionSpec::flag("no-x", &flag),
    };
    CountingDiagnostics diag;
    const size_t applied = hv::cmdline::parse(line, specs, diag);
    check(applied + diag.unknown + diag.malformed == count_tokens(line));
    check((number >= 3 && number <= 1000) || number == 7);
    check(in_line(text));

    // The number parsers on the raw bytes, with their documented relations.
    auto u = hv::cmdline::parse_unsigned(line);
    auto s = hv::cmdline::parse_size(line);
    (void)hv::cmdline::parse_bool(line);
    if (u.ok()) {
        // A plain number is a size in KiB.
        check(s.ok() ? s.value() == (u.value() << 10) : s.status() == hv::Status::Range);
    }
    return 0;
}
