// Page-table management beyond single mmu_update entries (spec §4.2, §4.9, §4.17, §9):
// pinning and its refusals, base pointers, TLB operations, LDT, update_va_mapping, and
// the writable-page-tables assist that emulates plain stores into a pinned L1.
#include "cases.hpp"

extern "C" const char __image_start[];

using namespace guest;
using namespace pvtest;
using xen::MmuextCmd;

namespace {

constexpr uint64_t two_mib = 2ull << 20;
constexpr uint64_t one_gib = 1ull << 30;

uint64_t image_base() {
    return reinterpret_cast<uint64_t>(__image_start);
}

uint64_t l4_mfn() {
    return va_to_mfn(start_info()->pt_base);
}

// A pool page made read-only and pinned as an L1 (contents chosen by the caller first).
// Returns 0 and undoes its steps on failure.
int64_t make_pinned_l1(uint64_t page) {
    if (const int64_t rc = remap_page(page, pte_kernel_ro); rc != 0)
        return rc;
    const int64_t rc = mmuext(MmuextCmd::pin_l1_table, va_to_mfn(page));
    if (rc != 0)
        (void)remap_page(page, pte_kernel_rw);
    return rc;
}

void release_pinned(uint64_t page) {
    EXPECT_EQ(mmuext(MmuextCmd::unpin_table, va_to_mfn(page)), 0);
    EXPECT_EQ(remap_page(page, pte_kernel_rw), 0);
}

// An L2 slot of the image's L2 that maps nothing, and the VA it would map.
bool find_free_l2_slot(PteLocation* slot, uint64_t* va) {
    PteLocation l2{};
    if (!find_entry(image_base(), 2, &l2))
        return false;
    const auto* table = reinterpret_cast<const volatile uint64_t*>(l2.table_va);
    for (uint64_t index = 256; index < 512; ++index) {
        if (table[index] != 0)
            continue;
        *slot = {(l2.l1_mfn << 12) | (index * 8), 0, l2.l1_mfn, l2.table_va};
        *va = (image_base() & ~(one_gib - 1)) + index * two_mib;
        return true;
    }
    return false;
}

int64_t write_entry(uint64_t machine_address, uint64_t value) {
    const xen::MmuUpdate request{machine_address, value};
    uint32_t done = 0;
    return mmu_update(&request, 1, &done);
}

uint64_t read_u64(uint64_t va) {
    return *reinterpret_cast<const volatile uint64_t*>(va);
}

// Operands of the store instructions the assist must emulate.
constinit uint64_t g_target = 0;
constinit uint64_t g_value = 0;
constinit uint64_t g_old = 0;

}  // namespace

// --- pinning -------------------------------------------------------------------------------

GUEST_TEST(mmuext_pin_l1_twice_and_unpin_twice) {
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    ASSERT_EQ(make_pinned_l1(page), 0);
    EXPECT_ERRNO(mmuext(MmuextCmd::pin_l1_table, va_to_mfn(page)), einval);
    EXPECT_EQ(mmuext(MmuextCmd::unpin_table, va_to_mfn(page)), 0);
    EXPECT_ERRNO(mmuext(MmuextCmd::unpin_table, va_to_mfn(page)), einval);
    EXPECT_EQ(remap_page(page, pte_kernel_rw), 0);
    pool_free(page);
}

GUEST_TEST(mmuext_pin_with_wrong_level) {
    // The live L4 cannot also be an L3; a pinned L1 cannot also be an L2.
    EXPECT_ERRNO(mmuext(MmuextCmd::pin_l3_table, l4_mfn()), einval);
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    ASSERT_EQ(make_pinned_l1(page), 0);
    EXPECT_ERRNO(mmuext(MmuextCmd::pin_l2_table, va_to_mfn(page)), einval);
    release_pinned(page);
    pool_free(page);
}

