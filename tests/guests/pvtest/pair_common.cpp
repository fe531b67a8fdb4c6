#include "pair_common.hpp"

namespace pvtest::pair {

using namespace guest;

int64_t alloc_unbound(uint16_t remote_dom, uint32_t* port) {
    xen::EventChannelAllocUnbound op{xen::domid_self, remote_dom, 0};
    const int64_t rc = event_channel_op(xen::EventChannelOp::alloc_unbound, &op);
    if (rc == 0)
        *port = op.port;
    return rc;
}

int64_t bind_interdomain(uint16_t remote_dom, uint32_t remote_port, uint32_t* local_port) {
    xen::EventChannelBindInterdomain op{remote_dom, 0, remote_port, 0};
    const int64_t rc = event_channel_op(xen::EventChannelOp::bind_interdomain, &op);
    if (rc == 0)
        *local_port = op.local_port;
    return rc;
}

int64_t send(uint32_t port) {
    xen::EventChannelSend op{port};
    return event_channel_op(xen::EventChannelOp::send, &op);
}

int64_t close(uint32_t port) {
    xen::EventChannelClose op{port};
    return event_channel_op(xen::EventChannelOp::close, &op);
}

int64_t status(uint16_t dom, uint32_t port, xen::EventChannelStatus* out) {
    *out = {};
    out->dom = dom;
    out->port = port;
    return event_channel_op(xen::EventChannelOp::status, out);
}

bool wait_for(bool (*done)(void*), void* ctx, uint32_t port, uint64_t timeout_ns) {
    const uint64_t deadline = system_time_ns() + timeout_ns;
    for (;;) {
        if (port != 0)
            clear_port_pending(port);
        if (done(ctx))
            return true;
        const uint64_t now = system_time_ns();
        if (now >= deadline)
            return false;
        if (port == 0) {
            (void)sched_op(xen::SchedOp::yield, nullptr);
            continue;
        }
        uint32_t ports[1] = {port};
        xen::SchedPoll poll{reinterpret_cast<uint64_t>(ports), 1, 0, now + one_ms};
        if (sched_op(xen::SchedOp::poll, &poll) != 0)
            (void)sched_op(xen::SchedOp::yield, nullptr);
    }
}

void fill_pattern(volatile uint8_t* page, uint8_t seed) {
    for (size_t i = 0; i < page_size; ++i)
        page[i] = pattern_byte(seed, i);
}

int64_t find_mismatch(const volatile uint8_t* page, uint8_t seed) {
    for (size_t i = 0; i < page_size; ++i)
        if (page[i] != pattern_byte(seed, i))
            return static_cast<int64_t>(i);
    return -1;
}

int64_t map_grant(uint64_t va, uint16_t dom, xen::GrantRef ref, bool readonly, int16_t* status, uint32_t* handle) {
    xen::GrantMapRef op{};
    op.host_addr = va;
    op.flags = xen::gntmap::host_map | (readonly ? xen::gntmap::readonly : 0);
    op.ref = ref;
    op.dom = dom;
    op.status = 1;  // neither okay nor an error: shows whether it was written
    const int64_t rc = grant_table_op(xen::GrantTableOp::map_grant_ref, &op, 1);
    *status = op.status;
    *handle = op.handle;
    return rc;
}

int64_t unmap_grant(uint64_t va, uint32_t handle, int16_t* status) {
    xen::GrantUnmapRef op{};
    op.host_addr = va;
    op.handle = handle;
    op.status = 1;
    const int64_t rc = grant_table_op(xen::GrantTableOp::unmap_grant_ref, &op, 1);
    *status = op.status;
    return rc;
}

int64_t restore_page(uint64_t va) {
    return remap_page(va, pte_kernel_rw);
}

CopySide granted(uint16_t dom, xen::GrantRef ref, uint16_t offset) {
    CopySide side{{}, true};
    side.pointer.u.ref = ref;
    side.pointer.domid = dom;
    side.pointer.offset = offset;
    return side;
}

CopySide frame(uint64_t mfn, uint16_t dom, uint16_t offset) {
    CopySide side{{}, false};
    side.pointer.u.gmfn = mfn;
    side.pointer.domid = dom;
    side.pointer.offset = offset;
    return side;
}

xen::GrantCopy make_copy(const CopySide& source, const CopySide& dest, uint16_t length) {
    xen::GrantCopy op{};
    op.source = source.pointer;
    op.dest = dest.pointer;
    op.len = length;
    op.flags = static_cast<uint16_t>((source.by_ref ? xen::gntcopy::source_gref : 0) |
                                     (dest.by_ref ? xen::gntcopy::dest_gref : 0));
    op.status = 1;
    return op;
}

int64_t grant_copy(xen::GrantCopy* ops, uint32_t count) {
    return grant_table_op(xen::GrantTableOp::copy, ops, count);
}

}  // namespace pvtest::pair
