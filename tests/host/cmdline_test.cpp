// Host tests for the command-line option parser (lib/cmdline.hpp).
#include "lib/cmdline.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hv::cmdline {
namespace {

// Records every diagnostic as text: "unknown:<name>" or "malformed:<name>=<value>:<reason>".
class RecordingDiagnostics final : public Diagnostics {
public:
    void unknown_option(std::string_view name) override { events.push_back("unknown:" + std::string(name)); }
    void malformed_value(std::string_view name, std::string_view value, const char* reason) override {
        events.push_back("malformed:" + std::string(name) + "=" + std::string(value) + ":" + reason);
    }
    std::vector<std::string> events;
};

// ---- parse_unsigned ----

TEST(ParseUnsigned, Decimal) {
    EXPECT_EQ(parse_unsigned("0").value(), 0u);
    EXPECT_EQ(parse_unsigned("42").value(), 42u);
    EXPECT_EQ(parse_unsigned("007").value(), 7u);  // leading zeros are decimal, not octal
    EXPECT_EQ(parse_unsigned("18446744073709551615").value(), UINT64_MAX);
}

TEST(ParseUnsigned, Hex) {
    EXPECT_EQ(parse_unsigned("0x1f").value(), 0x1fu);
    EXPECT_EQ(parse_unsigned("0X1F").value(), 0x1fu);
    EXPECT_EQ(parse_unsigned("0xDeadBeef").value(), 0xdeadbeefu);
    EXPECT_EQ(parse_unsigned("0xffffffffffffffff").value(), UINT64_MAX);
    EXPECT_EQ(parse_unsigned("0x0000000000000000000001").value(), 1u);
}

TEST(ParseUnsigned, Overflow) {
    EXPECT_EQ(parse_unsigned("18446744073709551616").status(), Status::Range);
    EXPECT_EQ(parse_unsigned("99999999999999999999999").status(), Status::Range);
    EXPECT_EQ(parse_unsigned("0x10000000000000000").status(), Status::Range);
}

TEST(ParseUnsigned, Junk) {
    for (const char* s : {"", "0x", "0X", "x1", "-1", "+1", "12a", " 1", "1 ", "0b101", "1.5", "0x1g",
                          "99999999999999999999x", "1K"})
        EXPECT_EQ(parse_unsigned(s).status(), Status::InvalidArgument) << s;
}

// ---- parse_size ----

TEST(ParseSize, Suffixes) {
    EXPECT_EQ(parse_size("512M").value(), 536870912u);
    EXPECT_EQ(parse_size("512m").value(), 536870912u);
    EXPECT_EQ(parse_size("1G").value(), 1u << 30);
    EXPECT_EQ(parse_size("1g").value(), 1u << 30);
    EXPECT_EQ(parse_size("2T").value(), uint64_t{2} << 40);
    EXPECT_EQ(parse_size("2t").value(), uint64_t{2} << 40);
    EXPECT_EQ(parse_size("3K").value(), 3072u);
    EXPECT_EQ(parse_size("3k").value(), 3072u);
    EXPECT_EQ(parse_size("77B").value(), 77u);
    EXPECT_EQ(parse_size("77b").value(), 77u);
    EXPECT_EQ(parse_size("0M").value(), 0u);
}

TEST(ParseSize, NoSuffixMeansKiB) {
    EXPECT_EQ(parse_size("4096").value(), 4u << 20);
    EXPECT_EQ(parse_size("1").value(), 1024u);
}

TEST(ParseSize, Hex) {
    EXPECT_EQ(parse_size("0x10K").value(), 16384u);
    EXPECT_EQ(parse_size("0x10M").value(), 16u << 20);
    EXPECT_EQ(parse_size("0x10").value(), 16384u);
    // Hex digits bind to the number first, like Xen's strtoull: B is a digit, not a suffix.
    EXPECT_EQ(parse_size("0x10B").value(), uint64_t{0x10b} << 10);
}

TEST(ParseSize, Malformed) {
    for (const char* s : {"12Q", "", "M", "K", "0x", "0xM", "1MB", "1 M", " 1M", "-1M", "1.5G", "G1"})
        EXPECT_EQ(parse_size(s).status(), Status::InvalidArgument) << s;
}

TEST(ParseSize, Overflow) {
    EXPECT_EQ(parse_size("16777215T").value(), uint64_t{16777215} << 40);
    EXPECT_EQ(parse_size("16777216T").status(), Status::Range);
    EXPECT_EQ(parse_size("18014398509481983").value(), uint64_t{18014398509481983} << 10);
    EXPECT_EQ(parse_size("18014398509481984").status(), Status::Range);  // 2^54 KiB = 2^64 bytes
    EXPECT_EQ(parse_size("18446744073709551615B").value(), UINT64_MAX);
    EXPECT_EQ(parse_size("18446744073709551616B").status(), Status::Range);
    EXPECT_EQ(parse_size("99999999999999999999999M").status(), Status::Range);
}

// ---- parse_bool ----

TEST(ParseBool, Words) {
    for (const char* s : {"1", "yes", "on", "true", "enable"})
        EXPECT_TRUE(parse_bool(s).value()) << s;
    for (const char* s : {"0", "no", "off", "false", "disable"})
        EXPECT_FALSE(parse_bool(s).value()) << s;
    for (const char* s : {"", "2", "y", "n", "Yes", "TRUE", "enabled", "of", "onn", " 1"})
        EXPECT_EQ(parse_bool(s).status(), Status::InvalidArgument) << s;
}

// ---- parse ----

// A Xen-like option table.
struct Options {
    std::string_view console = "vga";
    std::string_view com1;
    std::string_view loglvl;
    uint64_t dom0_mem = 0;
    bool noreboot = false;
    bool selftest = false;
    bool reboot = true;
    bool no_sync = false;
    uint64_t maxcpus = 0;
    int custom_calls = 0;
    std::string_view custom_value;