GUEST_TEST(mmuext_pin_page_mapped_writable) {
    // A frame with a writable mapping has type "writable" and cannot become a table.
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    EXPECT_ERRNO(mmuext(MmuextCmd::pin_l1_table, va_to_mfn(page)), einval);
    EXPECT_ERRNO(mmuext(MmuextCmd::pin_l4_table, va_to_mfn(page)), einval);
    *reinterpret_cast<volatile uint64_t*>(page) = 1;  // still writable
    *reinterpret_cast<volatile uint64_t*>(page) = 0;
    pool_free(page);
}

GUEST_TEST(mmuext_pin_l1_with_invalid_entry) {
    // Validation looks at every entry: an L1 that maps the L4 writable is refused (the
    // L4 cannot take a writable type reference: -EBUSY, as for mmu_update).
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    reinterpret_cast<uint64_t*>(page)[7] = make_pte(l4_mfn(), pte_kernel_rw);
    ASSERT_EQ(remap_page(page, pte_kernel_ro), 0);
    EXPECT_ERRNO(mmuext(MmuextCmd::pin_l1_table, va_to_mfn(page)), ebusy);
    EXPECT_EQ(remap_page(page, pte_kernel_rw), 0);
    reinterpret_cast<uint64_t*>(page)[7] = 0;
    pool_free(page);
}

GUEST_TEST(mmuext_pin_foreign_frame) {
    // MFN 0 belongs to no domain page of ours (dom0 may map it, not type it).
    EXPECT_ERRNO(mmuext(MmuextCmd::pin_l1_table, 0), einval);
}

GUEST_TEST(mmuext_new_baseptr_of_non_l4) {
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    EXPECT_ERRNO(mmuext(MmuextCmd::new_baseptr, va_to_mfn(page)), einval);
    ASSERT_EQ(make_pinned_l1(page), 0);
    EXPECT_ERRNO(mmuext(MmuextCmd::new_baseptr, va_to_mfn(page)), einval);
    release_pinned(page);
    pool_free(page);
}

GUEST_TEST(mmuext_new_baseptr_current_l4) {
    // Reloading the current L4 is allowed and flushes the TLB.
    EXPECT_EQ(mmuext(MmuextCmd::new_baseptr, l4_mfn()), 0);
    EXPECT_EQ(read_u64(reinterpret_cast<uint64_t>(start_info())), read_u64(reinterpret_cast<uint64_t>(start_info())));
}

// --- TLB and LDT ---------------------------------------------------------------------------

GUEST_TEST(mmuext_tlb_flush_ops) {
    const uint64_t va = reinterpret_cast<uint64_t>(start_info());
    static uint64_t vcpu_mask = 1;
    EXPECT_EQ(mmuext(MmuextCmd::tlb_flush_local, 0), 0);
    EXPECT_EQ(mmuext(MmuextCmd::invlpg_local, va), 0);
    EXPECT_EQ(mmuext(MmuextCmd::tlb_flush_all, 0), 0);
    EXPECT_EQ(mmuext(MmuextCmd::invlpg_all, va), 0);
    EXPECT_EQ(mmuext(MmuextCmd::tlb_flush_multi, 0, reinterpret_cast<uint64_t>(&vcpu_mask)), 0);
    EXPECT_EQ(mmuext(MmuextCmd::invlpg_multi, va, reinterpret_cast<uint64_t>(&vcpu_mask)), 0);
}

GUEST_TEST(mmuext_batch_reports_done_count) {
    // A batch stops at its first failing entry; *pdone counts the ones before it.
    static xen::MmuextOp ops[3];
    ops[0] = {};
    ops[0].cmd = xen::raw(MmuextCmd::tlb_flush_local);
    ops[1] = {};
    ops[1].cmd = xen::raw(MmuextCmd::unpin_table);  // of a page that was never pinned
    ops[2] = ops[0];
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    ops[1].arg1.mfn = va_to_mfn(page);
    uint32_t done = 0xdead;
    EXPECT_ERRNO(mmuext_op(ops, 3, &done), einval);
    EXPECT_EQ(done, 1u);
    pool_free(page);
}

