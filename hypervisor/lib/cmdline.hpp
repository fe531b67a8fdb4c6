// Option-table parser for the hypervisor command line (Xen-compatible syntax).
//
// Grammar: the line is a sequence of tokens separated by runs of spaces, tabs, CR or LF.
//   token  := name | name '=' value
//   value  := bare | '"' chars-without-quote '"'     (a quoted value may contain spaces)
// A double quote anywhere in a token opens a quoted stretch that only the next quote
// closes; whitespace inside it does not split tokens. Only a value that is quoted as a
// whole is accepted (its quotes are stripped); a quote elsewhere makes the token
// malformed, and an unterminated quote swallows the rest of the line into that token.
//
// Invariants:
//   - every string_view handed out (string targets, custom callbacks, diagnostics) points
//     into `line`; nothing is copied and nothing is allocated;
//   - a target is written only when its whole value parsed and passed its checks, so a
//     malformed occurrence leaves the previous value (default or an earlier occurrence);
//   - options are applied left to right, so the last good occurrence wins;
//   - every token is either applied, reported once as unknown, or reported once as
//     malformed: parsing never stops early.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "lib/status.hpp"

namespace hv::cmdline {

// Decimal, or hexadecimal after 0x/0X (no octal, no sign, no whitespace). Empty or junk ->
// InvalidArgument; does not fit in 64 bits -> Range.
[[nodiscard]] Result<uint64_t> parse_unsigned(std::string_view s);

// Xen's size syntax: a parse_unsigned number with an optional suffix B, K, M, G or T
// (either case); no suffix means KiB. As with Xen's strtoull-based parser, hex digits
// bind to the number first, so "0x10B" is 0x10b KiB, not 16 bytes. Overflow -> Range.
[[nodiscard]] Result<uint64_t> parse_size(std::string_view s);

// 1/0, yes/no, on/off, true/false, enable/disable (lower case, as Xen).
[[nodiscard]] Result<bool> parse_bool(std::string_view s);

// Receives every problem found; the parser never stops at the first one.
class Diagnostics {
public:
    virtual void unknown_option(std::string_view name) = 0;
    virtual void malformed_value(std::string_view name, std::string_view value, const char* reason) = 0;

protected:
    ~Diagnostics() = default;
};

// One recognised option. Built with the static factories so that a table can be
// `constexpr`/`constinit`; no heap. `target` pointers must outlive parse().
struct OptionSpec {
    enum class Kind : uint8_t { Flag, UnsignedInt, Size, String, Custom };
    using CustomFn = Status (*)(std::string_view value, void* ctx);

    // `name` -> true, `no-name` -> false, `name=<bool>`.
    static constexpr OptionSpec flag(const char* name, bool* target) {
        OptionSpec s(name, Kind::Flag);
        s.bool_target = target;
        return s;
    }
    // Value must lie in [min, max].
    static constexpr OptionSpec unsigned_int(const char* name, uint64_t* target, uint64_t min, uint64_t max) {
        OptionSpec s(name, Kind::UnsignedInt);
        s.number_target = target;
        s.min = min;
        s.max = max;
        return s;
    }
    // Value in bytes, per parse_size.
    static constexpr OptionSpec size(const char* name, uint64_t* target) {
        OptionSpec s(name, Kind::Size);
        s.number_target = target;
        return s;
    }
    // Value is a view into the command line (quotes stripped); may be empty (`name=`).
    static constexpr OptionSpec string(const char* name, std::string_view* target) {
        OptionSpec s(name, Kind::String);
        s.string_target = target;
        return s;
    }
    // `fn(value, ctx)` decides; a non-Ok Status is reported as malformed with its name.
    static constexpr OptionSpec custom(const char* name, CustomFn fn, void* ctx) {
        OptionSpec s(name, Kind::Custom);
        s.custom_fn = fn;
        s.custom_ctx = ctx;
        return s;
    }

    std::string_view name;
    Kind kind;
    bool* bool_target = nullptr;
    uint64_t* number_target = nullptr;
    std::string_view* string_target = nullptr;
    uint64_t min = 0, max = UINT64_MAX;
    CustomFn custom_fn = nullptr;
    void* custom_ctx = nullptr;

private:
    // The length is counted by hand: std::string_view(const char*) may become a strlen
    // call at run time, and the image has no libc.
    static constexpr size_t length_of(const char* s) {
        size_t n = 0;
        while (s[n] != '\0')
            ++n;
        return n;
    }
    constexpr OptionSpec(const char* option_name, Kind option_kind)
        : name(option_name, length_of(option_name)), kind(option_kind) {}
};

// Applies every recognised option in order (the last occurrence wins) and reports every
// unknown or malformed one to `diag`; a malformed value leaves its target untouched.
// Returns the number of options applied. An exact name match wins over the `no-` form,
// so an option may itself be called "no-something".
size_t parse(std::string_view line, std::span<const OptionSpec> specs, Diagnostics& diag);

}  // namespace hv::cmdline
