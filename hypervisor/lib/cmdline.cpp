#include "lib/cmdline.hpp"

namespace hv::cmdline {
namespace {

constexpr char kQuote = '"';
constexpr std::string_view kNegationPrefix = "no-";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int digit_value(char c, unsigned base) {
    int d = -1;
    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    return d >= 0 && static_cast<unsigned>(d) < base ? d : -1;
}

// The longest number at the start of `s` (decimal, or hex after 0x/0X).
struct ScannedNumber {
    uint64_t value = 0;
    size_t length = 0;      // characters consumed, prefix included; 0 if there are no digits
    bool overflow = false;  // digits were consumed but the value does not fit
};

ScannedNumber scan_number(std::string_view s) {
    ScannedNumber out;
    unsigned base = 10;
    size_t i = 0;
    if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    const size_t first_digit = i;
    for (; i < s.size(); ++i) {
        const int d = digit_value(s[i], base);
        if (d < 0)
            break;
        if (out.value > (UINT64_MAX - static_cast<uint64_t>(d)) / base)
            out.overflow = true;
        out.value = out.value * base + static_cast<uint64_t>(d);
    }
    out.length = i == first_digit ? 0 : i;
    return out;
}

// Hand-written rather than string_view::find/==/starts_with, which lower to memchr and
// memcmp calls the freestanding image does not provide.
size_t find_char(std::string_view s, char c) {
    for (size_t i = 0; i < s.size(); ++i)
        if (s[i] == c)
            return i;
    return std::string_view::npos;
}

bool equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i])
            return false;
    return true;
}

bool has_prefix(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && equal(s.substr(0, prefix.size()), prefix);
}

bool contains_quote(std::string_view s) { return find_char(s, kQuote) != std::string_view::npos; }

// One whitespace-delimited token, honouring quotes.
struct Token {
    std::string_view text;
    bool unterminated_quote = false;
};

class Tokenizer {
public:
    explicit Tokenizer(std::string_view line) : line_(line) {}

    bool next(Token& out) {
        while (pos_ < line_.size() && is_space(line_[pos_]))
            ++pos_;
        if (pos_ == line_.size())
            return false;
        const size_t start = pos_;
        bool quoted = false;
        for (; pos_ < line_.size(); ++pos_) {
            const char c = line_[pos_];
            if (c == kQuote)
                quoted = !quoted;
            else if (!quoted && is_space(c))
                break;
        }
        out = Token{line_.substr(start, pos_ - start), quoted};
        return true;
    }

private:
    std::string_view line_;
    size_t pos_ = 0;
};

const OptionSpec* find_spec(std::span<const OptionSpec> specs, std::string_view name) {
    for (const OptionSpec& spec : specs)
        if (equal(spec.name, name))
            return &spec;
    return nullptr;
}

// Applies `value` (already unquoted) to `spec`; returns the reason it is malformed, or
// nullptr once the target has been written.
const char* apply(const OptionSpec& spec, bool has_value, std::string_view value) {
    if (spec.kind == OptionSpec::Kind::Flag) {
        bool flag = true;
        if (has_value) {
            Result<bool> parsed = parse_bool(value);
            if (!parsed)
                return "not a boolean";
            flag = *parsed;
        }
        *spec.bool_target = flag;
        return nullptr;
    }
    if (!has_value)
        return "missing value";
    switch (spec.kind) {
    case OptionSpec::Kind::UnsignedInt: {
        Result<uint64_t> parsed = parse_unsigned(value);
        if (parsed.status() == Status::Range)
            return "out of range";
        if (!parsed)
            return "not a number";
        if (*parsed < spec.min || *parsed > spec.max)
            return "out of range";
        *spec.number_target = *parsed;
        return nullptr;
    }
    case OptionSpec::Kind::Size: {
        Result<uint64_t> parsed = parse_size(value);
        if (parsed.status() == Status::Range)
            return "out of range";
        if (!parsed)
            return "not a size";
        *spec.number_target = *parsed;
        return nullptr;
    }
    case OptionSpec::Kind::String:
        *spec.string_target = value;
        return nullptr;
    case OptionSpec::Kind::Custom: {
        if (spec.custom_fn == nullptr)
            return status_name(Status::NotSupported);
        const Status status = spec.custom_fn(value, spec.custom_ctx);
        return status == Status::Ok ? nullptr : status_name(status);
    }
    case OptionSpec::Kind::Flag:
        break;
    }
    return "unknown option kind";
}

