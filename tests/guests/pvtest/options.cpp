#include "modes.hpp"

namespace pvtest {
namespace {

bool word_is(const char* word, const char* end, const char* text) {
    for (; word < end && *text != 0; ++word, ++text)
        if (*word != *text)
            return false;
    return word == end && *text == 0;
}

bool starts_with(const char* word, const char* end, const char* prefix, const char** rest) {
    for (; *prefix != 0; ++word, ++prefix)
        if (word >= end || *word != *prefix)
            return false;
    *rest = word;
    return true;
}

uint64_t parse_number(const char* text, const char* end) {
    uint64_t value = 0;
    for (; text < end && *text >= '0' && *text <= '9'; ++text)
        value = value * 10 + static_cast<uint64_t>(*text - '0');
    return value;
}

}  // namespace

Options parse_options(const char* cmdline) {
    Options options{Mode::tests, 1, 20000, false, false, guest::control::Backend::xen};
    bool pair = false;
    bool granter = false;
    bool bench = false;
    bool control_given = false;
    const char* p = cmdline;
    while (*p != 0) {
        while (*p == ' ')
            ++p;
        const char* word = p;
        while (*p != 0 && *p != ' ')
            ++p;
        const char* rest = nullptr;
        if (word_is(word, p, "hostile"))
            options.mode = Mode::hostile;
        else if (word_is(word, p, "smp"))
            options.mode = Mode::smp;
        else if (word_is(word, p, "bench"))
            bench = true;
        else if (word_is(word, p, "pair"))
            pair = true;
        else if (word_is(word, p, "pair-a"))
            granter = true;
        else if (word_is(word, p, "build"))
            options.build_peer = true;
        else if (word_is(word, p, "control=xen"))
            control_given = true, options.control = guest::control::Backend::xen;
        else if (word_is(word, p, "control=ours"))
            control_given = true, options.control = guest::control::Backend::ours;
        else if (starts_with(word, p, "seed=", &rest))
            options.seed = parse_number(rest, p);
        else if (starts_with(word, p, "iterations=", &rest))
            options.iterations = parse_number(rest, p);
    }
    if (granter) {
        options.mode = Mode::pair_granter;
    } else if (pair) {
        options.mode = Mode::pair;
        options.bench = bench;
        if (!control_given)
            options.control = options.build_peer ? guest::control::Backend::xen : guest::control::Backend::ours;
    } else if (bench && options.mode == Mode::tests) {
        options.mode = Mode::bench;
    }
    return options;
}

}  // namespace pvtest