GUEST_TEST(mmuext_set_ldt) {
    EXPECT_EQ(mmuext(MmuextCmd::set_ldt, 0, 0), 0);
    EXPECT_ERRNO(mmuext(MmuextCmd::set_ldt, reinterpret_cast<uint64_t>(start_info()) + 8, 1), einval);
    EXPECT_ERRNO(mmuext(MmuextCmd::set_ldt, reinterpret_cast<uint64_t>(start_info()), 8193), einval);
    EXPECT_ERRNO(mmuext(MmuextCmd::set_ldt, xen::hypervisor_virt_start, 1), einval);
}

// --- update_va_mapping ---------------------------------------------------------------------

GUEST_TEST(update_va_mapping_invalid_pte) {
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    const int64_t rc = update_va_mapping(page, make_pte(l4_mfn(), pte_kernel_rw), xen::uvmf::invlpg);
    EXPECT_ERRNO(rc, ebusy);
    *reinterpret_cast<volatile uint64_t*>(page) = 1;  // mapping unchanged
    *reinterpret_cast<volatile uint64_t*>(page) = 0;
    pool_free(page);
}

GUEST_TEST(update_va_mapping_hypervisor_range) {
    const uint64_t pte = make_pte(va_to_mfn(reinterpret_cast<uint64_t>(start_info())), pte_kernel_ro);
    EXPECT_ERRNO(update_va_mapping(xen::hypervisor_virt_start + 0x1000, pte, xen::uvmf::invlpg), einval);
    EXPECT_ERRNO(update_va_mapping(0x8000000000000000ull, pte, xen::uvmf::invlpg), einval);
}

GUEST_TEST(update_va_mapping_without_l1) {
    // No L1 maps this VA (its L3 entry is empty).
    const uint64_t pte = make_pte(va_to_mfn(reinterpret_cast<uint64_t>(start_info())), pte_kernel_ro);
    EXPECT_ERRNO(update_va_mapping(0xffffffffc0200000ull, pte, xen::uvmf::invlpg), einval);
}

GUEST_TEST(update_va_mapping_zap_and_restore) {
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    *reinterpret_cast<volatile uint64_t*>(page + 8) = 0x77;
    ASSERT_EQ(update_va_mapping(page, 0, xen::uvmf::invlpg), 0);
    TrapRecord trap{};
    g_target = page + 8;
    EXPECT_TRUE(catch_trap([] { (void)read_u64(g_target); }, &trap));
    EXPECT_EQ(trap.vector, vector_pf);
    EXPECT_EQ(trap.error_code, 0u);
    ASSERT_EQ(remap_page(page, pte_kernel_rw), 0);
    EXPECT_EQ(read_u64(page + 8), 0x77u);
    *reinterpret_cast<volatile uint64_t*>(page + 8) = 0;
    pool_free(page);
}

// --- writable page tables ------------------------------------------------------------------

