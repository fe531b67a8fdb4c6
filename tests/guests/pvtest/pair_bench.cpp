// The pair mode's benchmarks ("pair [build] bench"), timed with rdtsc on the dom0 side
// like bench.cpp (deterministic under QEMU's -icount shift=0):
//   event_round_trip       B notifies A, A notifies back (counter in the hello page)
//   grant_map_unmap        map one of A's pages and unmap it again
//   grant_copy_4k          one 4 KiB copy out of A's grant into our frame
//   grant_copy_64k_batch   16 such copies in one hypercall
// Prints `bench: <name> <ticks-per-op>` lines, then `bench-summary: done` once A is
// destroyed again.
#include "bench_timing.hpp"
#include "pair_mapper.hpp"

namespace pvtest::pair {
namespace {

using namespace guest;

constexpr uint64_t warm_rounds = 20;
constexpr uint64_t timed_rounds = 200;

constinit xen::GrantCopy g_batch[nr_copy_pages]{};
constinit bool g_ok = true;

}  // namespace

int pair_bench() {
    Mapper& m = g_mapper;
    const char* why = "";
    if (start_peer(&why) != 0 || !rendezvous(&why)) {
        guest_printf("bench-summary: set-up failed (%s)\n", why);
        return 1;
    }

    m.hello->counter = 0;
    Reply reply{};
    if (!request(Command::ping_pong, warm_rounds + timed_rounds, 0, &reply) || reply.status != 0) {
        guest_printf("bench-summary: set-up failed (ping_pong)\n");
        return 1;
    }
    g_ok &= ping_pong_rounds(0, warm_rounds) == warm_rounds;
    const uint64_t start = rdtsc();
    g_ok &= ping_pong_rounds(warm_rounds, timed_rounds) == timed_rounds;
    report("event_round_trip", (rdtsc() - start) / timed_rounds);

    // Into an empty PTE, as Linux backends map into ballooned pages (whose PTE the
    // balloon driver cleared); the unmap leaves it empty again.
    g_ok &= update_va_mapping(m.map_va, 0, xen::uvmf::invlpg) == 0;
    report("grant_map_unmap", ticks_per_op(
                                  [](uint64_t) {
                                      int16_t status = 1;
                                      uint32_t handle = 0;
                                      g_ok &= map_grant(g_mapper.map_va, granter_domid, g_mapper.refs.data_ref,
                                                        false, &status, &handle) == 0 &&
                                              status == 0;
                                      g_ok &= unmap_grant(g_mapper.map_va, handle, &status) == 0 && status == 0;
                                  },
                                  warm_rounds, timed_rounds));
    g_ok &= restore_page(m.map_va) == 0;

    report("grant_copy_4k", ticks_per_op(
                                [](uint64_t) {
                                    xen::GrantCopy op = make_copy(granted(granter_domid, g_mapper.refs.data_ref),
                                                                  frame(own_mfn(0)), page_size);
                                    g_ok &= grant_copy(&op, 1) == 0 && op.status == 0;
                                },
                                warm_rounds, timed_rounds));

    for (uint32_t i = 0; i < nr_copy_pages; ++i)
        g_batch[i] = make_copy(granted(granter_domid, m.refs.copy_refs[i]), frame(own_mfn(i)), page_size);
    report("grant_copy_64k_batch", ticks_per_op(
                                       [](uint64_t) {
                                           g_ok &= grant_copy(g_batch, nr_copy_pages) == 0;
                                           for (const auto& op : g_batch)
                                               g_ok &= op.status == 0;
                                       },
                                       warm_rounds / 2, timed_rounds / 4));

    post(Command::shutdown);
    control::DomainStatus st{};
    g_ok &= wait_peer_shutdown(&st) == 0;
    g_ok &= destroy_peer() == 0;
    if (!g_ok) {
        guest_printf("bench-summary: an operation failed\n");
        return 1;
    }
    guest_printf("bench-summary: done\n");
    return 0;
}

}  // namespace pvtest::pair
