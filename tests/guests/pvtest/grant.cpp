// Grant tables as dom0 sets them up at boot (spec §4.13, §9.8): version, setup_table,
// and a writable mapping of the hypervisor-owned grant frame.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

GUEST_TEST(grant_table_get_and_set_version) {
    xen::GrantGetVersion get{xen::domid_self, 0, 0};
    EXPECT_EQ(grant_table_op(xen::GrantTableOp::get_version, &get, 1), 0);
    EXPECT_EQ(get.version, 1u);
    xen::GrantSetVersion set{1};
    EXPECT_EQ(grant_table_op(xen::GrantTableOp::set_version, &set, 1), 0);
    EXPECT_EQ(set.version, 1u);
    set.version = 3;
    EXPECT_ERRNO(grant_table_op(xen::GrantTableOp::set_version, &set, 1), einval);
}

GUEST_TEST(grant_table_setup_and_map_frame) {
    static uint64_t frames[1];
    xen::GrantSetupTable setup{};
    setup.dom = xen::domid_self;
    setup.nr_frames = 1;
    setup.frame_list = reinterpret_cast<uint64_t>(frames);
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::setup_table, &setup, 1), 0);
    ASSERT_EQ(setup.status, 0);
    ASSERT_NE(frames[0], 0u);
    // Linux maps the frame writable in its own page tables.
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    ASSERT_EQ(update_va_mapping(page, make_pte(frames[0], pte_kernel_rw), xen::uvmf::invlpg), 0);
    auto* entries = reinterpret_cast<volatile xen::GrantEntryV1*>(page);
    EXPECT_EQ(entries[8].flags, 0u);
    entries[9].domid = 0;  // writable
    EXPECT_EQ(remap_page(page, pte_kernel_rw), 0);
    pool_free(page);
}

GUEST_TEST(grant_table_setup_too_many_frames) {
    static uint64_t frames[1];
    xen::GrantSetupTable setup{};
    setup.dom = xen::domid_self;
    setup.nr_frames = 100000;
    setup.frame_list = reinterpret_cast<uint64_t>(frames);
    EXPECT_EQ(grant_table_op(xen::GrantTableOp::setup_table, &setup, 1), 0);
    EXPECT_EQ(setup.status, xen::raw(xen::GrantStatus::general_error));
}

// --- grants between dom0 and itself ------------------------------------------------------
//
// A single-domain guest can still exercise the whole grant path: dom0 grants its own
// pages to domain 0 (its real id: map_grant_ref names the granter by number) and maps,
// copies and unmaps them. The table's first frame is mapped writable once, over a pool
// page, and stays mapped for the rest of the run. Each case uses its own references.