// Handles one token; returns true if an option was applied.
bool handle_token(const Token& token, std::span<const OptionSpec> specs, Diagnostics& diag) {
    const size_t equals = find_char(token.text, '=');
    const bool has_value = equals != std::string_view::npos;
    const std::string_view name = token.text.substr(0, equals);
    std::string_view value = has_value ? token.text.substr(equals + 1) : std::string_view();

    if (token.unterminated_quote) {
        diag.malformed_value(name, value, "unterminated quote");
        return false;
    }
    if (contains_quote(name)) {
        diag.malformed_value(name, value, "quote in option name");
        return false;
    }
    if (name.empty()) {
        diag.malformed_value(name, value, "missing option name");
        return false;
    }
    if (contains_quote(value)) {
        const bool quoted_whole = value.size() >= 2 && value.front() == kQuote && value.back() == kQuote &&
                                  !contains_quote(value.substr(1, value.size() - 2));
        if (!quoted_whole) {
            diag.malformed_value(name, value, "quote inside value");
            return false;
        }
        value = value.substr(1, value.size() - 2);
    }

    const char* reason = nullptr;
    if (const OptionSpec* spec = find_spec(specs, name); spec != nullptr) {
        reason = apply(*spec, has_value, value);
    } else if (has_prefix(name, kNegationPrefix) &&
               (spec = find_spec(specs, name.substr(kNegationPrefix.size()))) != nullptr) {
        if (spec->kind != OptionSpec::Kind::Flag) {
            reason = "no- prefix on a non-boolean option";
        } else if (has_value) {
            reason = "no- prefix takes no value";
        } else {
            *spec->bool_target = false;
        }
    } else {
        diag.unknown_option(name);
        return false;
    }
    if (reason != nullptr) {
        diag.malformed_value(name, value, reason);
        return false;
    }
    return true;
}

}  // namespace

Result<uint64_t> parse_unsigned(std::string_view s) {
    const ScannedNumber n = scan_number(s);
    if (n.length == 0 || n.length != s.size())
        return Status::InvalidArgument;
    if (n.overflow)
        return Status::Range;
    return n.value;
}

Result<uint64_t> parse_size(std::string_view s) {
    const ScannedNumber n = scan_number(s);
    if (n.length == 0)
        return Status::InvalidArgument;
    const std::string_view suffix = s.substr(n.length);
    unsigned shift = 10;  // no suffix: KiB, as Xen
    if (suffix.size() > 1)
        return Status::InvalidArgument;
    if (suffix.size() == 1) {
        switch (suffix[0]) {
        case 'B': case 'b': shift = 0; break;
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        case 'T': case 't': shift = 40; break;
        default: return Status::InvalidArgument;
        }
    }
    if (n.overflow || n.value > (UINT64_MAX >> shift))
        return Status::Range;
    return n.value << shift;
}

Result<bool> parse_bool(std::string_view s) {
    constexpr std::string_view kTrue[] = {"1", "yes", "on", "true", "enable"};
    constexpr std::string_view kFalse[] = {"0", "no", "off", "false", "disable"};
    for (std::string_view word : kTrue)
        if (equal(s, word))
            return true;
    for (std::string_view word : kFalse)
        if (equal(s, word))
            return false;
    return Status::InvalidArgument;
}

size_t parse(std::string_view line, std::span<const OptionSpec> specs, Diagnostics& diag) {
    size_t applied = 0;
    Tokenizer tokens(line);
    Token token;
    while (tokens.next(token))
        if (handle_token(token, specs, diag))
            ++applied;
    return applied;
}

}  // namespace hv::cmdline
