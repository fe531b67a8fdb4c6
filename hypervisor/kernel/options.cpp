#include "kernel/options.hpp"

#include "lib/cmdline.hpp"
#include "lib/format.hpp"

namespace hv {
namespace {

BootOptions options_storage;
char command_line_copy[1024];

// Problems found before the console is configured, printed later.
constexpr unsigned kMaxProblems = 16;
char problems[kMaxProblems][160];
unsigned problem_count = 0;

class QueuedDiagnostics final : public cmdline::Diagnostics {
public:
    void unknown_option(std::string_view name) override {
        if (char* slot = next_slot())
            format(slot, sizeof(problems[0]), "cmdline: unknown option '%.*s' ignored", static_cast<int>(name.size()),
                   name.data());
    }
    void malformed_value(std::string_view name, std::string_view value, const char* reason) override {
        if (char* slot = next_slot())
            format(slot, sizeof(problems[0]), "cmdline: option '%.*s': malformed value '%.*s' (%s), using the default",
                   static_cast<int>(name.size()), name.data(), static_cast<int>(value.size()), value.data(), reason);
    }

private:
    static char* next_slot() { return problem_count < kMaxProblems ? problems[problem_count++] : nullptr; }
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

Status parse_console(std::string_view value, void* ctx) {
    auto& o = *static_cast<BootOptions*>(ctx);
    bool com1 = false, com2 = false;
    while (!value.empty()) {
        const size_t comma = value.find(',');
        const std::string_view item = value.substr(0, comma);
        if (item == "com1")
            com1 = true;
        else if (item == "com2")
            com2 = true;
        else if (item != "none" && item != "vga")  // no VGA console in the hypervisor: accepted, ignored
            return Status::InvalidArgument;
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    }
    o.console_com1 = com1;
    o.console_com2 = com2;
    return Status::Ok;
}

// "<baud>[,8n1]" (Xen also allows io-base and irq after it; we only drive COM1/COM2 at
// their standard ports).
Status parse_uart(std::string_view value, uint32_t& baud_out) {
    const size_t comma = value.find(',');
    auto baud = cmdline::parse_unsigned(value.substr(0, comma));
    if (!baud.ok() || *baud == 0 || *baud > 115200 || 115200 % *baud != 0)
        return Status::InvalidArgument;
    if (comma != std::string_view::npos) {
        const std::string_view rest = value.substr(comma + 1);
        if (!starts_with(rest, "8n1"))
            return Status::NotSupported;
    }
    baud_out = static_cast<uint32_t>(*baud);
    return Status::Ok;
}
Status parse_com1(std::string_view v, void* ctx) { return parse_uart(v, static_cast<BootOptions*>(ctx)->com1_baud); }
Status parse_com2(std::string_view v, void* ctx) { return parse_uart(v, static_cast<BootOptions*>(ctx)->com2_baud); }

Status parse_loglvl(std::string_view value, void* ctx) {
    auto& o = *static_cast<BootOptions*>(ctx);
    value = value.substr(0, value.find('/'));  // Xen's "<normal>/<rate-limited>" form
    if (value == "none" || value == "error")
        o.loglvl = LogLevel::Error;
    else if (value == "warning")
        o.loglvl = LogLevel::Warning;
    else if (value == "info")
        o.loglvl = LogLevel::Info;
    else if (value == "debug" || value == "all")
        o.loglvl = LogLevel::Debug;
    else
        return Status::InvalidArgument;
    return Status::Ok;
}

// "<mod>:<size>[:<vcpus>]" items separated by commas; all or nothing.
Status parse_domu(std::string_view value, void* ctx) {
    auto& o = *static_cast<BootOptions*>(ctx);
    BootDomu parsed[BootOptions::kMaxDomus];
    unsigned count = 0;
    while (!value.empty()) {
        const size_t comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        if (count == BootOptions::kMaxDomus)
            return Status::Range;
        const size_t c1 = item.find(':');
        if (c1 == std::string_view::npos)
            return Status::InvalidArgument;
        auto module = cmdline::parse_unsigned(item.substr(0, c1));
        item = item.substr(c1 + 1);
        const size_t c2 = item.find(':');
        auto memory = cmdline::parse_size(item.substr(0, c2));
        uint64_t vcpus = 1;
        if (c2 != std::string_view::npos) {
            auto v = cmdline::parse_unsigned(item.substr(c2 + 1));
            if (!v.ok() || *v == 0 || *v > 64)
                return Status::InvalidArgument;
            vcpus = *v;
        }
        if (!module.ok() || *module == 0 || *module > 255 || !memory.ok() || *memory < (4u << 20))
            return Status::InvalidArgument;
        parsed[count++] = {static_cast<uint32_t>(*module), *memory, static_cast<uint32_t>(vcpus)};
    }
    for (unsigned i = 0; i < count; ++i)
        o.domus[i] = parsed[i];
    o.domu_count = count;
    return Status::Ok;
}

}  // namespace

void parse_boot_options(std::string_view cmdline_text, BootOptions& o) {
    const cmdline::OptionSpec specs[] = {
        cmdline::OptionSpec::custom("console", parse_console, &o),
        cmdline::OptionSpec::custom("com1", parse_com1, &o),
        cmdline::OptionSpec::custom("com2", parse_com2, &o),
        cmdline::OptionSpec::custom("loglvl", parse_loglvl, &o),
        cmdline::OptionSpec::size("dom0_mem", &o.dom0_mem),
        cmdline::OptionSpec::unsigned_int("maxcpus", &o.maxcpus, 1, 64),
        cmdline::OptionSpec::unsigned_int("dom0_max_vcpus", &o.dom0_max_vcpus, 1, 64),
        cmdline::OptionSpec::flag("selftest", &o.selftest),
        cmdline::OptionSpec::flag("noreboot", &o.noreboot),
        cmdline::OptionSpec::custom("domu", parse_domu, &o),
    };
    size_t n = cmdline_text.size() < sizeof(command_line_copy) - 1 ? cmdline_text.size() : sizeof(command_line_copy) - 1;
    for (size_t i = 0; i < n; ++i)
        command_line_copy[i] = cmdline_text[i];
    command_line_copy[n] = 0;
    QueuedDiagnostics diagnostics;
    cmdline::parse(cmdline_text, specs, diagnostics);
    options_storage = o;
}

const char* boot_command_line() { return command_line_copy; }

void report_option_problems() {
    for (unsigned i = 0; i < problem_count; ++i)
        LOG_WARN("%s", problems[i]);
}
unsigned option_problem_count() { return problem_count; }

const BootOptions& boot_options() { return options_storage; }

}  // namespace hv