namespace {

constexpr uint16_t self_id = 0;  // dom0
constexpr int16_t okay = 0;

volatile xen::GrantEntryV1* g_table = nullptr;
uint64_t g_target = 0;  // address a trap-catching lambda writes to

volatile xen::GrantEntryV1* table() {
    if (g_table != nullptr)
        return g_table;
    static uint64_t frames[1];
    xen::GrantSetupTable setup{};
    setup.dom = xen::domid_self;
    setup.nr_frames = 1;
    setup.frame_list = reinterpret_cast<uint64_t>(frames);
    if (grant_table_op(xen::GrantTableOp::setup_table, &setup, 1) != 0 || setup.status != 0)
        return nullptr;
    const uint64_t page = pool_alloc();
    if (page == 0 || update_va_mapping(page, make_pte(frames[0], pte_kernel_rw), xen::uvmf::invlpg) != 0)
        return nullptr;
    g_table = reinterpret_cast<volatile xen::GrantEntryV1*>(page);
    return g_table;
}

void grant(xen::GrantRef ref, uint16_t flags, uint64_t mfn, uint16_t domid = self_id) {
    volatile xen::GrantEntryV1& e = table()[ref];
    e.domid = domid;
    e.frame = static_cast<uint32_t>(mfn);
    asm volatile("" ::: "memory");  // frame and domid before the flags, as Linux does
    e.flags = flags;
}

uint16_t flags_of(xen::GrantRef ref) { return table()[ref].flags; }

uint64_t read_u64(uint64_t va) { return *reinterpret_cast<volatile uint64_t*>(va); }
void write_u64(uint64_t va, uint64_t value) { *reinterpret_cast<volatile uint64_t*>(va) = value; }

xen::GrantMapRef map_op(xen::GrantRef ref, uint32_t flags, uint64_t host_addr, uint16_t dom = self_id) {
    xen::GrantMapRef op{};
    op.host_addr = host_addr;
    op.flags = flags;
    op.ref = ref;
    op.dom = dom;
    return op;
}

// One map; returns the hypercall result, the op carries status/handle/dev_bus_addr.
int64_t map(xen::GrantMapRef& op) { return grant_table_op(xen::GrantTableOp::map_grant_ref, &op, 1); }

int16_t unmap(uint32_t handle, uint64_t host_addr, uint64_t dev_bus_addr = 0) {
    xen::GrantUnmapRef op{};
    op.host_addr = host_addr;
    op.dev_bus_addr = dev_bus_addr;
    op.handle = handle;
    op.status = 0x5555;
    if (grant_table_op(xen::GrantTableOp::unmap_grant_ref, &op, 1) != 0)
        return 0x7777;
    return op.status;
}

uint32_t nr_grant_entries() {
    xen::GrantQuerySize query{};
    query.dom = xen::domid_self;
    if (grant_table_op(xen::GrantTableOp::query_size, &query, 1) != 0)
        return 0;
    return query.nr_frames * 512;
}

xen::GrantCopyPointer gref_side(xen::GrantRef ref, uint16_t domid, uint16_t offset = 0) {
    xen::GrantCopyPointer p{};
    p.u.ref = ref;
    p.domid = domid;
    p.offset = offset;
    return p;
}

xen::GrantCopyPointer frame_side(uint64_t mfn, uint16_t offset = 0, uint16_t domid = xen::domid_self) {
    xen::GrantCopyPointer p{};
    p.u.gmfn = mfn;
    p.domid = domid;
    p.offset = offset;
    return p;
}

// One copy; returns its status (or 0x7777 if the hypercall itself failed).
int16_t copy(xen::GrantCopyPointer source, xen::GrantCopyPointer dest, uint16_t len, uint16_t flags) {
    xen::GrantCopy op{};
    op.source = source;
    op.dest = dest;
    op.len = len;
    op.flags = flags;
    op.status = 0x5555;
    if (grant_table_op(xen::GrantTableOp::copy, &op, 1) != 0)
        return 0x7777;
    return op.status;
}

constexpr int16_t st(xen::GrantStatus s) { return xen::raw(s); }

// A pool page holding a recognisable pattern, and a second one whose VA a mapping uses.
struct Pages {
    uint64_t granted = pool_alloc();
    uint64_t target = pool_alloc();
    Pages() {
        for (unsigned i = 0; i < 512; ++i)
            write_u64(granted + i * 8, 0x6a09e667f3bcc908ull ^ (i * 0x9e3779b97f4a7c15ull));
        write_u64(target, 0x1111);
    }
    uint64_t granted_mfn() const { return va_to_mfn(granted); }
    // Gives the target page its own frame back (unmapping a grant leaves the entry empty).
    ~Pages() {
        (void)remap_page(target, pte_kernel_rw);
        pool_free(target);
        pool_free(granted);
    }
};

}  // namespace

