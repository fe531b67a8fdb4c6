// The pair mode's domU side (A, "pair-a"): grants pages to dom0, serves B's commands
// and records its own cases in the report page (pair_protocol.hpp). A never prints:
// release Xen refuses console_io from a domU, and our hypervisor would print it with a
// "(d1)" prefix the result parser strips, so A's lines reach the log only through B.
#include "pair_common.hpp"

namespace pvtest {
namespace {

using namespace guest;
using namespace pvtest::pair;
using xen::Errno;

// Grant references A hands out (hello_ref = 8 comes first).
constexpr xen::GrantRef report_ref = hello_ref + 1;
constexpr xen::GrantRef data_ref = hello_ref + 2;
constexpr xen::GrantRef readonly_ref = hello_ref + 3;
constexpr xen::GrantRef stranger_ref = hello_ref + 4;
constexpr xen::GrantRef revoke_ref = hello_ref + 5;
constexpr xen::GrantRef first_copy_ref = hello_ref + 6;
// How long A waits for B between commands (B may be building, mapping, printing).
constexpr uint64_t command_timeout = 120 * one_second;
constexpr uint64_t round_timeout = 10 * one_second;

struct Granter {
    control::Backend backend;
    Hello* hello;
    Report* report;
    volatile uint8_t* data;
    volatile uint8_t* readonly_page;
    volatile uint8_t* stranger_page;
    volatile uint8_t* revoke_page;
    volatile uint8_t* copy_pages[nr_copy_pages];
    volatile xen::GrantEntryV1* table;
    uint32_t port;
    uint32_t last_seq;
    // The command being served, for the case bodies.
    uint64_t arg0, arg1;
    int32_t reply_status;
    uint64_t reply_value;
};

constinit Granter g{};

uint64_t mfn_of(const volatile void* page) {
    return va_to_mfn(reinterpret_cast<uint64_t>(page));
}

void report_line(const char* line) {
    // Only result lines; the runner's start/summary/note lines stay out of the report.
    if ((line[0] != 'P' || line[1] != 'A') && (line[0] != 'F' || line[1] != 'A'))
        return;
    Report* r = g.report;
    size_t n = 0;
    while (line[n] != 0)
        ++n;
    if (r == nullptr || r->bytes + n + 1 > sizeof(r->text))
        return;
    __builtin_memcpy(r->text + r->bytes, line, n + 1);
    __atomic_store_n(&r->bytes, r->bytes + static_cast<uint32_t>(n + 1), __ATOMIC_RELEASE);
    __atomic_store_n(&r->count, r->count + 1, __ATOMIC_RELEASE);
}

void run(ACase which, void (*body)()) {
    run_case(TestCase{a_case_names[static_cast<int>(which)], body, __FILE__, 0});
}

// v1 grant entry: frame and domid first, flags last (the entry is live once flags say
// permit_access).
void grant(xen::GrantRef ref, const volatile void* page, uint16_t domid, bool readonly) {
    g.table[ref].frame = static_cast<uint32_t>(mfn_of(page));
    g.table[ref].domid = domid;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    g.table[ref].flags = static_cast<uint16_t>(xen::gtf::permit_access | (readonly ? xen::gtf::readonly : 0));
}

// Ends foreign access the way Linux does: only while nobody has the grant pinned
// (GTF_reading/GTF_writing set by the hypervisor), atomically against that.
int32_t revoke(xen::GrantRef ref) {
    auto* flags = const_cast<uint16_t*>(&g.table[ref].flags);
    uint16_t old = __atomic_load_n(flags, __ATOMIC_SEQ_CST);
    for (;;) {
        if ((old & (xen::gtf::reading | xen::gtf::writing)) != 0)
            return static_cast<int32_t>(xen::error_return(Errno::ebusy));
        if (__atomic_compare_exchange_n(flags, &old, uint16_t{0}, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return 0;
    }
}

bool set_up_pages() {
    const uint64_t pages = pool_alloc(6 + nr_copy_pages + 1);
    if (pages == 0)
        return false;
    auto page = [&](int i) { return reinterpret_cast<volatile uint8_t*>(pages + i * page_size); };
    g.hello = reinterpret_cast<Hello*>(pages);
    g.report = reinterpret_cast<Report*>(pages + page_size);
    g.data = page(2);
    g.readonly_page = page(3);
    g.stranger_page = page(4);
    g.revoke_page = page(5);
    for (uint32_t i = 0; i < nr_copy_pages; ++i)
        g.copy_pages[i] = page(6 + static_cast<int>(i));
    g.table = reinterpret_cast<volatile xen::GrantEntryV1*>(page(6 + nr_copy_pages));
    fill_pattern(g.data, a_data_seed);
    fill_pattern(g.readonly_page, a_readonly_seed);
    fill_pattern(g.stranger_page, a_data_seed);
    fill_pattern(g.revoke_page, a_data_seed);
    for (uint32_t i = 0; i < nr_copy_pages; ++i)
        fill_pattern(g.copy_pages[i], static_cast<uint8_t>(a_copy_seed + i));
    return true;
}

// --- A's cases, in the order they run ----------------------------------------------

void case_start_info_is_domu() {
    const xen::StartInfo* si = start_info();
    EXPECT_EQ(si->flags & (xen::sif::initdomain | xen::sif::privileged), 0u);
    EXPECT_EQ(si->nr_pages, domu_pages);
    EXPECT_EQ(si->store_evtchn, 0u);
    EXPECT_EQ(si->console.domU.evtchn, 0u);
    GUEST_NOTE("nr_pages=%llu", static_cast<unsigned long long>(si->nr_pages));
}

void case_grant_table_setup() {
    static uint64_t frames[1];
    xen::GrantSetupTable setup{};
    setup.dom = xen::domid_self;
    setup.nr_frames = 1;
    setup.frame_list = reinterpret_cast<uint64_t>(frames);
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::setup_table, &setup, 1), 0);
    ASSERT_EQ(setup.status, 0);
    const uint64_t va = reinterpret_cast<uint64_t>(g.table);
    ASSERT_EQ(update_va_mapping(va, make_pte(frames[0], pte_kernel_rw), xen::uvmf::invlpg), 0);
    EXPECT_EQ(g.table[hello_ref].flags, 0u);
}

void case_alloc_unbound_for_dom0() {
    uint32_t port = 0;
    ASSERT_EQ(alloc_unbound(0, &port), 0);
    EXPECT_GT(port, 0u);
    xen::EventChannelStatus st{};
    ASSERT_EQ(status(xen::domid_self, port, &st), 0);
    EXPECT_EQ(st.status, xen::raw(xen::EventChannelState::unbound));
    EXPECT_EQ(st.u.unbound.dom, 0u);
    g.port = port;
}

void case_control_op_refused() {
    // A domU may not look at, let alone manage, the host.
    control::HostMemory memory{};
    EXPECT_ERRNO(control::physinfo(g.backend, &memory), eperm);
    EXPECT_ERRNO(control::destroy(g.backend, 0), eperm);
}

void case_peer_bound() {
    xen::EventChannelStatus st{};
    ASSERT_EQ(status(xen::domid_self, g.port, &st), 0);
    EXPECT_EQ(st.status, xen::raw(xen::EventChannelState::interdomain));
    EXPECT_EQ(st.u.interdomain.dom, 0u);
    EXPECT_EQ(st.u.interdomain.port, g.hello->b_port);
    g.reply_status = 0;
}

void case_sees_mapper_writes() {
    const int64_t at = find_mismatch(g.data, static_cast<uint8_t>(g.arg0));
    EXPECT_EQ(at, -1);
    g.reply_status = at == -1 ? 0 : -1;
}

void case_sees_grant_copy_out() {
    ASSERT_LT(g.arg0, nr_copy_pages);
    const int64_t at = find_mismatch(g.copy_pages[g.arg0], static_cast<uint8_t>(g.arg1));
    EXPECT_EQ(at, -1);
    g.reply_status = at == -1 ? 0 : -1;
}

void case_revoke_refused_while_mapped() {
    const uint16_t flags = g.table[g.arg0].flags;
    EXPECT_NE(flags & xen::gtf::reading, 0u);
    EXPECT_NE(flags & xen::gtf::writing, 0u);
    g.reply_status = revoke(static_cast<xen::GrantRef>(g.arg0));
    EXPECT_ERRNO(g.reply_status, ebusy);
    EXPECT_EQ(g.table[g.arg0].flags, flags);
}

void case_revoke_after_unmap() {
    EXPECT_EQ(g.table[g.arg0].flags & (xen::gtf::reading | xen::gtf::writing), 0u);
    g.reply_status = revoke(static_cast<xen::GrantRef>(g.arg0));
    EXPECT_EQ(g.reply_status, 0);
    EXPECT_EQ(g.table[g.arg0].flags, 0u);
}

bool counter_is(void* expected) {
    return __atomic_load_n(&g.hello->counter, __ATOMIC_ACQUIRE) == *static_cast<uint64_t*>(expected);
}

void case_ping_pong() {
    const uint64_t rounds = g.arg0;
    uint64_t done = 0;
    for (; done < rounds; ++done) {
        uint64_t odd = 2 * done + 1;
        if (!wait_for(counter_is, &odd, g.port, round_timeout))
            break;
        __atomic_store_n(&g.hello->counter, odd + 1, __ATOMIC_RELEASE);
        if (send(g.port) != 0)
            break;
    }
    EXPECT_EQ(done, rounds);
    EXPECT_EQ(g.hello->counter, 2 * rounds);
    GUEST_NOTE("rounds=%llu", static_cast<unsigned long long>(done));
}

void case_port_after_peer_closed() {
    // B closed its end: ours falls back to unbound (remote dom0), and a notification
    // into it is dropped without an error.
    xen::EventChannelStatus st{};
    ASSERT_EQ(status(xen::domid_self, g.port, &st), 0);
    EXPECT_EQ(st.status, xen::raw(xen::EventChannelState::unbound));
    EXPECT_EQ(st.u.unbound.dom, 0u);
    EXPECT_EQ(send(g.port), 0);
    g.reply_status = (st.status == xen::raw(xen::EventChannelState::unbound)) ? 0 : -1;
}

void case_close_port_peer_still_bound() {
    EXPECT_EQ(close(g.port), 0);
    xen::EventChannelStatus st{};
    EXPECT_EQ(status(xen::domid_self, g.port, &st), 0);
    EXPECT_EQ(st.status, xen::raw(xen::EventChannelState::closed));
    EXPECT_ERRNO(send(g.port), einval);
    uint32_t port = 0;
    ASSERT_EQ(alloc_unbound(0, &port), 0);
    g.port = port;
    g.hello->a_port = port;
    g.reply_value = port;
    g.reply_status = 0;
}

void case_grant_flags_clear_after_unmap() {
    // B unmapped everything but the hello page; no entry may still show it in use.
    const xen::GrantRef refs[] = {report_ref, data_ref, readonly_ref, stranger_ref, revoke_ref};
    for (xen::GrantRef ref : refs)
        EXPECT_EQ(g.table[ref].flags & (xen::gtf::reading | xen::gtf::writing), 0u);
    for (uint32_t i = 0; i < nr_copy_pages; ++i)
        EXPECT_EQ(g.table[first_copy_ref + i].flags & (xen::gtf::reading | xen::gtf::writing), 0u);
    EXPECT_NE(g.table[hello_ref].flags & xen::gtf::reading, 0u);
}

// --- the command loop -------------------------------------------------------------

bool command_pending(void*) {
    return __atomic_load_n(&g.hello->mailbox.seq, __ATOMIC_ACQUIRE) != g.last_seq;
}

void reply(uint32_t seq) {
    Mailbox& box = g.hello->mailbox;
    box.reply_status = g.reply_status;
    box.reply_value = g.reply_value;
    __atomic_store_n(&box.reply_seq, seq, __ATOMIC_RELEASE);
    (void)send(g.port);  // fails harmlessly while the channel is closed
}

// Serves one command; false when A should stop.
bool serve(Command command, uint32_t seq) {
    g.reply_status = 0;
    g.reply_value = 0;
    switch (command) {
        case Command::hello:
            if (g.arg0 == 0)
                run(ACase::peer_bound, case_peer_bound);
            else if (g.arg0 == 1)
                run(ACase::peer_rebound_after_mapper_close, case_peer_bound);
            else
                run(ACase::peer_rebound_after_granter_close, case_peer_bound);
            break;
        case Command::check_data:
            run(ACase::sees_mapper_writes, case_sees_mapper_writes);
            break;
        case Command::check_copy:
            run(ACase::sees_grant_copy_out, case_sees_grant_copy_out);
            break;
        case Command::revoke:
            if (g.arg1 != 0)
                run(ACase::revoke_refused_while_mapped, case_revoke_refused_while_mapped);
            else
                run(ACase::revoke_after_unmap, case_revoke_after_unmap);
            break;
        case Command::ping_pong:
            reply(seq);  // B starts the rounds once it sees the reply
            run(ACase::ping_pong, case_ping_pong);
            return true;
        case Command::peer_closed:
            run(ACase::port_after_peer_closed, case_port_after_peer_closed);
            break;
        case Command::close_port:
            run(ACase::close_port_peer_still_bound, case_close_port_peer_still_bound);
            break;
        case Command::finish:
            run(ACase::grant_flags_clear_after_unmap, case_grant_flags_clear_after_unmap);
            g.reply_value = g.report->count;
            break;
        case Command::shutdown:
            return false;
        case Command::none:
            g.reply_status = -1;
            break;
    }
    reply(seq);
    return true;
}

}  // namespace

void granter_main(const Options& options) {
    g.backend = options.control;
    set_result_sink(report_line);
    if (!set_up_pages())
        shutdown(xen::ShutdownReason::crash);

    run(ACase::start_info_is_domu, case_start_info_is_domu);
    run(ACase::grant_table_setup, case_grant_table_setup);
    run(ACase::alloc_unbound_for_dom0, case_alloc_unbound_for_dom0);
    run(ACase::control_op_refused, case_control_op_refused);

    Hello* hello = g.hello;
    hello->version = protocol_version;
    hello->a_port = g.port;
    hello->report_ref = report_ref;
    hello->data_ref = data_ref;
    hello->readonly_ref = readonly_ref;
    hello->stranger_ref = stranger_ref;
    hello->revoke_ref = revoke_ref;
    for (uint32_t i = 0; i < nr_copy_pages; ++i)
        hello->copy_refs[i] = first_copy_ref + i;
    grant(report_ref, g.report, 0, true);
    grant(data_ref, g.data, 0, false);
    grant(readonly_ref, g.readonly_page, 0, true);
    grant(stranger_ref, g.stranger_page, stranger_domid, false);
    grant(revoke_ref, g.revoke_page, 0, false);
    for (uint32_t i = 0; i < nr_copy_pages; ++i)
        grant(first_copy_ref + i, g.copy_pages[i], 0, false);
    __atomic_store_n(&hello->magic, hello_magic, __ATOMIC_RELEASE);
    grant(hello_ref, hello, 0, false);  // the last step: B may map it from now on

    for (;;) {
        if (!wait_for(command_pending, nullptr, g.port, command_timeout))
            break;
        Mailbox& box = hello->mailbox;
        const uint32_t seq = __atomic_load_n(&box.seq, __ATOMIC_ACQUIRE);
        g.last_seq = seq;
        g.arg0 = box.arg0;
        g.arg1 = box.arg1;
        if (!serve(static_cast<Command>(box.command), seq))
            break;
    }
    shutdown(xen::ShutdownReason::poweroff);
}

}  // namespace pvtest
