// The pair mode's dom0 side (B): starting domain 1, the rendezvous, the mailbox, and
// tearing domain 1 down again.
#include "pair_mapper.hpp"

#include "domain_builder.hpp"

namespace pvtest::pair {

using namespace guest;
using xen::Errno;

constinit Mapper g_mapper{};

namespace {

// Both stay well inside the runner's QEMU timeout when A never shows up or dies.
constexpr uint64_t rendezvous_timeout = 30 * one_second;
constexpr uint64_t round_timeout = 10 * one_second;
// Xen frees part of a destroyed domain after an RCU grace period.
constexpr uint64_t settle_timeout = 10 * one_second;

alignas(4096) constinit Report g_report_copy{};

bool reply_arrived(void* seq) {
    return __atomic_load_n(&g_mapper.hello->mailbox.reply_seq, __ATOMIC_ACQUIRE) == *static_cast<uint32_t*>(seq);
}

bool counter_is(void* expected) {
    return __atomic_load_n(&g_mapper.hello->counter, __ATOMIC_ACQUIRE) == *static_cast<uint64_t*>(expected);
}

// The ELF image GRUB handed us as our initrd (module 1): the peer's kernel on Xen.
bool initrd(const void** data, uint64_t* size) {
    const xen::StartInfo* si = start_info();
    if (si->mod_start == 0 || si->mod_len == 0)
        return false;
    uint64_t va = si->mod_start;
    if ((si->flags & xen::sif::mod_start_pfn) != 0)
        va = pfn_to_va(si->mod_start);
    *data = reinterpret_cast<const void*>(va);
    *size = si->mod_len;
    return va != 0;
}

}  // namespace

bool mapper_init(const Options& options) {
    g_mapper = {};
    g_mapper.options = options;
    g_mapper.map_va = pool_alloc();
    g_mapper.hello_va = pool_alloc();
    g_mapper.own_base = pool_alloc(nr_copy_pages);
    if (g_mapper.map_va == 0 || g_mapper.hello_va == 0 || g_mapper.own_base == 0)
        return false;
    // Xen allocates a domain's first maptrack frame on its first map attempt (before it
    // looks at the reference), and keeps it; do that now, not between the two counts.
    int16_t status = 0;
    uint32_t handle = 0;
    (void)map_grant(g_mapper.map_va, 0, 0xfffff, false, &status, &handle);
    if (status == 0) {  // cannot happen (no such reference); undo it all the same
        (void)unmap_grant(g_mapper.map_va, handle, &status);
        return restore_page(g_mapper.map_va) == 0;
    }
    return true;
}

int64_t start_peer(const char** why) {
    Mapper& m = g_mapper;
    const control::Backend backend = m.options.control;
    if (!m.options.build_peer) {
        // Our hypervisor built domain 1 at boot (`domu=`); it logs the free-frame count
        // it saw before, which the runner compares with ours after the destroy.
        control::DomainStatus st{};
        *why = "getinfo of domain 1";
        const int64_t rc = control::getinfo(backend, granter_domid, &st);
        if (rc == 0)
            m.peer_started = true;
        return rc;
    }
    control::HostMemory memory{};
    *why = "physinfo";
    if (const int64_t rc = control::physinfo(backend, &memory); rc != 0)
        return rc;
    m.free_before = memory.free_pages;
    m.free_before_known = true;

    DomainSpec spec{};
    spec.domid = granter_domid;
    spec.nr_pages = domu_pages;
    spec.cmdline = "pair-a control=xen";
    *why = "no initrd module with the peer's image";
    if (!initrd(&spec.image, &spec.image_size))
        return xen::error_return(Errno::enoent);
    BuiltDomain built{};
    const int64_t rc = build_pv_domain_on_xen(spec, &built, why);
    if (rc == 0) {
        m.peer_started = true;
        if (built.domid != granter_domid) {
            *why = "Xen picked another domain id";
            return xen::error_return(Errno::eexist);
        }
    }
    return rc;
}

bool rendezvous(const char** why) {
    Mapper& m = g_mapper;
    if (!m.peer_started) {
        *why = "peer not started";
        return false;
    }
    // A grants the hello page last, once everything it describes is ready.
    struct Attempt {
        bool mapped;
        int16_t status;
    } attempt{false, 0};
    const bool mapped = wait_for(
        [](void* ctx) {
            auto* a = static_cast<Attempt*>(ctx);
            uint32_t handle = 0;
            if (map_grant(g_mapper.hello_va, granter_domid, hello_ref, false, &a->status, &handle) == 0 &&
                a->status == 0) {
                g_mapper.hello_handle = handle;
                a->mapped = true;
            }
            return a->mapped;
        },
        &attempt, 0, rendezvous_timeout);
    if (!mapped) {
        *why = "the hello grant never became mappable";
        return false;
    }
    m.hello_mapped = true;
    m.hello = reinterpret_cast<Hello*>(m.hello_va);
    if (__atomic_load_n(&m.hello->magic, __ATOMIC_ACQUIRE) != hello_magic || m.hello->version != protocol_version) {
        *why = "bad magic in the hello page";
        return false;
    }
    __builtin_memcpy(&m.refs, m.hello, sizeof(m.refs));
    if (bind_interdomain(granter_domid, m.refs.a_port, &m.port) != 0) {
        *why = "bind_interdomain to the peer's port";
        return false;
    }
    m.hello->b_port = m.port;
    m.peer_up = true;
    Reply reply{};
    if (!request(Command::hello, 0, 0, &reply) || reply.status != 0) {
        *why = "no reply to hello";
        m.peer_up = false;
        return false;
    }
    return true;
}

void post(Command command, uint64_t arg0, uint64_t arg1) {
    Mapper& m = g_mapper;
    Mailbox& box = m.hello->mailbox;
    box.arg0 = arg0;
    box.arg1 = arg1;
    box.command = xen::raw(command);
    ++m.seq;
    __atomic_store_n(&box.seq, m.seq, __ATOMIC_RELEASE);
    (void)send(m.port);  // fails harmlessly while a case has the channel closed
}

bool request(Command command, uint64_t arg0, uint64_t arg1, Reply* reply, uint64_t timeout) {
    Mapper& m = g_mapper;
    *reply = {-1, 0};
    if (!m.peer_up || !m.hello_mapped)
        return false;
    post(command, arg0, arg1);
    uint32_t seq = m.seq;
    if (!wait_for(reply_arrived, &seq, m.port, timeout)) {
        // A is gone or wedged: later cases fail at once instead of waiting again.
        m.peer_up = false;
        return false;
    }
    reply->status = m.hello->mailbox.reply_status;
    reply->value = m.hello->mailbox.reply_value;
    return true;
}

uint64_t ping_pong_rounds(uint64_t first_round, uint64_t rounds) {
    Mapper& m = g_mapper;
    uint64_t done = 0;
    for (; done < rounds; ++done) {
        const uint64_t round = first_round + done;
        __atomic_store_n(&m.hello->counter, 2 * round + 1, __ATOMIC_RELEASE);
        if (send(m.port) != 0)
            break;
        uint64_t even = 2 * round + 2;
        if (!wait_for(counter_is, &even, m.port, round_timeout))
            break;
    }
    return done;
}

int16_t fetch_report(Report* out) {
    xen::GrantCopy op = make_copy(granted(granter_domid, g_mapper.refs.report_ref),
                                  frame(va_to_mfn(reinterpret_cast<uint64_t>(&g_report_copy))), page_size);
    if (grant_copy(&op, 1) != 0)
        return xen::raw(xen::GrantStatus::general_error);
    if (op.status == 0)
        __builtin_memcpy(out, &g_report_copy, sizeof(*out));
    return op.status;
}

int64_t wait_peer_shutdown(control::DomainStatus* out, uint64_t timeout) {
    struct Poll {
        int64_t rc;
        control::DomainStatus status;
    } poll{0, {}};
    const bool down = wait_for(
        [](void* ctx) {
            auto* p = static_cast<Poll*>(ctx);
            p->rc = control::getinfo(g_mapper.options.control, granter_domid, &p->status);
            return p->rc != 0 || (p->status.flags & xen::control::dominf::shutdown) != 0;
        },
        &poll, 0, timeout);
    *out = poll.status;
    if (poll.rc != 0)
        return poll.rc;
    return down ? 0 : xen::error_return(Errno::etimedout);
}

int64_t destroy_peer() {
    Mapper& m = g_mapper;
    if (m.hello_mapped) {
        int16_t status = 0;
        (void)unmap_grant(m.hello_va, m.hello_handle, &status);
        (void)restore_page(m.hello_va);
        m.hello_mapped = false;
        m.peer_up = false;
    }
    if (m.port != 0) {
        (void)close(m.port);
        m.port = 0;
    }
    const int64_t rc = control::destroy(m.options.control, granter_domid);
    if (rc != 0)
        return rc;
    // Xen may keep a dying domain listed until its last reference is dropped.
    const bool gone = wait_for(
        [](void*) {
            control::DomainStatus st{};
            return control::getinfo(g_mapper.options.control, granter_domid, &st) == xen::error_return(Errno::esrch);
        },
        nullptr, 0, settle_timeout);
    m.peer_gone = gone;
    return gone ? 0 : xen::error_return(Errno::ebusy);
}

int64_t settled_free_frames(uint64_t expected, uint64_t* out) {
    struct Poll {
        uint64_t expected;
        bool know_expected;
        int64_t rc;
        uint64_t last;
        int same;
    } poll{expected, g_mapper.free_before_known, 0, 0, 0};
    (void)wait_for(
        [](void* ctx) {
            auto* p = static_cast<Poll*>(ctx);
            control::HostMemory memory{};
            p->rc = control::physinfo(g_mapper.options.control, &memory);
            if (p->rc != 0)
                return true;
            p->same = memory.free_pages == p->last ? p->same + 1 : 0;
            p->last = memory.free_pages;
            // Without a reference count (ours), wait until it stops moving.
            return p->know_expected ? p->last == p->expected : p->same >= 20;
        },
        &poll, 0, settle_timeout);
    *out = poll.last;
    return poll.rc;
}

ScopedGrant::ScopedGrant(uint64_t va, uint16_t dom, xen::GrantRef ref, bool readonly) : va_(va), status_(0), handle_(0) {
    rc_ = map_grant(va, dom, ref, readonly, &status_, &handle_);
}

ScopedGrant::~ScopedGrant() {
    (void)unmap();
}

int16_t ScopedGrant::unmap() {
    if (!mapped())
        return 0;
    int16_t status = 0;
    (void)unmap_grant(va_, handle_, &status);
    (void)restore_page(va_);
    rc_ = -1;  // no longer mapped
    return status;
}

}  // namespace pvtest::pair