GUEST_TEST(grant_map_readonly_self_grant) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(16, xen::gtf::permit_access | xen::gtf::readonly, p.granted_mfn());
    auto op = map_op(16, xen::gntmap::host_map | xen::gntmap::readonly, p.target);
    ASSERT_EQ(map(op), 0);
    ASSERT_EQ(op.status, okay);
    GUEST_NOTE("handle %u", op.handle);
    EXPECT_EQ(op.dev_bus_addr, p.granted_mfn() << 12);
    EXPECT_EQ(flags_of(16), xen::gtf::permit_access | xen::gtf::readonly | xen::gtf::reading);
    EXPECT_EQ(read_u64(p.target + 8), read_u64(p.granted + 8));
    PteLocation pte{};
    ASSERT_TRUE(find_l1_entry(p.target, &pte));
    EXPECT_EQ(pte_frame(pte.value), p.granted_mfn());
    EXPECT_EQ(pte.value & (pte_present | pte_writable), pte_present);
    // The mapping is read-only for the hardware too.
    g_target = p.target;
    TrapRecord trap{};
    EXPECT_TRUE(catch_trap([] { write_u64(g_target, 1); }, &trap));
    EXPECT_EQ(trap.vector, vector_pf);
    EXPECT_EQ(trap.error_code & (pfec_present | pfec_write), pfec_present | pfec_write);
    EXPECT_EQ(unmap(op.handle, p.target), okay);
    EXPECT_EQ(flags_of(16), xen::gtf::permit_access | xen::gtf::readonly);
    ASSERT_TRUE(find_l1_entry(p.target, &pte));
    EXPECT_EQ(pte.value, 0u);
    grant(16, 0, 0);
}

GUEST_TEST(grant_map_writable_self_grant) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(17, xen::gtf::permit_access, p.granted_mfn());
    auto op = map_op(17, xen::gntmap::host_map, p.target);
    ASSERT_EQ(map(op), 0);
    ASSERT_EQ(op.status, okay);
    EXPECT_EQ(flags_of(17), xen::gtf::permit_access | xen::gtf::reading | xen::gtf::writing);
    write_u64(p.target + 16, 0xfeedface);
    EXPECT_EQ(read_u64(p.granted + 16), 0xfeedfaceu);
    EXPECT_EQ(unmap(op.handle, p.target), okay);
    EXPECT_EQ(flags_of(17), xen::gtf::permit_access);
    grant(17, 0, 0);
}

GUEST_TEST(grant_map_readonly_grant_refuses_writable) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(18, xen::gtf::permit_access | xen::gtf::readonly, p.granted_mfn());
    auto op = map_op(18, xen::gntmap::host_map, p.target);
    ASSERT_EQ(map(op), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::general_error));
    EXPECT_EQ(flags_of(18), xen::gtf::permit_access | xen::gtf::readonly);
    EXPECT_EQ(read_u64(p.target), 0x1111u);  // the target keeps its own page
    grant(18, 0, 0);
}

GUEST_TEST(grant_map_refusals) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    const uint32_t entries = nr_grant_entries();
    ASSERT_NE(entries, 0u);
    GUEST_NOTE("%u entries", entries);
    grant(19, xen::gtf::permit_access, p.granted_mfn());
    auto op = map_op(entries, xen::gntmap::host_map, p.target);
    ASSERT_EQ(map(op), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::bad_gntref));
    op = map_op(19, xen::gntmap::host_map, p.target, 7);  // no such domain
    ASSERT_EQ(map(op), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::bad_domain));
    op = map_op(19, xen::gntmap::host_map, p.target, xen::domid_self);  // not a domain number here
    ASSERT_EQ(map(op), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::bad_domain));
    op = map_op(19, xen::gntmap::readonly, p.target);  // neither host nor device mapping
    ASSERT_EQ(map(op), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::bad_gntref));
    EXPECT_EQ(flags_of(19), xen::gtf::permit_access);
    grant(19, 0, 0);
}

GUEST_TEST(grant_map_entry_not_for_us) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(20, xen::gtf::permit_access, p.granted_mfn(), 5);  // granted to domain 5
    auto op = map_op(20, xen::gntmap::host_map, p.target);
    ASSERT_EQ(map(op), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::general_error));
    const uint16_t refused[] = {0, xen::gtf::accept_transfer, xen::gtf::permit_access | xen::gtf::sub_page};
    for (uint16_t flags : refused) {
        grant(20, flags, p.granted_mfn());
        op = map_op(20, xen::gntmap::host_map | xen::gntmap::readonly, p.target);
        ASSERT_EQ(map(op), 0);
        EXPECT_EQ(op.status, st(xen::GrantStatus::general_error));
        EXPECT_EQ(flags_of(20), flags);
    }
    EXPECT_EQ(read_u64(p.target), 0x1111u);
    grant(20, 0, 0);
}

