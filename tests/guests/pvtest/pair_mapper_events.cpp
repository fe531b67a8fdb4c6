// The pair mode's event-channel cases, dom0 side: binding errors, bad ports, the
// ping-pong of notifications, and closing one end while the other still uses it (in
// both directions). Errors are Xen 4.17's (event_channel.c).
#include "pair_mapper.hpp"

namespace pvtest::pair {
namespace {

using namespace guest;

Mapper& m() {
    return g_mapper;
}

constexpr uint64_t ping_pong_rounds_tested = 1000;

}  // namespace

void case_bind_interdomain_errors() {
    ASSERT_TRUE(m().peer_up);
    uint32_t port = 0;
    // A's port is bound to us already.
    EXPECT_ERRNO(bind_interdomain(granter_domid, m().refs.a_port, &port), einval);
    // Ports A never allocated, and the reserved port 0.
    EXPECT_ERRNO(bind_interdomain(granter_domid, 1000, &port), einval);
    EXPECT_ERRNO(bind_interdomain(granter_domid, 100000, &port), einval);
    EXPECT_ERRNO(bind_interdomain(granter_domid, 0, &port), einval);
    // No such domain.
    EXPECT_ERRNO(bind_interdomain(stranger_domid, 1, &port), esrch);
}

void case_send_errors() {
    ASSERT_TRUE(m().peer_up);
    EXPECT_ERRNO(send(0), einval);
    EXPECT_ERRNO(send(1000), einval);
    EXPECT_ERRNO(send(100000), einval);
    EXPECT_ERRNO(close(100000), einval);
    xen::EventChannelStatus st{};
    EXPECT_ERRNO(status(granter_domid, 100000, &st), einval);
    EXPECT_ERRNO(status(stranger_domid, 1, &st), esrch);
    // Our own end, as the peer sees it.
    ASSERT_EQ(status(granter_domid, m().refs.a_port, &st), 0);
    EXPECT_EQ(st.status, xen::raw(xen::EventChannelState::interdomain));
    EXPECT_EQ(st.u.interdomain.dom, 0u);
    EXPECT_EQ(st.u.interdomain.port, m().port);
}

void case_event_ping_pong() {
    ASSERT_TRUE(m().peer_up);
    m().hello->counter = 0;
    Reply reply{};
    ASSERT_TRUE(request(Command::ping_pong, ping_pong_rounds_tested, 0, &reply));
    ASSERT_EQ(reply.status, 0);
    const uint64_t done = ping_pong_rounds(0, ping_pong_rounds_tested);
    EXPECT_EQ(done, ping_pong_rounds_tested);
    EXPECT_EQ(m().hello->counter, 2 * ping_pong_rounds_tested);
    GUEST_NOTE("rounds=%llu", static_cast<unsigned long long>(done));
}

void case_close_own_port_peer_bound() {
    // We close our end while A's end is still bound to it: A's end becomes unbound
    // (for dom0 again), so we can bind to it a second time.
    ASSERT_TRUE(m().peer_up);
    const uint32_t old_port = m().port;
    ASSERT_EQ(close(old_port), 0);
    m().port = 0;
    xen::EventChannelStatus st{};
    EXPECT_EQ(status(granter_domid, m().refs.a_port, &st), 0);
    EXPECT_EQ(st.status, xen::raw(xen::EventChannelState::unbound));
    EXPECT_EQ(st.u.unbound.dom, 0u);
    EXPECT_ERRNO(send(old_port), einval);
    // The command goes through the mailbox alone (no channel to notify on).
    Reply reply{};
    EXPECT_TRUE(request(Command::peer_closed, 0, 0, &reply));
    EXPECT_EQ(reply.status, 0);
    uint32_t port = 0;
    ASSERT_EQ(bind_interdomain(granter_domid, m().refs.a_port, &port), 0);
    m().port = port;
    m().hello->b_port = port;
    EXPECT_TRUE(request(Command::hello, 1, 0, &reply));
    EXPECT_EQ(reply.status, 0);
}

void case_peer_closes_port() {
    // A closes its end while ours is still bound: ours falls back to unbound (for dom1)
    // and notifications into it are dropped without an error.
    ASSERT_TRUE(m().peer_up);
    Reply reply{};
    ASSERT_TRUE(request(Command::close_port, 0, 0, &reply));
    ASSERT_EQ(reply.status, 0);
    xen::EventChannelStatus st{};
    EXPECT_EQ(status(xen::domid_self, m().port, &st), 0);
    EXPECT_EQ(st.status, xen::raw(xen::EventChannelState::unbound));
    EXPECT_EQ(st.u.unbound.dom, granter_domid);
    EXPECT_EQ(send(m().port), 0);
    EXPECT_EQ(close(m().port), 0);
    m().port = 0;
    const auto new_port = static_cast<uint32_t>(reply.value);
    EXPECT_EQ(m().hello->a_port, new_port);
    m().refs.a_port = new_port;
    uint32_t port = 0;
    ASSERT_EQ(bind_interdomain(granter_domid, new_port, &port), 0);
    m().port = port;
    m().hello->b_port = port;
    EXPECT_TRUE(request(Command::hello, 2, 0, &reply));
    EXPECT_EQ(reply.status, 0);
}

}  // namespace pvtest::pair
