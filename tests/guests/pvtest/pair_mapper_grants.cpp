// The pair mode's grant cases, dom0 side: mapping A's grants (read-write, read-only),
// copying into and out of them, and every way a map or copy must be refused. Status
// values are what Xen 4.17 answers (grant_table.c: map_grant_ref, unmap_common,
// gnttab_copy); a refused op reports its status in the op and the hypercall returns 0.
#include "pair_mapper.hpp"

namespace pvtest::pair {
namespace {

using namespace guest;
using xen::GrantStatus;

constexpr int16_t status_of(GrantStatus s) {
    return xen::raw(s);
}

Mapper& m() {
    return g_mapper;
}

// The #PF a write through a read-only grant mapping raises.
constinit volatile uint8_t* g_target = nullptr;

}  // namespace

void case_map_read_write() {
    ASSERT_TRUE(m().peer_up);
    ScopedGrant map(m().map_va, granter_domid, m().refs.data_ref, false);
    ASSERT_EQ(map.rc(), 0);
    ASSERT_EQ(map.status(), status_of(GrantStatus::okay));
    EXPECT_EQ(find_mismatch(map.bytes(), a_data_seed), -1);
    fill_pattern(map.bytes(), b_data_seed);
    Reply reply{};
    EXPECT_TRUE(request(Command::check_data, b_data_seed, 0, &reply));
    EXPECT_EQ(reply.status, 0);
    EXPECT_EQ(map.unmap(), status_of(GrantStatus::okay));
}

void case_map_readonly() {
    ASSERT_TRUE(m().peer_up);
    ScopedGrant map(m().map_va, granter_domid, m().refs.readonly_ref, true);
    ASSERT_EQ(map.rc(), 0);
    ASSERT_EQ(map.status(), status_of(GrantStatus::okay));
    EXPECT_EQ(find_mismatch(map.bytes(), a_readonly_seed), -1);
    // The mapping is read-only: a store faults (present | write) and changes nothing.
    g_target = map.bytes();
    TrapRecord trap{};
    const bool trapped = catch_trap([] { *g_target = 0x42; }, &trap);
    EXPECT_TRUE(trapped);
    EXPECT_EQ(trap.vector, vector_pf);
    EXPECT_EQ(trap.error_code & (pfec_present | pfec_write), pfec_present | pfec_write);
    EXPECT_EQ(trap.cr2, m().map_va);
    EXPECT_EQ(find_mismatch(map.bytes(), a_readonly_seed), -1);
    EXPECT_EQ(map.unmap(), status_of(GrantStatus::okay));
}

void case_map_readonly_grant_writable() {
    // GTF_readonly in the entry: a writable map is refused.
    ASSERT_TRUE(m().peer_up);
    ScopedGrant map(m().map_va, granter_domid, m().refs.readonly_ref, false);
    EXPECT_EQ(map.rc(), 0);
    EXPECT_EQ(map.status(), status_of(GrantStatus::general_error));
}

void case_map_bad_ref() {
    ASSERT_TRUE(m().peer_up);
    {
        ScopedGrant beyond(m().map_va, granter_domid, 0xfffff, false);  // past the table
        EXPECT_EQ(beyond.rc(), 0);
        EXPECT_EQ(beyond.status(), status_of(GrantStatus::bad_gntref));
    }
    ScopedGrant unused(m().map_va, granter_domid, 300, false);  // in the table, never granted
    EXPECT_EQ(unused.rc(), 0);
    EXPECT_EQ(unused.status(), status_of(GrantStatus::general_error));
}

void case_map_bad_domain() {
    ASSERT_TRUE(m().peer_up);
    ScopedGrant map(m().map_va, stranger_domid, m().refs.data_ref, false);
    EXPECT_EQ(map.rc(), 0);
    EXPECT_EQ(map.status(), status_of(GrantStatus::bad_domain));
}

void case_map_without_permission() {
    // Granted to another domain, not to us.
    ASSERT_TRUE(m().peer_up);
    ScopedGrant map(m().map_va, granter_domid, m().refs.stranger_ref, false);
    EXPECT_EQ(map.rc(), 0);
    EXPECT_EQ(map.status(), status_of(GrantStatus::general_error));
}

void case_map_bad_flags() {
    // Neither host_map nor device_map.
    ASSERT_TRUE(m().peer_up);
    xen::GrantMapRef op{};
    op.host_addr = m().map_va;
    op.flags = 0;
    op.ref = m().refs.data_ref;
    op.dom = granter_domid;
    op.status = 1;
    EXPECT_EQ(grant_table_op(xen::GrantTableOp::map_grant_ref, &op, 1), 0);
    EXPECT_EQ(op.status, status_of(GrantStatus::bad_gntref));
}

void case_unmap_twice() {
    ASSERT_TRUE(m().peer_up);
    int16_t status = 1;
    uint32_t handle = 0;
    ASSERT_EQ(map_grant(m().map_va, granter_domid, m().refs.data_ref, false, &status, &handle), 0);
    ASSERT_EQ(status, status_of(GrantStatus::okay));
    EXPECT_EQ(unmap_grant(m().map_va, handle, &status), 0);
    EXPECT_EQ(status, status_of(GrantStatus::okay));
    EXPECT_EQ(unmap_grant(m().map_va, handle, &status), 0);
    EXPECT_EQ(status, status_of(GrantStatus::bad_handle));
    EXPECT_EQ(unmap_grant(m().map_va, 0xffffff, &status), 0);
    EXPECT_EQ(status, status_of(GrantStatus::bad_handle));
    EXPECT_EQ(restore_page(m().map_va), 0);
}

void case_grant_copy_in() {
    // The data page holds B's pattern since case_map_read_write.
    ASSERT_TRUE(m().peer_up);
    fill_pattern(reinterpret_cast<volatile uint8_t*>(own_page(0)), 0);
    xen::GrantCopy op = make_copy(granted(granter_domid, m().refs.data_ref), frame(own_mfn(0)), page_size);
    EXPECT_EQ(grant_copy(&op, 1), 0);
    EXPECT_EQ(op.status, status_of(GrantStatus::okay));
    EXPECT_EQ(find_mismatch(reinterpret_cast<volatile uint8_t*>(own_page(0)), b_data_seed), -1);
}

void case_grant_copy_out() {
    ASSERT_TRUE(m().peer_up);
    fill_pattern(reinterpret_cast<volatile uint8_t*>(own_page(0)), b_copy_seed);
    xen::GrantCopy op = make_copy(frame(own_mfn(0)), granted(granter_domid, m().refs.copy_refs[0]), page_size);
    EXPECT_EQ(grant_copy(&op, 1), 0);
    EXPECT_EQ(op.status, status_of(GrantStatus::okay));
    Reply reply{};
    EXPECT_TRUE(request(Command::check_copy, 0, b_copy_seed, &reply));
    EXPECT_EQ(reply.status, 0);
}

void case_grant_copy_batch_64k() {
    // 16 pages in one hypercall, each from its own grant, in 512-byte pieces for the
    // second half of the batch (the pieces must land at their offsets).
    ASSERT_TRUE(m().peer_up);
    static xen::GrantCopy ops[nr_copy_pages];
    for (uint32_t i = 0; i < nr_copy_pages; ++i) {
        fill_pattern(reinterpret_cast<volatile uint8_t*>(own_page(i)), 0);
        ops[i] = make_copy(granted(granter_domid, m().refs.copy_refs[i]), frame(own_mfn(i)), page_size);
    }
    EXPECT_EQ(grant_copy(ops, nr_copy_pages), 0);
    for (uint32_t i = 0; i < nr_copy_pages; ++i) {
        EXPECT_EQ(ops[i].status, status_of(GrantStatus::okay));
        // Page 0 holds what case_grant_copy_out wrote into it.
        const uint8_t seed = i == 0 ? b_copy_seed : static_cast<uint8_t>(a_copy_seed + i);
        EXPECT_EQ(find_mismatch(reinterpret_cast<volatile uint8_t*>(own_page(i)), seed), -1);
    }
    static xen::GrantCopy pieces[8];
    fill_pattern(reinterpret_cast<volatile uint8_t*>(own_page(1)), 0);
    for (uint16_t i = 0; i < 8; ++i)
        pieces[i] = make_copy(granted(granter_domid, m().refs.copy_refs[1], static_cast<uint16_t>(i * 512)),
                              frame(own_mfn(1), xen::domid_self, static_cast<uint16_t>(i * 512)), 512);
    EXPECT_EQ(grant_copy(pieces, 8), 0);
    for (const auto& piece : pieces)
        EXPECT_EQ(piece.status, status_of(GrantStatus::okay));
    EXPECT_EQ(find_mismatch(reinterpret_cast<volatile uint8_t*>(own_page(1)), static_cast<uint8_t>(a_copy_seed + 1)), -1);
}

void case_grant_copy_errors() {
    ASSERT_TRUE(m().peer_up);
    xen::GrantCopy ops[6] = {
        // Into a read-only grant.
        make_copy(frame(own_mfn(0)), granted(granter_domid, m().refs.readonly_ref), 64),
        // From a reference past the table.
        make_copy(granted(granter_domid, 0xfffff), frame(own_mfn(0)), 64),
        // Past the end of the page.
        make_copy(granted(granter_domid, m().refs.data_ref, 4000), frame(own_mfn(0)), 200),
        // A frame of another domain named directly instead of by grant.
        make_copy(frame(own_mfn(0), granter_domid), frame(own_mfn(1)), 64),
        // A grant made out to another domain.
        make_copy(granted(granter_domid, m().refs.stranger_ref), frame(own_mfn(0)), 64),
        // A domain that does not exist.
        make_copy(granted(stranger_domid, m().refs.data_ref), frame(own_mfn(0)), 64),
    };
    EXPECT_EQ(grant_copy(ops, 6), 0);
    EXPECT_EQ(ops[0].status, status_of(GrantStatus::general_error));
    EXPECT_EQ(ops[1].status, status_of(GrantStatus::bad_gntref));
    EXPECT_EQ(ops[2].status, status_of(GrantStatus::bad_copy_arg));
    EXPECT_EQ(ops[3].status, status_of(GrantStatus::permission_denied));
    EXPECT_EQ(ops[4].status, status_of(GrantStatus::general_error));
    EXPECT_EQ(ops[5].status, status_of(GrantStatus::bad_domain));
}

void case_revoke_while_mapped() {
    ASSERT_TRUE(m().peer_up);
    ScopedGrant map(m().map_va, granter_domid, m().refs.revoke_ref, false);
    ASSERT_EQ(map.rc(), 0);
    ASSERT_EQ(map.status(), status_of(GrantStatus::okay));
    Reply reply{};
    EXPECT_TRUE(request(Command::revoke, m().refs.revoke_ref, 1, &reply));
    EXPECT_ERRNO(reply.status, ebusy);
    // Still ours to use.
    EXPECT_EQ(find_mismatch(map.bytes(), a_data_seed), -1);
    EXPECT_EQ(map.unmap(), status_of(GrantStatus::okay));
    EXPECT_TRUE(request(Command::revoke, m().refs.revoke_ref, 0, &reply));
    EXPECT_EQ(reply.status, 0);
}

void case_map_after_revoke() {
    ASSERT_TRUE(m().peer_up);
    ScopedGrant map(m().map_va, granter_domid, m().refs.revoke_ref, false);
    EXPECT_EQ(map.rc(), 0);
    EXPECT_EQ(map.status(), status_of(GrantStatus::general_error));
    xen::GrantCopy op = make_copy(granted(granter_domid, m().refs.revoke_ref), frame(own_mfn(0)), 64);
    EXPECT_EQ(grant_copy(&op, 1), 0);
    EXPECT_EQ(op.status, status_of(GrantStatus::general_error));
}

}  // namespace pvtest::pair