GUEST_TEST(grant_map_after_revoke) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(21, xen::gtf::permit_access, p.granted_mfn());
    table()[21].flags = 0;  // the granter ends the grant before anyone maps it
    auto op = map_op(21, xen::gntmap::host_map, p.target);
    ASSERT_EQ(map(op), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::general_error));
    EXPECT_EQ(flags_of(21), 0u);
}

GUEST_TEST(grant_unmap_twice_and_bad_handles) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(22, xen::gtf::permit_access, p.granted_mfn());
    auto op = map_op(22, xen::gntmap::host_map, p.target);
    ASSERT_EQ(map(op), 0);
    ASSERT_EQ(op.status, okay);
    EXPECT_EQ(unmap(op.handle, p.target), okay);
    EXPECT_EQ(unmap(op.handle, p.target), st(xen::GrantStatus::bad_handle));
    EXPECT_EQ(unmap(0x7fffffff, p.target), st(xen::GrantStatus::bad_handle));
    EXPECT_EQ(unmap(0xffffffff, p.target), st(xen::GrantStatus::bad_handle));
    grant(22, 0, 0);
}

GUEST_TEST(grant_unmap_at_wrong_address) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    const uint64_t other = pool_alloc();
    ASSERT_NE(other, 0u);
    grant(23, xen::gtf::permit_access, p.granted_mfn());
    auto op = map_op(23, xen::gntmap::host_map, p.target);
    ASSERT_EQ(map(op), 0);
    ASSERT_EQ(op.status, okay);
    EXPECT_EQ(unmap(op.handle, other), st(xen::GrantStatus::general_error));
    EXPECT_EQ(flags_of(23), xen::gtf::permit_access | xen::gtf::reading | xen::gtf::writing);  // still mapped
    EXPECT_EQ(unmap(op.handle, p.target), okay);
    EXPECT_EQ(flags_of(23), xen::gtf::permit_access);
    pool_free(other);
    grant(23, 0, 0);
}

GUEST_TEST(grant_map_by_pte_address) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    PteLocation pte{};
    ASSERT_TRUE(find_l1_entry(p.target, &pte));
    grant(24, xen::gtf::permit_access, p.granted_mfn());
    auto op = map_op(24, xen::gntmap::host_map | xen::gntmap::contains_pte, pte.machine_address + 4);
    ASSERT_EQ(map(op), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::general_error));  // misaligned
    op = map_op(24, xen::gntmap::host_map | xen::gntmap::contains_pte, pte.machine_address);
    ASSERT_EQ(map(op), 0);
    ASSERT_EQ(op.status, okay);
    EXPECT_EQ(read_u64(p.target + 24), read_u64(p.granted + 24));
    EXPECT_EQ(unmap(op.handle, pte.machine_address), okay);
    EXPECT_EQ(flags_of(24), xen::gtf::permit_access);
    grant(24, 0, 0);
}

GUEST_TEST(grant_map_device_only) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(25, xen::gtf::permit_access, p.granted_mfn());
    auto op = map_op(25, xen::gntmap::device_map | xen::gntmap::readonly, 0);
    ASSERT_EQ(map(op), 0);
    ASSERT_EQ(op.status, okay);
    EXPECT_EQ(op.dev_bus_addr, p.granted_mfn() << 12);
    EXPECT_EQ(flags_of(25), xen::gtf::permit_access | xen::gtf::reading);
    EXPECT_EQ(unmap(op.handle, 0, (p.granted_mfn() + 1) << 12), st(xen::GrantStatus::bad_dev_addr));
    EXPECT_EQ(unmap(op.handle, 0, 0), okay);  // nothing named, nothing done
    EXPECT_EQ(flags_of(25), xen::gtf::permit_access | xen::gtf::reading);
    EXPECT_EQ(unmap(op.handle, 0, p.granted_mfn() << 12), okay);
    EXPECT_EQ(flags_of(25), xen::gtf::permit_access);
    grant(25, 0, 0);
}

