// The two-domain ("pair") mode of pvtest: what its two roles share.
//
//   B = dom0, the mapper: maps and copies A's grants, prints every result line
//       (its own cases and A's, the latter named `A:<case>`), destroys A at the end.
//   A = domU 1, the granter: grants pages to dom0, answers B's commands, records its own
//       case results in a page it grants to B (release Xen refuses console_io from a
//       domU, so A never prints).
//
// Rendezvous (identical on both hypervisors, no xenstore): A allocates an unbound event
// channel for dom0 and grants ref 8 (the first one not reserved for toolstacks) of its
// hello page to dom0; B retries mapping (dom 1, ref 8) until it succeeds, checks the
// magic, binds to A's port and says hello through the mailbox.
//
// Mailbox (in the hello page, which B maps writable): B writes the arguments, then the
// command, then bumps `seq` and notifies; A executes, writes the reply, then sets
// `reply_seq = seq` and notifies back. Events are only wake-ups: both sides clear the
// pending bit before looking at the mailbox and poll with a short timeout, so a command
// still gets through while a case has one end of the channel closed.
//
// Invariants: every field is written by one side only (B: the command words, b_port,
// counter when odd; A: everything else, counter when even); a reply is valid only once
// reply_seq equals the command's seq; A's report page only grows (lines are appended,
// then `count` and `bytes` are published).
#pragma once

#include <cstddef>
#include <cstdint>

#include "hypercall/public/grant_table.hpp"

namespace pvtest::pair {

inline constexpr uint16_t granter_domid = 1;   // A
inline constexpr uint16_t stranger_domid = 7;  // no such domain: grants to it, maps from it
inline constexpr xen::GrantRef hello_ref = xen::gnttab_nr_reserved_entries;
inline constexpr uint64_t hello_magic = 0x4f4c4548'52494150ull;  // "PAIRHELO"
inline constexpr uint32_t protocol_version = 1;
inline constexpr uint32_t nr_copy_pages = 16;  // 64 KiB of copy targets
inline constexpr uint64_t domu_pages = 4096;   // 16 MiB, as `domu=1:16M` and the Xen builder

// Fill patterns: byte i of a page filled with `seed` is (seed + i * 7) & 0xff, with the
// page index folded into the seed for the copy pages.
inline constexpr uint8_t a_data_seed = 0xa1;
inline constexpr uint8_t a_readonly_seed = 0x5c;
inline constexpr uint8_t a_copy_seed = 0x30;
inline constexpr uint8_t b_data_seed = 0x17;
inline constexpr uint8_t b_copy_seed = 0x6e;

inline uint8_t pattern_byte(uint8_t seed, size_t i) {
    return static_cast<uint8_t>(seed + i * 7);
}

enum class Command : uint32_t {
    none = 0,
    hello = 1,          // B bound to a_port; A checks the channel. arg0 = bind count - 1
    check_data = 2,     // arg0 = seed: does the data page hold B's pattern? reply 0 / -1
    check_copy = 3,     // arg0 = copy page index, arg1 = seed. reply 0 / -1
    revoke = 4,         // arg0 = ref, arg1 = 1 if B holds a mapping. reply 0 / -EBUSY
    ping_pong = 5,      // arg0 = rounds; A replies, then serves the counter
    peer_closed = 6,    // B closed its end; A checks its port. reply 0 / -1
    close_port = 7,     // A closes a_port, allocates a new one. reply_value = new port
    finish = 8,         // A publishes its report. reply = number of A lines
    shutdown = 9,       // A powers off (no reply)
};

struct Mailbox {
    uint32_t command;  // Command
    uint32_t seq;
    uint64_t arg0;
    uint64_t arg1;
    uint32_t reply_seq;
    int32_t reply_status;
    uint64_t reply_value;
};

struct Hello {
    uint64_t magic;
    uint32_t version;
    uint32_t a_port;  // A's end (unbound, remote dom0, until B binds)
    uint32_t b_port;  // B's end, written by B before the hello command
    xen::GrantRef report_ref;    // readonly, to dom0
    xen::GrantRef data_ref;      // read-write, to dom0
    xen::GrantRef readonly_ref;  // GTF_readonly, to dom0
    xen::GrantRef stranger_ref;  // read-write, to stranger_domid
    xen::GrantRef revoke_ref;    // read-write, to dom0; revoked on command
    xen::GrantRef copy_refs[nr_copy_pages];
    uint32_t pad;
    Mailbox mailbox;
    uint64_t counter;  // ping-pong: B makes it odd, A makes it even
};
static_assert(sizeof(Hello) <= 4096);

// A's results: NUL-terminated `PASS|FAIL <name>...` lines packed after the header.
struct Report {
    uint32_t count;
    uint32_t bytes;
    char text[4096 - 8];
};
static_assert(sizeof(Report) == 4096);

// The cases A records, in the order it runs them. B prints each as `A:<name>`, or as a
// failure if A's report lacks it, so both hypervisors list the same cases.
enum class ACase : int {
    start_info_is_domu,
    grant_table_setup,
    alloc_unbound_for_dom0,
    control_op_refused,
    peer_bound,
    sees_mapper_writes,
    sees_grant_copy_out,
    revoke_refused_while_mapped,
    revoke_after_unmap,
    ping_pong,
    port_after_peer_closed,
    peer_rebound_after_mapper_close,
    close_port_peer_still_bound,
    peer_rebound_after_granter_close,
    grant_flags_clear_after_unmap,
    count,
};
inline constexpr const char* a_case_names[] = {
    "start_info_is_domu",
    "grant_table_setup",
    "alloc_unbound_for_dom0",
    "control_op_refused",
    "peer_bound",
    "sees_mapper_writes",
    "sees_grant_copy_out",
    "revoke_refused_while_mapped",
    "revoke_after_unmap",
    "ping_pong",
    "port_after_peer_closed",
    "peer_rebound_after_mapper_close",
    "close_port_peer_still_bound",
    "peer_rebound_after_granter_close",
    "grant_flags_clear_after_unmap",
};
inline constexpr int a_case_count = sizeof(a_case_names) / sizeof(a_case_names[0]);
static_assert(a_case_count == static_cast<int>(ACase::count));

}  // namespace pvtest::pair
