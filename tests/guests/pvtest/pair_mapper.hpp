// The pair mode's dom0 side (B): state and steps shared by its cases
// (pair_mapper_grants.cpp, pair_mapper_events.cpp, pair_mapper.cpp) and its benchmarks
// (pair_bench.cpp). See pair_protocol.hpp for the protocol.
//
// Invariants: B holds at most the hello mapping plus the one a running case made
// (every case drops its own mappings, ScopedGrant below) and no foreign mapping of A's
// memory outside the domain builder; everything is unmapped and B's end of the channel
// closed before A is destroyed (unmapping a grant of a dead domain makes Xen crash the
// mapper).
#pragma once

#include <cstdint>

#include "pair_common.hpp"

namespace pvtest::pair {

struct Mapper {
    Options options;
    bool peer_started;  // domain 1 exists (built by us, or by the hypervisor)
    bool peer_up;       // rendezvous done: hello mapped, channel bound
    bool peer_gone;     // destroyed
    bool free_before_known;
    uint64_t free_before;  // host free frames before domain 1 was built
    uint64_t hello_va;
    uint32_t hello_handle;
    bool hello_mapped;
    Hello* hello;
    uint32_t port;  // B's end of the channel
    uint32_t seq;
    uint64_t map_va;    // pool page where cases map A's grants
    uint64_t own_base;  // nr_copy_pages pool pages of our own (copy sources/targets)
    Hello refs;         // A's hello as read at rendezvous (refs, port)
};

extern constinit Mapper g_mapper;

inline uint64_t own_page(uint32_t i) {
    return g_mapper.own_base + i * guest::page_size;
}
inline uint64_t own_mfn(uint32_t i) {
    return guest::va_to_mfn(own_page(i));
}

// Allocates B's pages and warms up the per-domain structures a first grant map would
// allocate (Xen's maptrack frame), so the free-frame count taken next stays exact.
bool mapper_init(const Options& options);

// Xen: takes the free-frame count, builds domain 1 from our initrd module and unpauses
// it. Ours: checks that the hypervisor built domain 1. 0 or -errno (`why` names the step).
int64_t start_peer(const char** why);

// Maps A's hello page (retrying until A granted it), binds to A's port and exchanges
// the hello command. false (with `why`) if A never showed up.
bool rendezvous(const char** why);

struct Reply {
    int32_t status;
    uint64_t value;
};
// Posts a command and waits for its reply (bounded). false on timeout.
// A timeout marks the peer down (peer_up = false).
bool request(Command command, uint64_t arg0, uint64_t arg1, Reply* reply, uint64_t timeout = 10 * one_second);
// Posts a command without waiting (shutdown).
void post(Command command, uint64_t arg0 = 0, uint64_t arg1 = 0);

// Ping-pong rounds against A's ping_pong command already acknowledged; returns the
// rounds completed.
uint64_t ping_pong_rounds(uint64_t first_round, uint64_t rounds);

// Copies A's report page into `out` with one grant copy. Returns the copy status.
int16_t fetch_report(Report* out);

// Waits (bounded) until domain 1 reports shutdown; the domain's status in *out.
int64_t wait_peer_shutdown(guest::control::DomainStatus* out, uint64_t timeout = 10 * one_second);
// Unmaps the hello page, closes B's port, destroys domain 1 and waits until it is gone.
int64_t destroy_peer();
// Host free frames once the count has settled (bounded wait for Xen's deferred frees).
int64_t settled_free_frames(uint64_t expected, uint64_t* out);

// A grant mapped at a pool page for the length of a case; unmapping restores the page.
class ScopedGrant {
public:
    ScopedGrant(uint64_t va, uint16_t dom, xen::GrantRef ref, bool readonly);
    ~ScopedGrant();
    ScopedGrant(const ScopedGrant&) = delete;
    ScopedGrant& operator=(const ScopedGrant&) = delete;
    int64_t rc() const { return rc_; }
    int16_t status() const { return status_; }
    uint32_t handle() const { return handle_; }
    bool mapped() const { return rc_ == 0 && status_ == 0; }
    volatile uint8_t* bytes() const { return reinterpret_cast<volatile uint8_t*>(va_); }
    // Unmaps now; returns the unmap status (0 = okay).
    int16_t unmap();

private:
    uint64_t va_;
    int64_t rc_;
    int16_t status_;
    uint32_t handle_;
};

// Case bodies, run in the order pair_main lists them.
void case_control_physinfo();
void case_start_peer();
void case_rendezvous();
void case_bind_interdomain_errors();
void case_send_errors();
void case_map_read_write();
void case_map_readonly();
void case_map_readonly_grant_writable();
void case_map_bad_ref();
void case_map_bad_domain();
void case_map_without_permission();
void case_map_bad_flags();
void case_unmap_twice();
void case_grant_copy_in();
void case_grant_copy_out();
void case_grant_copy_batch_64k();
void case_grant_copy_errors();
void case_revoke_while_mapped();
void case_map_after_revoke();
void case_event_ping_pong();
void case_close_own_port_peer_bound();
void case_peer_closes_port();
void case_peer_report();
void case_peer_shutdown();
void case_destroy_peer();
void case_frames_returned();

// Benchmarks (pair bench).
int pair_bench();

}  // namespace pvtest::pair