GUEST_TEST(grant_map_pin_counter_limit) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(26, xen::gtf::permit_access | xen::gtf::readonly, p.granted_mfn());
    // One batch of 129 read-only device mappings: the counter holds 128.
    static xen::GrantMapRef ops[129];
    for (auto& op : ops)
        op = map_op(26, xen::gntmap::device_map | xen::gntmap::readonly, 0);
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::map_grant_ref, ops, 129), 0);
    unsigned mapped = 0;
    for (unsigned i = 0; i < 128; ++i)
        mapped += ops[i].status == okay;
    EXPECT_EQ(mapped, 128u);
    EXPECT_EQ(ops[128].status, st(xen::GrantStatus::general_error));
    static xen::GrantUnmapRef unmaps[128];
    for (unsigned i = 0; i < 128; ++i)
        unmaps[i] = xen::GrantUnmapRef{0, p.granted_mfn() << 12, ops[i].handle, 0x5555, 0};
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::unmap_grant_ref, unmaps, 128), 0);
    unsigned unmapped = 0;
    for (auto& u : unmaps)
        unmapped += u.status == okay;
    EXPECT_EQ(unmapped, 128u);
    EXPECT_EQ(flags_of(26), xen::gtf::permit_access | xen::gtf::readonly);
    grant(26, 0, 0);
}

GUEST_TEST(grant_map_batch_statuses) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    const uint64_t second = pool_alloc();
    ASSERT_NE(second, 0u);
    grant(27, xen::gtf::permit_access, p.granted_mfn());
    xen::GrantMapRef ops[3] = {map_op(27, xen::gntmap::host_map, p.target),
                               map_op(nr_grant_entries() + 5, xen::gntmap::host_map, second),
                               map_op(27, xen::gntmap::host_map | xen::gntmap::readonly, second)};
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::map_grant_ref, ops, 3), 0);
    EXPECT_EQ(ops[0].status, okay);
    EXPECT_EQ(ops[1].status, st(xen::GrantStatus::bad_gntref));
    EXPECT_EQ(ops[2].status, okay);
    xen::GrantUnmapRef unmaps[3] = {{p.target, 0, ops[0].handle, 0x5555, 0},
                                    {second, 0, 0x7ffffff0, 0x5555, 0},
                                    {second, 0, ops[2].handle, 0x5555, 0}};
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::unmap_grant_ref, unmaps, 3), 0);
    EXPECT_EQ(unmaps[0].status, okay);
    EXPECT_EQ(unmaps[1].status, st(xen::GrantStatus::bad_handle));
    EXPECT_EQ(unmaps[2].status, okay);
    EXPECT_EQ(flags_of(27), xen::gtf::permit_access);
    EXPECT_EQ(remap_page(second, pte_kernel_rw), 0);
    pool_free(second);
    grant(27, 0, 0);
}

GUEST_TEST(grant_map_batch_fault_keeps_earlier_elements) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    // Two elements: the first at the end of a page, the second on the next page, which
    // is unmapped for the call.
    const uint64_t pages = pool_alloc(2);
    ASSERT_NE(pages, 0u);
    auto* ops = reinterpret_cast<xen::GrantMapRef*>(pages + page_size - sizeof(xen::GrantMapRef));
    grant(28, xen::gtf::permit_access, p.granted_mfn());
    ops[0] = map_op(28, xen::gntmap::host_map, p.target);
    ASSERT_EQ(update_va_mapping(pages + page_size, 0, xen::uvmf::invlpg), 0);
    EXPECT_ERRNO(grant_table_op(xen::GrantTableOp::map_grant_ref, ops, 2), efault);
    EXPECT_EQ(ops[0].status, okay);
    EXPECT_EQ(read_u64(p.target + 32), read_u64(p.granted + 32));
    EXPECT_EQ(unmap(ops[0].handle, p.target), okay);
    EXPECT_EQ(remap_page(pages + page_size, pte_kernel_rw), 0);
    pool_free(pages, 2);
    grant(28, 0, 0);
}

