// Helpers both roles of the pair mode use: event-channel one-liners, the bounded wait
// (SCHEDOP_poll with a short timeout between checks of a condition), fill patterns and
// grant map/unmap/copy wrappers. See pair_protocol.hpp for the protocol.
#pragma once

#include <cstdint>

#include "control.hpp"
#include "guest.hpp"
#include "modes.hpp"
#include "pair_protocol.hpp"

#include "hypercall/public/control.hpp"

namespace pvtest::pair {

inline constexpr uint64_t one_ms = 1000000;
inline constexpr uint64_t one_second = 1000 * one_ms;

int64_t alloc_unbound(uint16_t remote_dom, uint32_t* port);
int64_t bind_interdomain(uint16_t remote_dom, uint32_t remote_port, uint32_t* local_port);
int64_t send(uint32_t port);
int64_t close(uint32_t port);
int64_t status(uint16_t dom, uint32_t port, xen::EventChannelStatus* out);

// Waits until done(ctx) holds or `timeout_ns` of system time passed. Between checks it
// clears `port`'s pending bit (0: no port) and sleeps in SCHEDOP_poll on it for at most
// 1 ms, so an event wakes it at once and a lost one costs a millisecond.
bool wait_for(bool (*done)(void*), void* ctx, uint32_t port, uint64_t timeout_ns);

void fill_pattern(volatile uint8_t* page, uint8_t seed);
// Offset of the first byte that differs from the pattern, or -1.
int64_t find_mismatch(const volatile uint8_t* page, uint8_t seed);

// One GNTTABOP_map_grant_ref with GNTMAP_host_map (| readonly) at `va`; returns the
// hypercall result, the per-op status and handle through the pointers.
int64_t map_grant(uint64_t va, uint16_t dom, xen::GrantRef ref, bool readonly, int16_t* status, uint32_t* handle);
int64_t unmap_grant(uint64_t va, uint32_t handle, int16_t* status);
// A pool page is given back mapped to its own frame again (a grant unmap leaves the VA
// unmapped).
int64_t restore_page(uint64_t va);

// One side of a copy op: a grant reference of `dom`, or a frame named directly (Xen
// accepts only our own frames, DOMID_SELF, that way).
struct CopySide {
    xen::GrantCopyPointer pointer;
    bool by_ref;
};
CopySide granted(uint16_t dom, xen::GrantRef ref, uint16_t offset = 0);
CopySide frame(uint64_t mfn, uint16_t dom = xen::domid_self, uint16_t offset = 0);
xen::GrantCopy make_copy(const CopySide& source, const CopySide& dest, uint16_t length);
int64_t grant_copy(xen::GrantCopy* ops, uint32_t count);

}  // namespace pvtest::pair