    static Status parse_sched(std::string_view value, void* ctx) {
        auto* self = static_cast<Options*>(ctx);
        ++self->custom_calls;
        if (value == "credit" || value == "null") {
            self->custom_value = value;
            return Status::Ok;
        }
        return value.empty() ? Status::InvalidArgument : Status::NotSupported;
    }

    std::vector<OptionSpec> specs() {
        return {
            OptionSpec::string("console", &console),
            OptionSpec::string("com1", &com1),
            OptionSpec::string("loglvl", &loglvl),
            OptionSpec::size("dom0_mem", &dom0_mem),
            OptionSpec::flag("noreboot", &noreboot),
            OptionSpec::flag("selftest", &selftest),
            OptionSpec::flag("reboot", &reboot),
            OptionSpec::flag("no-sync", &no_sync),
            OptionSpec::unsigned_int("maxcpus", &maxcpus, 1, 4096),
            OptionSpec::custom("sched", &Options::parse_sched, this),
        };
    }
};

class CmdlineParse : public ::testing::Test {
protected:
    size_t run(std::string_view line) {
        const std::vector<OptionSpec> table = options.specs();
        return parse(line, table, diag);
    }
    Options options;
    RecordingDiagnostics diag;
};

using Events = std::vector<std::string>;

TEST_F(CmdlineParse, XenStyleExample) {
    EXPECT_EQ(run("console=com1 com1=115200,8n1 loglvl=all dom0_mem=512M noreboot selftest maxcpus=4"), 7u);
    EXPECT_EQ(diag.events, Events{});
    EXPECT_EQ(options.console, "com1");
    EXPECT_EQ(options.com1, "115200,8n1");
    EXPECT_EQ(options.loglvl, "all");
    EXPECT_EQ(options.dom0_mem, 536870912u);
    EXPECT_TRUE(options.noreboot);
    EXPECT_TRUE(options.selftest);
    EXPECT_EQ(options.maxcpus, 4u);
}

TEST_F(CmdlineParse, EmptyAndBlankLines) {
    EXPECT_EQ(run(""), 0u);
    EXPECT_EQ(run("   \t  \t"), 0u);
    EXPECT_EQ(run("\r\n"), 0u);
    EXPECT_EQ(diag.events, Events{});
    EXPECT_EQ(options.console, "vga");
}

TEST_F(CmdlineParse, RunsOfSpacesAndTabs) {
    EXPECT_EQ(run("\t  selftest \t\t maxcpus=3   \t"), 2u);
    EXPECT_TRUE(options.selftest);
    EXPECT_EQ(options.maxcpus, 3u);
    EXPECT_EQ(diag.events, Events{});
}

TEST_F(CmdlineParse, NewlinesSeparateToo) {
    EXPECT_EQ(run("selftest\nmaxcpus=3\r\n"), 2u);
    EXPECT_EQ(options.maxcpus, 3u);
}

TEST_F(CmdlineParse, LastOccurrenceWins) {
    EXPECT_EQ(run("maxcpus=2 console=a maxcpus=8 console=b"), 4u);
    EXPECT_EQ(options.maxcpus, 8u);
    EXPECT_EQ(options.console, "b");
}

TEST_F(CmdlineParse, MalformedLeavesEarlierValue) {
    EXPECT_EQ(run("maxcpus=2 maxcpus=x dom0_mem=1G dom0_mem=12Q"), 2u);
    EXPECT_EQ(options.maxcpus, 2u);
    EXPECT_EQ(options.dom0_mem, 1u << 30);
    EXPECT_EQ(diag.events,
              (Events{"malformed:maxcpus=x:not a number", "malformed:dom0_mem=12Q:not a size"}));
}

TEST_F(CmdlineParse, UnsignedRange) {
    EXPECT_EQ(run("maxcpus=0 maxcpus=4097 maxcpus=99999999999999999999 maxcpus=1 maxcpus=4096"), 2u);
    EXPECT_EQ(options.maxcpus, 4096u);
    EXPECT_EQ(diag.events, (Events{"malformed:maxcpus=0:out of range", "malformed:maxcpus=4097:out of range",
                                   "malformed:maxcpus=99999999999999999999:out of range"}));
}

TEST_F(CmdlineParse, UnsignedHex) {
    EXPECT_EQ(run("maxcpus=0x10"), 1u);
    EXPECT_EQ(options.maxcpus, 16u);
}

TEST_F(CmdlineParse, Sizes) {
    EXPECT_EQ(run("dom0_mem=4096"), 1u);
    EXPECT_EQ(options.dom0_mem, 4u << 20);
    EXPECT_EQ(run("dom0_mem=0x10K"), 1u);
    EXPECT_EQ(options.dom0_mem, 16384u);
    EXPECT_EQ(run("dom0_mem=99999999999T"), 0u);
    EXPECT_EQ(options.dom0_mem, 16384u);
    EXPECT_EQ(diag.events, Events{"malformed:dom0_mem=99999999999T:out of range"});
}

TEST_F(CmdlineParse, MissingValue) {
    EXPECT_EQ(run("maxcpus dom0_mem console sched"), 0u);
    EXPECT_EQ(diag.events, (Events{"malformed:maxcpus=:missing value", "malformed:dom0_mem=:missing value",
                                   "malformed:console=:missing value", "malformed:sched=:missing value"}));
    EXPECT_EQ(options.console, "vga");
    EXPECT_EQ(options.custom_calls, 0);
}

TEST_F(CmdlineParse, EmptyValue) {
    EXPECT_EQ(run("console= maxcpus= dom0_mem= selftest="), 1u);
    EXPECT_EQ(options.console, "");
    EXPECT_EQ(diag.events, (Events{"malformed:maxcpus=:not a number", "malformed:dom0_mem=:not a size",
                                   "malformed:selftest=:not a boolean"}));
}

TEST_F(CmdlineParse, FlagForms) {
    EXPECT_EQ(run("selftest"), 1u);
    EXPECT_TRUE(options.selftest);
    EXPECT_EQ(run("no-selftest"), 1u);
    EXPECT_FALSE(options.selftest);
    EXPECT_EQ(run("selftest=yes"), 1u);
    EXPECT_TRUE(options.selftest);
    EXPECT_EQ(run("selftest=off"), 1u);
    EXPECT_FALSE(options.selftest);
    EXPECT_EQ(run("selftest=enable"), 1u);
    EXPECT_TRUE(options.selftest);
    EXPECT_EQ(run("selftest=0"), 1u);
    EXPECT_FALSE(options.selftest);
    EXPECT_EQ(run("selftest=\"true\""), 1u);
    EXPECT_TRUE(options.selftest);
    EXPECT_EQ(diag.events, Events{});
}

TEST_F(CmdlineParse, NoPrefix) {
    EXPECT_EQ(run("no-reboot"), 1u);
    EXPECT_FALSE(options.reboot);
    EXPECT_EQ(run("reboot"), 1u);
    EXPECT_TRUE(options.reboot);
    EXPECT_EQ(run("reboot=false"), 1u);
    EXPECT_FALSE(options.reboot);
    // "noreboot" is its own option, Xen-style, and not "no-" + "reboot".
    EXPECT_EQ(run("noreboot"), 1u);
    EXPECT_TRUE(options.noreboot);
    EXPECT_FALSE(options.reboot);
    EXPECT_EQ(run("no-noreboot"), 1u);
    EXPECT_FALSE(options.noreboot);
}

TEST_F(CmdlineParse, ExactNameWinsOverNegation) {
    EXPECT_EQ(run("no-sync"), 1u);
    EXPECT_TRUE(options.no_sync);
    EXPECT_EQ(run("no-no-sync"), 1u);
    EXPECT_FALSE(options.no_sync);
    EXPECT_EQ(run("sync"), 0u);
    EXPECT_EQ(diag.events, Events{"unknown:sync"});
}

TEST_F(CmdlineParse, MalformedFlags) {
    EXPECT_EQ(run("selftest=maybe no-selftest=1 selftest=2 no-maxcpus no-console=x"), 0u);
    EXPECT_FALSE(options.selftest);
    EXPECT_EQ(diag.events, (Events{"malformed:selftest=maybe:not a boolean",
                                   "malformed:no-selftest=1:no- prefix takes no value",
                                   "malformed:selftest=2:not a boolean",
                                   "malformed:no-maxcpus=:no- prefix on a non-boolean option",
                                   "malformed:no-console=x:no- prefix on a non-boolean option"}));
}

TEST_F(CmdlineParse, UnknownOptionsReportedByName) {
    EXPECT_EQ(run("foo bar=1 selftest no-baz Maxcpus=2 =3 no-"), 1u);
    EXPECT_EQ(diag.events, (Events{"unknown:foo", "unknown:bar", "unknown:no-baz", "unknown:Maxcpus",
                                   "malformed:=3:missing option name", "unknown:no-"}));
}

TEST_F(CmdlineParse, ValueMayContainEquals) {
    EXPECT_EQ(run("console=a=b=c"), 1u);
    EXPECT_EQ(options.console, "a=b=c");
}

TEST_F(CmdlineParse, QuotedValues) {
    EXPECT_EQ(run("console=\"com1 vga\" maxcpus=\"3\" loglvl=\"\" com1=\"a\tb\""), 4u);
    EXPECT_EQ(options.console, "com1 vga");
    EXPECT_EQ(options.maxcpus, 3u);
    EXPECT_EQ(options.loglvl, "");
    EXPECT_EQ(options.com1, "a\tb");
    EXPECT_EQ(diag.events, Events{});
}

TEST_F(CmdlineParse, UnterminatedQuoteSwallowsTheRest) {
    EXPECT_EQ(run("selftest console=\"com1 maxcpus=3"), 1u);
    EXPECT_EQ(options.console, "vga");
    EXPECT_EQ(options.maxcpus, 0u);
    EXPECT_EQ(diag.events, Events{"malformed:console=\"com1 maxcpus=3:unterminated quote"});
}

TEST_F(CmdlineParse, UnterminatedQuoteInName) {
    EXPECT_EQ(run("\"selftest maxcpus=3"), 0u);
    EXPECT_EQ(diag.events, Events{"malformed:\"selftest maxcpus=3:unterminated quote"});
}

TEST_F(CmdlineParse, MisplacedQuotes) {
    EXPECT_EQ(run("console=a\"b c\" console=\"a\"b \"selftest\" console=\"a\"\"b\" console=\""), 0u);
    EXPECT_EQ(diag.events, (Events{"malformed:console=a\"b c\":quote inside value",
                                   "malformed:console=\"a\"b:quote inside value",
                                   "malformed:\"selftest\"=:quote in option name",
                                   "malformed:console=\"a\"\"b\":quote inside value",
                                   "malformed:console=\":unterminated quote"}));
    EXPECT_EQ(options.console, "vga");
}

TEST_F(CmdlineParse, CustomOptions) {
    EXPECT_EQ(run("sched=credit"), 1u);
    EXPECT_EQ(options.custom_value, "credit");
    EXPECT_EQ(run("sched=bvt sched= sched=\"null\""), 1u);
    EXPECT_EQ(options.custom_value, "null");
    EXPECT_EQ(options.custom_calls, 4);
    EXPECT_EQ(diag.events, (Events{"malformed:sched=bvt:not supported", "malformed:sched=:invalid argument"}));
}

TEST_F(CmdlineParse, StringViewsPointIntoTheLine) {
    const std::string line = "console=\"com1 vga\" loglvl=all";
    EXPECT_EQ(run(line), 2u);
    EXPECT_EQ(options.console.data(), line.data() + 9);
    EXPECT_EQ(options.loglvl.data(), line.data() + line.size() - 3);
}

TEST_F(CmdlineParse, ValuesNotNulTerminated) {
    // A line that is a slice of a longer buffer: the parser must stop at its end.
    const std::string buffer = "maxcpus=12345";
    EXPECT_EQ(run(std::string_view(buffer).substr(0, 10)), 1u);
    EXPECT_EQ(options.maxcpus, 12u);
}

TEST_F(CmdlineParse, HighBytesAreJustUnknown) {
    EXPECT_EQ(run("\xff\xfe=\x80 selftest"), 1u);
    EXPECT_EQ(diag.events, Events{"unknown:\xff\xfe"});
}

TEST_F(CmdlineParse, ManyOptions) {
    std::string line;
    for (int i = 1; i <= 500; ++i)
        line += "maxcpus=" + std::to_string(i) + " ";
    EXPECT_EQ(run(line), 500u);
    EXPECT_EQ(options.maxcpus, 500u);
}

TEST(CmdlineParseTable, EmptySpecTableReportsEverything) {
    RecordingDiagnostics diag;
    EXPECT_EQ(parse("a b=c", {}, diag), 0u);
    EXPECT_EQ(diag.events, (Events{"unknown:a", "unknown:b"}));
}

TEST(CmdlineParseTable, CustomWithoutFunction) {
    RecordingDiagnostics diag;
    const OptionSpec specs[] = {OptionSpec::custom("x", nullptr, nullptr)};
    EXPECT_EQ(parse("x=1", specs, diag), 0u);
    EXPECT_EQ(diag.events, Events{"malformed:x=1:not supported"});
}

// A table can be built at compile time with static targets, as the kernel does.
bool g_flag = false;
uint64_t g_size = 0;
std::string_view g_name;
constexpr OptionSpec kStaticSpecs[] = {
    OptionSpec::flag("quiet", &g_flag),
    OptionSpec::size("xenheap", &g_size),
    OptionSpec::string("name", &g_name),
};
static_assert(kStaticSpecs[0].name.size() == 5);
static_assert(kStaticSpecs[1].kind == OptionSpec::Kind::Size);

TEST(CmdlineParseTable, CompileTimeTable) {
    RecordingDiagnostics diag;
    EXPECT_EQ(parse("quiet xenheap=64M name=dom0", kStaticSpecs, diag), 3u);
    EXPECT_TRUE(g_flag);
    EXPECT_EQ(g_size, 64u << 20);
    EXPECT_EQ(g_name, "dom0");
    EXPECT_EQ(diag.events, Events{});
}

}  // namespace
}  // namespace hv::cmdline