GUEST_TEST(grant_unmap_and_replace) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    const uint64_t other = pool_alloc();
    ASSERT_NE(other, 0u);
    write_u64(other, 0x2222);
    grant(29, xen::gtf::permit_access, p.granted_mfn());
    auto op = map_op(29, xen::gntmap::host_map, p.target);
    ASSERT_EQ(map(op), 0);
    ASSERT_EQ(op.status, okay);
    xen::GrantUnmapAndReplace replace{p.target, other, op.handle, 0x5555, 0};
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::unmap_and_replace, &replace, 1), 0);
    EXPECT_EQ(replace.status, okay);
    EXPECT_EQ(read_u64(p.target), 0x2222u);  // the other page's mapping moved here
    PteLocation pte{};
    ASSERT_TRUE(find_l1_entry(other, &pte));
    EXPECT_EQ(pte.value, 0u);
    EXPECT_EQ(flags_of(29), xen::gtf::permit_access);
    EXPECT_EQ(remap_page(other, pte_kernel_rw), 0);
    pool_free(other);
    grant(29, 0, 0);
}

GUEST_TEST(grant_unmap_after_guest_rewrote_the_entry) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(30, xen::gtf::permit_access, p.granted_mfn());
    auto op = map_op(30, xen::gntmap::host_map, p.target);
    ASSERT_EQ(map(op), 0);
    ASSERT_EQ(op.status, okay);
    // The guest replaces the grant's entry with its own mapping: the unmap no longer
    // finds the grant there and fails, the grant staying in use.
    ASSERT_EQ(remap_page(p.target, pte_kernel_rw), 0);
    EXPECT_EQ(unmap(op.handle, p.target), st(xen::GrantStatus::general_error));
    EXPECT_EQ(flags_of(30), xen::gtf::permit_access | xen::gtf::reading | xen::gtf::writing);
    // Mapping the same frame there again (it is ours) makes the unmap match.
    ASSERT_EQ(update_va_mapping(p.target, make_pte(p.granted_mfn(), pte_kernel_rw), xen::uvmf::invlpg), 0);
    EXPECT_EQ(unmap(op.handle, p.target), okay);
    EXPECT_EQ(flags_of(30), xen::gtf::permit_access);
    grant(30, 0, 0);
}

GUEST_TEST(grant_map_page_table_writable_refused) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    PteLocation pte{};
    ASSERT_TRUE(find_l1_entry(p.target, &pte));
    grant(31, xen::gtf::permit_access, pte.l1_mfn);  // one of our own L1 tables
    auto op = map_op(31, xen::gntmap::host_map, p.target);
    ASSERT_EQ(map(op), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::general_error));
    EXPECT_EQ(flags_of(31), xen::gtf::permit_access);
    const uint64_t other = pool_alloc();
    ASSERT_NE(other, 0u);
    op = map_op(31, xen::gntmap::host_map | xen::gntmap::readonly, other);
    ASSERT_EQ(map(op), 0);
    EXPECT_EQ(op.status, okay);  // read-only is fine
    if (op.status == okay)
        EXPECT_EQ(unmap(op.handle, other), okay);
    EXPECT_EQ(remap_page(other, pte_kernel_rw), 0);
    pool_free(other);
    grant(31, 0, 0);
}

GUEST_TEST(grant_copy_from_grant_to_own_frame) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(32, xen::gtf::permit_access | xen::gtf::readonly, p.granted_mfn());
    EXPECT_EQ(copy(gref_side(32, xen::domid_self, 8), frame_side(va_to_mfn(p.target), 16), 24,
                   xen::gntcopy::source_gref),
              okay);
    EXPECT_EQ(read_u64(p.target + 16), read_u64(p.granted + 8));
    EXPECT_EQ(read_u64(p.target + 32), read_u64(p.granted + 24));
    EXPECT_EQ(read_u64(p.target + 40), 0u);
    EXPECT_EQ(flags_of(32), xen::gtf::permit_access | xen::gtf::readonly);
    grant(32, 0, 0);
}

