// pvtest: the PV test guest. Each case probes one piece of the 64-bit PV ABI the way a
// guest sees it; run on Xen 4.17 as dom0 it records the reference behaviour, run on our
// hypervisor it checks we match. Values that legitimately differ between hypervisors
// (version numbers, frame numbers) are recorded with GUEST_NOTE instead of being
// asserted. The cases live in this directory, one file per area, and run in (file,
// line) order. Adding a case:
//
//   GUEST_TEST(my_case) {
//       const int64_t rc = guest::hypercall2(xen::Hypercall::..., ...);
//       EXPECT_EQ(rc, 0);
//   }
//
// The dom0 command line (the module string) selects the mode:
//   (empty)                         run every case, print PASS/FAIL lines
//   hostile seed=N iterations=M     random hypercalls (hostile.cpp)
//   bench                           microbenchmarks (bench.cpp)
//   smp                             the cases that need vCPU 1 (smp.cpp, dom0_max_vcpus=2)
//   pair [build] [bench]            two-domain test, dom0 side (pair_mapper.cpp ...)
//   pair-a [control=xen|ours]       two-domain test, domU side (pair_granter.cpp)
#include "guest.hpp"
#include "modes.hpp"
#include "paging.hpp"

using namespace guest;
using xen::Errno;
using xen::Hypercall;

namespace {

// A page of our own .bss whose L1 entry the mmu_update cases rewrite and restore.
alignas(4096) volatile uint8_t g_scratch[4096];

uint64_t scratch_va() {
    return reinterpret_cast<uint64_t>(&g_scratch[0]);
}

bool starts_with(const char* text, const char* prefix) {
    for (; *prefix != 0; ++text, ++prefix)
        if (*text != *prefix)
            return false;
    return true;
}

size_t bounded_length(const char* text, size_t limit) {
    size_t n = 0;
    while (n < limit && text[n] != 0)
        ++n;
    return n;
}

// One mmu_update of the scratch page's L1 entry; restores the old entry if the update
// went through, so a case expecting failure cannot leave the mapping changed.
int64_t try_scratch_pte(uint64_t new_pte, bool restore) {
    PteLocation pte{};
    if (!find_l1_entry(scratch_va(), &pte))
        return INT64_MIN;
    const xen::MmuUpdate request{pte.machine_address | xen::raw(xen::MmuCmd::normal_pt_update), new_pte};
    uint32_t done = 0xdead;
    const int64_t rc = mmu_update(&request, 1, &done);
    if (rc == 0 && restore) {
        const xen::MmuUpdate undo{request.ptr, pte.value};
        EXPECT_EQ(mmu_update(&undo, 1, nullptr), 0);
    }
    if (rc == 0)
        EXPECT_EQ(done, 1u);
    return rc;
}

}  // namespace

int guest_main(const xen::StartInfo* start_info) {
    const pvtest::Options options = pvtest::parse_options(start_info->cmd_line);
    // The pair's domU side must stay silent (pair_granter.cpp says why).
    if (options.mode == pvtest::Mode::pair_granter)
        pvtest::granter_main(options);
    guest_printf("pvtest: start_info at %p, %llu pages, cmdline \"%s\"\n", static_cast<const void*>(start_info),
                 static_cast<unsigned long long>(start_info->nr_pages), start_info->cmd_line);
    switch (options.mode) {
        case pvtest::Mode::hostile:
            return pvtest::hostile_main(options.seed, options.iterations);
        case pvtest::Mode::bench:
            return pvtest::bench_main();
        case pvtest::Mode::pair:
            return pvtest::pair_main(options);
        case pvtest::Mode::smp:
            return pvtest::smp_main();
        case pvtest::Mode::pair_granter:
        case pvtest::Mode::tests:
            break;
    }
    return run_all_tests();
}

// --- start_info -----------------------------------------------------------------------

GUEST_TEST(start_info_magic) {
    const char* magic = start_info()->magic;
    EXPECT_TRUE(starts_with(magic, xen::start_info_magic_prefix));
    GUEST_NOTE("magic=%.32s", magic);
}

GUEST_TEST(start_info_flags_initdomain) {
    const uint32_t flags = start_info()->flags;
    EXPECT_NE(flags & xen::sif::initdomain, 0u);
    EXPECT_NE(flags & xen::sif::privileged, 0u);
    GUEST_NOTE("flags=%#x", flags);
}

GUEST_TEST(start_info_shared_info_page_aligned) {
    const uint64_t shared_info = start_info()->shared_info;
    EXPECT_NE(shared_info, 0u);
    EXPECT_EQ(shared_info & 0xfff, 0u);
}

