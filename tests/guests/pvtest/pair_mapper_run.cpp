// The pair mode's dom0 side (B): the cases around A's life (start, rendezvous, report,
// shutdown, destroy, frame accounting) and the run itself, which prints A's results as
// cases named `A:<case>` right after the case that fetched them.
#include "pair_mapper.hpp"

#include "lib/format.hpp"

namespace pvtest::pair {
namespace {

using namespace guest;
using xen::Errno;

Mapper& m() {
    return g_mapper;
}

constinit Report g_report{};
constinit bool g_report_fetched = false;

}  // namespace

void case_control_physinfo() {
    control::HostMemory memory{};
    ASSERT_EQ(control::physinfo(m().options.control, &memory), 0);
    EXPECT_GT(memory.total_pages, 0u);
    EXPECT_GT(memory.free_pages, 0u);
    EXPECT_LE(memory.free_pages, memory.total_pages);
    GUEST_NOTE("%s total=%llu free=%llu", control::backend_name(m().options.control),
               static_cast<unsigned long long>(memory.total_pages),
               static_cast<unsigned long long>(memory.free_pages));
}

void case_start_peer() {
    const char* why = "";
    const int64_t rc = start_peer(&why);
    if (rc != 0)
        GUEST_NOTE("%s failed", why);
    ASSERT_EQ(rc, 0);
    control::DomainStatus st{};
    ASSERT_EQ(control::getinfo(m().options.control, granter_domid, &st), 0);
    EXPECT_EQ(st.domid, granter_domid);
    EXPECT_EQ(st.flags & (xen::control::dominf::dying | xen::control::dominf::shutdown), 0u);
    GUEST_NOTE("%s tot_pages=%llu", m().options.build_peer ? "built" : "found",
               static_cast<unsigned long long>(st.tot_pages));
}

void case_rendezvous() {
    const char* why = "";
    const bool up = rendezvous(&why);
    if (!up)
        GUEST_NOTE("%s", why);
    ASSERT_TRUE(up);
    EXPECT_GT(m().port, 0u);
    EXPECT_EQ(m().hello->b_port, m().port);
}

void case_peer_report() {
    ASSERT_TRUE(m().peer_up);
    Reply reply{};
    ASSERT_TRUE(request(Command::finish, 0, 0, &reply));
    EXPECT_EQ(reply.status, 0);
    ASSERT_EQ(fetch_report(&g_report), xen::raw(xen::GrantStatus::okay));
    g_report_fetched = true;
    EXPECT_EQ(g_report.count, reply.value);
    EXPECT_EQ(g_report.count, static_cast<uint32_t>(a_case_count));
    EXPECT_LE(g_report.bytes, sizeof(g_report.text));
}

void case_peer_shutdown() {
    ASSERT_TRUE(m().peer_up);
    post(Command::shutdown);
    control::DomainStatus st{};
    ASSERT_EQ(wait_peer_shutdown(&st), 0);
    EXPECT_NE(st.flags & xen::control::dominf::shutdown, 0u);
    const uint32_t reason = (st.flags >> xen::control::dominf::shutdown_shift) & xen::control::dominf::shutdown_mask;
    EXPECT_EQ(reason, xen::raw(xen::ShutdownReason::poweroff));
}

void case_destroy_peer() {
    ASSERT_TRUE(m().peer_started);
    EXPECT_EQ(destroy_peer(), 0);
    control::DomainStatus st{};
    EXPECT_ERRNO(control::getinfo(m().options.control, granter_domid, &st), esrch);
    // Destroying it again finds nothing.
    EXPECT_ERRNO(control::destroy(m().options.control, granter_domid), esrch);
}

void case_frames_returned() {
    ASSERT_TRUE(m().peer_gone);
    uint64_t after = 0;
    ASSERT_EQ(settled_free_frames(m().free_before, &after), 0);
    // On ours domain 1 was built before we ran; the runner compares this line with the
    // count the hypervisor logged before building it.
    if (m().free_before_known) {
        guest_printf("pair-frames: before-build=%llu after-destroy=%llu\n",
                     static_cast<unsigned long long>(m().free_before), static_cast<unsigned long long>(after));
        EXPECT_EQ(after, m().free_before);
    } else {
        guest_printf("pair-frames: after-destroy=%llu\n", static_cast<unsigned long long>(after));
        GUEST_NOTE("compared by the runner");
    }
}

namespace {

// The line of A's report for case `name`, or nullptr.
const char* find_peer_line(const char* name, size_t* length) {
    if (!g_report_fetched)
        return nullptr;
    const size_t text_bytes = g_report.bytes < sizeof(g_report.text) ? g_report.bytes : sizeof(g_report.text);
    const char* end = g_report.text + text_bytes;
    for (const char* p = g_report.text; p < end;) {
        size_t n = 0;
        while (p + n < end && p[n] != 0)
            ++n;
        // "PASS <name>[: ...]" / "FAIL <name>: ..."
        size_t k = 0;
        while (name[k] != 0 && 5 + k < n && p[5 + k] == name[k])
            ++k;
        if (n >= 5 && name[k] == 0 && (5 + k == n || p[5 + k] == ':')) {
            *length = n;
            return p;
        }
        p += n + 1;
    }
    return nullptr;
}

// A's results, each printed as a case of its own named `A:<case>`.
void print_peer_results() {
    for (const char* name : a_case_names) {
        char line[600];
        size_t n = 0;
        const char* found = find_peer_line(name, &n);
        if (found == nullptr || n + 3 > sizeof(line)) {
            hv::format(line, sizeof(line), "FAIL A:%s: not in domain 1's report", name);
            add_result_line(false, line);
            continue;
        }
        __builtin_memcpy(line, found, 5);
        line[5] = 'A';
        line[6] = ':';
        __builtin_memcpy(line + 7, found + 5, n - 5);
        line[n + 2] = 0;
        add_result_line(found[0] == 'P', line);
    }
}

constexpr TestCase pair_cases[] = {
    {"pair_control_physinfo", case_control_physinfo, __FILE__, __LINE__},
    {"pair_start_peer", case_start_peer, __FILE__, __LINE__},
    {"pair_rendezvous", case_rendezvous, __FILE__, __LINE__},
    {"pair_bind_interdomain_errors", case_bind_interdomain_errors, __FILE__, __LINE__},
    {"pair_send_errors", case_send_errors, __FILE__, __LINE__},
    {"pair_map_read_write", case_map_read_write, __FILE__, __LINE__},
    {"pair_map_readonly", case_map_readonly, __FILE__, __LINE__},
    {"pair_map_readonly_grant_writable", case_map_readonly_grant_writable, __FILE__, __LINE__},
    {"pair_map_bad_ref", case_map_bad_ref, __FILE__, __LINE__},
    {"pair_map_bad_domain", case_map_bad_domain, __FILE__, __LINE__},
    {"pair_map_without_permission", case_map_without_permission, __FILE__, __LINE__},
    {"pair_map_bad_flags", case_map_bad_flags, __FILE__, __LINE__},
    {"pair_unmap_twice", case_unmap_twice, __FILE__, __LINE__},
    {"pair_grant_copy_in", case_grant_copy_in, __FILE__, __LINE__},
    {"pair_grant_copy_out", case_grant_copy_out, __FILE__, __LINE__},
    {"pair_grant_copy_batch_64k", case_grant_copy_batch_64k, __FILE__, __LINE__},
    {"pair_grant_copy_errors", case_grant_copy_errors, __FILE__, __LINE__},
    {"pair_revoke_while_mapped", case_revoke_while_mapped, __FILE__, __LINE__},
    {"pair_map_after_revoke", case_map_after_revoke, __FILE__, __LINE__},
    {"pair_event_ping_pong", case_event_ping_pong, __FILE__, __LINE__},
    {"pair_close_own_port_peer_bound", case_close_own_port_peer_bound, __FILE__, __LINE__},
    {"pair_peer_closes_port", case_peer_closes_port, __FILE__, __LINE__},
    {"pair_peer_report", case_peer_report, __FILE__, __LINE__},
    {"pair_peer_shutdown", case_peer_shutdown, __FILE__, __LINE__},
    {"pair_destroy_peer", case_destroy_peer, __FILE__, __LINE__},
    {"pair_frames_returned", case_frames_returned, __FILE__, __LINE__},
};
constexpr int nr_pair_cases = sizeof(pair_cases) / sizeof(pair_cases[0]);

}  // namespace
}  // namespace pvtest::pair

namespace pvtest {

int pair_main(const Options& options) {
    using namespace pvtest::pair;
    if (!mapper_init(options)) {
        guest::guest_printf("%s-summary: set-up failed (pool)\n", options.bench ? "bench" : "guest");
        return 1;
    }
    if (options.bench)
        return pair_bench();
    guest::begin_cases(nr_pair_cases + a_case_count);
    for (const guest::TestCase& test : pair_cases) {
        guest::run_case(test);
        if (test.body == case_peer_report)
            print_peer_results();
    }
    return guest::end_cases();
}

}  // namespace pvtest