GUEST_TEST(grant_copy_into_writable_grant) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(33, xen::gtf::permit_access, va_to_mfn(p.target));
    EXPECT_EQ(copy(frame_side(p.granted_mfn(), 4088), gref_side(33, self_id, 0), 8, xen::gntcopy::dest_gref), okay);
    EXPECT_EQ(read_u64(p.target), read_u64(p.granted + 4088));
    EXPECT_EQ(flags_of(33), xen::gtf::permit_access);
    grant(33, 0, 0);
}

GUEST_TEST(grant_copy_between_two_grants) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(34, xen::gtf::permit_access | xen::gtf::readonly, p.granted_mfn());
    grant(35, xen::gtf::permit_access, va_to_mfn(p.target));
    EXPECT_EQ(copy(gref_side(34, self_id), gref_side(35, xen::domid_self), 4096,
                   xen::gntcopy::source_gref | xen::gntcopy::dest_gref),
              okay);
    EXPECT_EQ(read_u64(p.target + 4000), read_u64(p.granted + 4000));
    EXPECT_EQ(flags_of(34), xen::gtf::permit_access | xen::gtf::readonly);
    EXPECT_EQ(flags_of(35), xen::gtf::permit_access);
    grant(34, 0, 0);
    grant(35, 0, 0);
}

GUEST_TEST(grant_copy_refusals) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    const uint64_t own = va_to_mfn(p.target);
    grant(36, xen::gtf::permit_access | xen::gtf::readonly, p.granted_mfn());
    const uint16_t from_grant = xen::gntcopy::source_gref;
    EXPECT_EQ(copy(gref_side(36, self_id, 4000), frame_side(own), 200, from_grant), st(xen::GrantStatus::bad_copy_arg));
    EXPECT_EQ(copy(gref_side(36, self_id), frame_side(own, 4095), 2, from_grant), st(xen::GrantStatus::bad_copy_arg));
    // Frames by number only with DOMID_SELF, even for our own id.
    EXPECT_EQ(copy(frame_side(own, 0, self_id), frame_side(own, 8), 8, 0), st(xen::GrantStatus::permission_denied));
    EXPECT_EQ(copy(frame_side(1ull << 36), frame_side(own), 8, 0), st(xen::GrantStatus::bad_page));
    EXPECT_EQ(copy(gref_side(nr_grant_entries(), self_id), frame_side(own), 8, from_grant),
              st(xen::GrantStatus::bad_gntref));
    EXPECT_EQ(copy(gref_side(36, 7), frame_side(own), 8, from_grant), st(xen::GrantStatus::bad_domain));
    // A read-only grant cannot be written.
    EXPECT_EQ(copy(frame_side(own), gref_side(36, self_id), 8, xen::gntcopy::dest_gref),
              st(xen::GrantStatus::general_error));
    EXPECT_EQ(flags_of(36), xen::gtf::permit_access | xen::gtf::readonly);
    EXPECT_EQ(read_u64(p.target), 0x1111u);
    grant(36, 0, 0);
}

GUEST_TEST(grant_swap_refs) {
    ASSERT_TRUE(table() != nullptr);
    Pages p;
    grant(40, xen::gtf::permit_access, p.granted_mfn());
    grant(41, xen::gtf::permit_access | xen::gtf::readonly, va_to_mfn(p.target), 3);
    xen::GrantSwapRef swap{40, 41, 0x5555, 0};
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::swap_grant_ref, &swap, 1), 0);
    EXPECT_EQ(swap.status, okay);
    EXPECT_EQ(table()[40].frame, va_to_mfn(p.target));
    EXPECT_EQ(table()[40].domid, 3u);
    EXPECT_EQ(flags_of(41), xen::gtf::permit_access);
    // An entry in use cannot move; a reference beyond the table is bad.
    auto op = map_op(41, xen::gntmap::device_map | xen::gntmap::readonly, 0);
    ASSERT_EQ(map(op), 0);
    ASSERT_EQ(op.status, okay);
    swap = {40, 41, 0x5555, 0};
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::swap_grant_ref, &swap, 1), 0);
    EXPECT_EQ(swap.status, st(xen::GrantStatus::eagain));
    EXPECT_EQ(unmap(op.handle, 0, p.granted_mfn() << 12), okay);
    swap = {40, nr_grant_entries(), 0x5555, 0};
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::swap_grant_ref, &swap, 1), 0);
    EXPECT_EQ(swap.status, st(xen::GrantStatus::bad_gntref));
    grant(40, 0, 0);
    grant(41, 0, 0);
}