GUEST_TEST(start_info_page_tables_inside_initial_mapping) {
    const xen::StartInfo* si = start_info();
    EXPECT_EQ(si->pt_base & 0xfff, 0u);
    EXPECT_GE(si->nr_pt_frames, 4u);  // at least one table per level
    EXPECT_GT(si->pt_base, reinterpret_cast<uint64_t>(si));
    GUEST_NOTE("nr_pt_frames=%llu", static_cast<unsigned long long>(si->nr_pt_frames));
}

// --- xen_version --------------------------------------------------------------------

GUEST_TEST(xen_version_version) {
    const int64_t version = xen_version(xen::VersionOp::version, nullptr);
    EXPECT_GE(xen::version_major(version), 4u);
    GUEST_NOTE("version=%#llx", static_cast<unsigned long long>(version));
}

GUEST_TEST(xen_version_extraversion) {
    xen::Extraversion extra;
    for (char& c : extra.text)
        c = 'X';
    EXPECT_EQ(xen_version(xen::VersionOp::extraversion, &extra), 0);
    EXPECT_LT(bounded_length(extra.text, sizeof(extra.text)), sizeof(extra.text));
    GUEST_NOTE("extraversion=\"%.16s\"", extra.text);
}

GUEST_TEST(xen_version_get_features) {
    xen::FeatureInfo info{0, 0};
    EXPECT_EQ(xen_version(xen::VersionOp::get_features, &info), 0);
    EXPECT_NE(info.submap & xen::feature_bit(xen::Feature::mmu_pt_update_preserve_ad), 0u);
    EXPECT_NE(info.submap & xen::feature_bit(xen::Feature::gnttab_map_avail_bits), 0u);
    EXPECT_NE(info.submap & xen::feature_bit(xen::Feature::dom0), 0u);
    EXPECT_EQ(info.submap & xen::feature_bit(xen::Feature::auto_translated_physmap), 0u);
    EXPECT_EQ(info.submap & xen::feature_bit(xen::Feature::writable_page_tables), 0u);
    GUEST_NOTE("submap0=%#x", info.submap);
}

GUEST_TEST(xen_version_get_features_bad_submap) {
    xen::FeatureInfo info{1, 0};
    EXPECT_ERRNO(xen_version(xen::VersionOp::get_features, &info), einval);
}

GUEST_TEST(xen_version_pagesize) {
    EXPECT_EQ(xen_version(xen::VersionOp::pagesize, nullptr), 4096);
}

GUEST_TEST(xen_version_platform_parameters) {
    xen::PlatformParameters params{0};
    EXPECT_EQ(xen_version(xen::VersionOp::platform_parameters, &params), 0);
    EXPECT_EQ(params.virt_start, xen::hypervisor_virt_start);
}

GUEST_TEST(xen_version_unknown_subop) {
    EXPECT_ERRNO(hypercall2(Hypercall::xen_version, 64, nullptr), enosys);
}

// --- console_io ---------------------------------------------------------------------

GUEST_TEST(console_io_write) {
    static const char text[] = "pvtest: console_io write check\n";
    EXPECT_EQ(console_io(xen::ConsoleIoOp::write, sizeof(text) - 1, text), 0);
    EXPECT_EQ(console_io(xen::ConsoleIoOp::write, 0, text), 0);
}

GUEST_TEST(console_io_unknown_cmd) {
    static const char text[] = "x";
    const int64_t rc = hypercall3(Hypercall::console_io, 7, 1, text);
    EXPECT_ERRNO(rc, enosys);
}

// --- hypercall numbers ----------------------------------------------------------------

GUEST_TEST(unknown_hypercall_numbers) {
    EXPECT_ERRNO(hypercall0(60), enosys);
    EXPECT_ERRNO(hypercall0(11), enosys);  // the one hole below 48
    EXPECT_ERRNO(hypercall0(1000), enosys);
}

// --- vm_assist ----------------------------------------------------------------------

GUEST_TEST(vm_assist_writable_pagetables) {
    EXPECT_EQ(vm_assist(xen::VmAssistCmd::enable, xen::VmAssistType::writable_pagetables), 0);
}

GUEST_TEST(vm_assist_unknown_type) {
    EXPECT_ERRNO(hypercall2(Hypercall::vm_assist, 0, 6), einval);
    EXPECT_ERRNO(hypercall2(Hypercall::vm_assist, 0, 64), einval);
}

GUEST_TEST(vm_assist_unknown_cmd) {
    EXPECT_ERRNO(hypercall2(Hypercall::vm_assist, 2, xen::VmAssistType::writable_pagetables), enosys);
}

// --- memory_op / M2P / P2M --------------------------------------------------------------