GUEST_TEST(writable_pagetables_emulated_stores) {
    ASSERT_EQ(vm_assist(xen::VmAssistCmd::enable, xen::VmAssistType::writable_pagetables), 0);
    const uint64_t data = pool_alloc(4);
    const uint64_t l1 = pool_alloc();
    ASSERT_NE(data, 0u);
    ASSERT_NE(l1, 0u);
    for (uint64_t i = 0; i < 4; ++i)
        *reinterpret_cast<volatile uint64_t*>(data + i * page_size) = 0x1111 * (i + 1);
    reinterpret_cast<uint64_t*>(l1)[0] = make_pte(va_to_mfn(data), pte_kernel_rw);
    ASSERT_EQ(make_pinned_l1(l1), 0);

    PteLocation slot{};
    uint64_t window = 0;
    ASSERT_TRUE(find_free_l2_slot(&slot, &window));
    ASSERT_EQ(write_entry(slot.machine_address, make_pte(va_to_mfn(l1), pte_kernel_rw)), 0);
    EXPECT_EQ(read_u64(window), 0x1111u);

    // Plain mov into the read-only, pinned L1.
    TrapRecord trap{};
    g_target = l1 + 8;
    g_value = make_pte(va_to_mfn(data + page_size), pte_kernel_rw);
    EXPECT_FALSE(catch_trap([] { asm volatile("mov %1, (%0)" : : "r"(g_target), "r"(g_value) : "memory"); }, &trap));
    EXPECT_EQ(read_u64(window + page_size), 0x2222u);
    EXPECT_EQ(pte_frame(read_u64(l1 + 8)), va_to_mfn(data + page_size));

    // xchg (implicitly locked).
    g_target = l1 + 16;
    g_value = make_pte(va_to_mfn(data + 2 * page_size), pte_kernel_rw);
    EXPECT_FALSE(catch_trap(
        [] {
            uint64_t v = g_value;
            asm volatile("xchg %0, (%1)" : "+r"(v) : "r"(g_target) : "memory");
            g_old = v;
        },
        &trap));
    EXPECT_EQ(g_old, 0u);
    EXPECT_EQ(read_u64(window + 2 * page_size), 0x3333u);

    // lock cmpxchg that succeeds.
    g_target = l1 + 24;
    g_value = make_pte(va_to_mfn(data + 3 * page_size), pte_kernel_rw);
    EXPECT_FALSE(catch_trap(
        [] {
            uint64_t expected = 0;
            asm volatile("lock cmpxchg %2, (%1)" : "+a"(expected) : "r"(g_target), "r"(g_value) : "memory");
            g_old = expected;
        },
        &trap));
    EXPECT_EQ(g_old, 0u);
    EXPECT_EQ(read_u64(window + 3 * page_size), 0x4444u);

    // A store of a PTE that fails validation (the L4, writable) is a #PF for the guest.
    g_target = l1 + 32;
    g_value = make_pte(l4_mfn(), pte_kernel_rw);
    EXPECT_TRUE(catch_trap(
        [] {
            asm volatile("lea 1f(%%rip), %%r11; mov %%r11, %0; 1: mov %2, (%1)"
                         : "=m"(g_site)
                         : "r"(g_target), "r"(g_value)
                         : "r11", "memory");
        },
        &trap));
    EXPECT_EQ(trap.vector, vector_pf);
    EXPECT_EQ(trap.error_code & (pfec_present | pfec_write), pfec_present | pfec_write);
    EXPECT_EQ(trap.cr2, l1 + 32);
    EXPECT_EQ(trap.rip, g_site);
    EXPECT_EQ(read_u64(l1 + 32), 0u);

    // Zapping an entry with a plain store.
    g_target = l1 + 8;
    EXPECT_FALSE(catch_trap([] { asm volatile("movq $0, (%0)" : : "r"(g_target) : "memory"); }, &trap));
    EXPECT_EQ(read_u64(l1 + 8), 0u);

    EXPECT_EQ(write_entry(slot.machine_address, 0), 0);
    release_pinned(l1);
    __builtin_memset(reinterpret_cast<void*>(l1), 0, page_size);
    pool_free(l1);
    for (uint64_t i = 0; i < 4; ++i)
        *reinterpret_cast<volatile uint64_t*>(data + i * page_size) = 0;
    pool_free(data, 4);
}

GUEST_TEST(mmu_update_batch_stops_at_first_failure) {
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    PteLocation pte{};
    ASSERT_TRUE(find_l1_entry(page, &pte));
    static xen::MmuUpdate requests[3];
    requests[0] = {pte.machine_address, pte.value & ~pte_writable};
    requests[1] = {pte.machine_address, make_pte(l4_mfn(), pte_kernel_rw)};  // refused
    requests[2] = {pte.machine_address, 0};
    uint32_t done = 0xdead;
    const int64_t rc = mmu_update(requests, 3, &done);
    EXPECT_LT(rc, 0);
    EXPECT_EQ(done, 1u);
    GUEST_NOTE("rc=%lld", static_cast<long long>(rc));
    ASSERT_EQ(remap_page(page, pte_kernel_rw), 0);
    pool_free(page);
}