GUEST_TEST(grant_table_op_argument_checks) {
    // A count with the sign bit is refused before anything else.
    EXPECT_ERRNO(guest_hypercall_raw(20, xen::raw(xen::GrantTableOp::map_grant_ref), 0, 0x80000000u, 0, 0), einval);
    // Continuation bits above the command only for cache_flush.
    EXPECT_ERRNO(guest_hypercall_raw(20, xen::raw(xen::GrantTableOp::map_grant_ref) | (1u << 12), 0, 0, 0, 0), einval);
    EXPECT_ERRNO(guest_hypercall_raw(20, 13, 0, 1, 0, 0), enosys);
    EXPECT_EQ(guest_hypercall_raw(20, xen::raw(xen::GrantTableOp::map_grant_ref), 0, 0, 0, 0), 0);
    EXPECT_ERRNO(guest_hypercall_raw(20, xen::raw(xen::GrantTableOp::map_grant_ref), 0xffff800000000000ull, 1, 0, 0),
                 efault);
    EXPECT_ERRNO(guest_hypercall_raw(20, xen::raw(xen::GrantTableOp::copy), 0xffff800000001000ull, 2, 0, 0), efault);
    // set_version and get_version do not look at the count.
    xen::GrantSetVersion set{1};
    EXPECT_EQ(grant_table_op(xen::GrantTableOp::set_version, &set, 0), 0);
    xen::GrantGetVersion get{xen::domid_self, 0, 0};
    EXPECT_EQ(grant_table_op(xen::GrantTableOp::get_version, &get, 5), 0);
    EXPECT_EQ(get.version, 1u);
    get.dom = 7;
    EXPECT_ERRNO(grant_table_op(xen::GrantTableOp::get_version, &get, 1), esrch);
}

GUEST_TEST(grant_get_status_frames_v1) {
    static uint64_t frames[1];
    xen::GrantGetStatusFrames op{0, xen::domid_self, 0x5555, reinterpret_cast<uint64_t>(frames)};
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::get_status_frames, &op, 1), 0);
    EXPECT_EQ(op.status, okay);
    op = {1, xen::domid_self, 0x5555, reinterpret_cast<uint64_t>(frames)};
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::get_status_frames, &op, 1), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::general_error));  // a v1 table has no status frames
    op = {0, 7, 0x5555, reinterpret_cast<uint64_t>(frames)};
    ASSERT_EQ(grant_table_op(xen::GrantTableOp::get_status_frames, &op, 1), 0);
    EXPECT_EQ(op.status, st(xen::GrantStatus::bad_domain));
    EXPECT_ERRNO(grant_table_op(xen::GrantTableOp::get_status_frames, &op, 2), einval);
}

GUEST_TEST(grant_add_to_physmap_refused_for_pv) {
    // Only translated guests place grant frames in their physmap; PV guests use the
    // frame list of setup_table.
    xen::AddToPhysmap xatp{xen::domid_self, 0, static_cast<uint32_t>(xen::MapSpace::grant_table), 0, 0x7000};
    EXPECT_ERRNO(memory_op(xen::MemoryOp::add_to_physmap, &xatp), eacces);
    xatp.domid = 7;
    EXPECT_ERRNO(memory_op(xen::MemoryOp::add_to_physmap, &xatp), esrch);
    xatp.space = static_cast<uint32_t>(xen::MapSpace::gmfn_foreign);
    EXPECT_ERRNO(memory_op(xen::MemoryOp::add_to_physmap, &xatp), enosys);
    xatp = {self_id, 0, static_cast<uint32_t>(xen::MapSpace::shared_info), 0, 0x7000};
    EXPECT_ERRNO(memory_op(xen::MemoryOp::add_to_physmap, &xatp), eacces);
}