GUEST_TEST(memory_op_machphys_mapping) {
    xen::MachphysMapping mapping{};
    EXPECT_EQ(memory_op(xen::MemoryOp::machphys_mapping, &mapping), 0);
    EXPECT_EQ(mapping.v_start, xen::mach2phys_virt_start);
    EXPECT_EQ(mapping.v_end, xen::mach2phys_virt_end);
    EXPECT_GT(mapping.max_mfn, 0u);
    EXPECT_LT(mapping.max_mfn, xen::mach2phys_nr_entries);
    GUEST_NOTE("max_mfn=%#llx", static_cast<unsigned long long>(mapping.max_mfn));
}

GUEST_TEST(m2p_and_p2m_agree) {
    const uint64_t nr_pages = start_info()->nr_pages;
    const uint64_t probes[] = {0, 1, nr_pages / 2, nr_pages - 1};
    for (uint64_t pfn : probes)
        EXPECT_EQ(mfn_to_pfn(pfn_to_mfn(pfn)), pfn);
}

// --- mmu_update -----------------------------------------------------------------------

GUEST_TEST(mmu_update_remap_own_page_readonly) {
    PteLocation pte{};
    ASSERT_TRUE(find_l1_entry(scratch_va(), &pte));
    EXPECT_EQ(pte_frame(pte.value), va_to_mfn(scratch_va()));
    EXPECT_EQ(try_scratch_pte(pte.value & ~pte_writable, true), 0);
}

GUEST_TEST(mmu_update_huge_mfn) {
    // A frame far above any RAM or MMIO the domain may reach.
    const uint64_t mfn = 1ull << 36;
    const int64_t rc = try_scratch_pte((mfn << 12) | pte_present | pte_user, true);
    EXPECT_ERRNO(rc, eperm);
}

GUEST_TEST(mmu_update_software_and_cache_bits_as_dom0) {
    // Release Xen lets a PV guest use the available bits 9-11 and 52-62 of an L1 entry,
    // and the hardware domain may also pick cache attributes (PWT/PCD/PAT).
    PteLocation pte{};
    ASSERT_TRUE(find_l1_entry(scratch_va(), &pte));
    EXPECT_EQ(try_scratch_pte(pte.value | (1ull << 62) | (1ull << 52) | (1ull << 9), true), 0);
    EXPECT_EQ(try_scratch_pte(pte.value | (1ull << 3) | (1ull << 4), true), 0);
}

GUEST_TEST(mmu_update_all_ones_mfn) {
    // The largest encodable frame number is reported as invalid rather than forbidden.
    const uint64_t mfn = pte_frame_mask >> 12;
    EXPECT_ERRNO(try_scratch_pte((mfn << 12) | pte_present | pte_user, true), einval);
}

GUEST_TEST(mmu_update_writable_mapping_of_l4) {
    // A validated page-table page may only be mapped read-only.
    const uint64_t l4_mfn = va_to_mfn(start_info()->pt_base);
    const int64_t rc = try_scratch_pte((l4_mfn << 12) | pte_present | pte_writable | pte_user, true);
    EXPECT_ERRNO(rc, ebusy);
}

GUEST_TEST(mmu_update_low_mfn_as_dom0) {
    // The first MiB is I/O memory the hardware domain may map (Linux reads the BIOS area).
    const int64_t rc = try_scratch_pte((0ull << 12) | pte_present | pte_user, true);
    EXPECT_EQ(rc, 0);
}

// --- unknown sub-ops of multiplexed hypercalls ------------------------------------------

GUEST_TEST(mmuext_op_unknown_cmd) {
    xen::MmuextOp op{};
    op.cmd = 14;  // the hole between set_ldt and new_user_baseptr
    uint32_t done = 0;
    EXPECT_ERRNO(mmuext_op(&op, 1, &done), enosys);
}

GUEST_TEST(sched_op_unknown_cmd) {
    EXPECT_ERRNO(hypercall2(Hypercall::sched_op, 99, nullptr), enosys);
}

GUEST_TEST(event_channel_op_unknown_cmd) {
    uint32_t dummy[8] = {};
    EXPECT_ERRNO(hypercall2(Hypercall::event_channel_op, 99, dummy), enosys);
}

GUEST_TEST(grant_table_op_query_size) {
    xen::GrantQuerySize query{};
    query.dom = xen::domid_self;
    EXPECT_EQ(grant_table_op(xen::GrantTableOp::query_size, &query, 1), 0);
    EXPECT_EQ(query.status, 0);
    EXPECT_GE(query.nr_frames, 1u);
    EXPECT_GE(query.max_nr_frames, query.nr_frames);
    GUEST_NOTE("nr_frames=%u max_nr_frames=%u", query.nr_frames, query.max_nr_frames);
}