GUEST_TEST(mmu_update_unreadable_requests) {
    uint32_t done = 0;
    EXPECT_ERRNO(mmu_update(reinterpret_cast<const xen::MmuUpdate*>(0xffff830000000000ull), 1, &done), efault);
}

GUEST_TEST(mmu_update_machphys_update) {
    // M2P entries of our own frames are ours to set (Linux's xen_remap_memory).
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    const uint64_t mfn = va_to_mfn(page);
    const uint64_t pfn = mfn_to_pfn(mfn);
    const xen::MmuUpdate set{(mfn << 12) | xen::raw(xen::MmuCmd::machphys_update), 0x1234};
    EXPECT_EQ(mmu_update(&set, 1, nullptr), 0);
    EXPECT_EQ(mfn_to_pfn(mfn), 0x1234u);
    const xen::MmuUpdate restore{(mfn << 12) | xen::raw(xen::MmuCmd::machphys_update), pfn};
    EXPECT_EQ(mmu_update(&restore, 1, nullptr), 0);
    EXPECT_EQ(mfn_to_pfn(mfn), pfn);
    // Not for a frame that is not ours.
    const xen::MmuUpdate foreign{(0ull << 12) | xen::raw(xen::MmuCmd::machphys_update), 5};
    EXPECT_ERRNO(mmu_update(&foreign, 1, nullptr), einval);
    pool_free(page);
}

GUEST_TEST(mmu_update_preserve_accessed_dirty) {
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    *reinterpret_cast<volatile uint64_t*>(page) = 1;  // the CPU sets A and D
    PteLocation pte{};
    ASSERT_TRUE(find_l1_entry(page, &pte));
    ASSERT_EQ(pte.value & (pte_accessed | pte_dirty), pte_accessed | pte_dirty);
    const uint64_t clean = pte.value & ~(pte_accessed | pte_dirty);
    const xen::MmuUpdate keep{pte.machine_address | xen::raw(xen::MmuCmd::pt_update_preserve_ad), clean};
    EXPECT_EQ(mmu_update(&keep, 1, nullptr), 0);
    ASSERT_TRUE(find_l1_entry(page, &pte));
    EXPECT_EQ(pte.value & (pte_accessed | pte_dirty), pte_accessed | pte_dirty);
    const xen::MmuUpdate plain{pte.machine_address | xen::raw(xen::MmuCmd::normal_pt_update), clean};
    EXPECT_EQ(mmu_update(&plain, 1, nullptr), 0);
    ASSERT_TRUE(find_l1_entry(page, &pte));
    EXPECT_EQ(pte.value & (pte_accessed | pte_dirty), 0u);
    *reinterpret_cast<volatile uint64_t*>(page) = 0;
    pool_free(page);
}

GUEST_TEST(update_va_mapping_flush_scopes) {
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    PteLocation pte{};
    ASSERT_TRUE(find_l1_entry(page, &pte));
    static uint64_t vcpu_mask = 1;
    EXPECT_EQ(update_va_mapping(page, pte.value, xen::uvmf::invlpg | xen::uvmf::all), 0);
    EXPECT_EQ(update_va_mapping(page, pte.value, xen::uvmf::tlb_flush | xen::uvmf::all), 0);
    EXPECT_EQ(update_va_mapping(page, pte.value, xen::uvmf::invlpg | reinterpret_cast<uint64_t>(&vcpu_mask)), 0);
    EXPECT_EQ(update_va_mapping(page, pte.value, xen::uvmf::none), 0);
    pool_free(page);
}

GUEST_TEST(mmuext_new_user_baseptr_none) {
    // MFN 0 means "no user page tables"; accepted whatever was set before.
    EXPECT_EQ(mmuext(MmuextCmd::new_user_baseptr, 0), 0);
}
