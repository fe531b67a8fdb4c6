// PageTypes: entry rules, ownership, realistic 4-level trees (pin validates, unpin cascades), writable
// mappings of tables, HV slots, foreign frames, MMIO, the fast path, linear page tables, failed
// validations leaving no trace, death tests for underflow, seeded random operation sequences with a full
// recount after every step, and concurrent updates from several threads.
#include "pv/page_types.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "tests/host/page_types_ops.hpp"
#include "tests/host/page_types_support.hpp"

namespace hv::pv {
namespace {

using namespace testing;

constexpr uint16_t kDom0 = 0;
constexpr uint16_t kDomU = 1;

// ---- pure entry rules ------------------------------------------------------------------------------

TEST(EntryRules, FlagsAllowedPerLevel) {
    const uint64_t base = make_entry(5, kTableFlags | pte::kAvailable | (pte::kAvailableHigh & ~pte::kGrantMapping) |
                                            pte::kNoExecute);
    for (unsigned level = 1; level <= 4; ++level)
        EXPECT_EQ(check_entry(level, base, false), Status::Ok) << level;
    for (unsigned level = 2; level <= 4; ++level) {
        EXPECT_EQ(check_entry(level, base | pte::kLargePage, false), Status::InvalidArgument) << level;
        EXPECT_EQ(check_entry(level, base | pte::kGlobal, false), Status::InvalidArgument) << level;
        EXPECT_EQ(check_entry(level, base | pte::kCacheDisable, true), Status::InvalidArgument) << level;
        EXPECT_EQ(check_entry(level, base | pte::kWriteThrough, true), Status::InvalidArgument) << level;
    }
    EXPECT_EQ(check_entry(1, base | pte::kGlobal, false), Status::Ok);
    // Release Xen 4.17 (the reference) lets guests use bit 62 at every level (measured by
    // the PV test guest: mmu_update_software_and_cache_bits_as_dom0).
    for (unsigned level = 1; level <= 4; ++level)
        EXPECT_EQ(check_entry(level, base | pte::kGrantMapping, false), Status::Ok) << "bit 62 at level " << level;
    const uint64_t l1 = make_entry(5, kDataFlags);
    EXPECT_EQ(check_entry(1, l1 | pte::kGrantMapping, false), Status::Ok);
    for (uint64_t attr : {pte::kPat, pte::kCacheDisable, pte::kWriteThrough}) {
        EXPECT_EQ(check_entry(1, l1 | attr, false), Status::InvalidArgument);
        EXPECT_EQ(check_entry(1, l1 | attr, true), Status::Ok);
    }
    EXPECT_EQ(check_entry(2, ~pte::kPresent, false), Status::Ok) << "non-present entries are not checked";
    EXPECT_EQ(check_entry(0, l1, false), Status::InvalidArgument);
    EXPECT_EQ(check_entry(5, l1, false), Status::InvalidArgument);
}

TEST(EntryRules, Adjustments) {
    const uint64_t kernel = make_entry(7, pte::kPresent | pte::kWritable);
    EXPECT_EQ(adjust_entry(1, kernel), kernel | pte::kUser | pte::kGuestKernel);
    const uint64_t user = make_entry(7, pte::kPresent | pte::kUser);
    EXPECT_EQ(adjust_entry(1, user), user | pte::kGlobal);
    EXPECT_EQ(adjust_entry(1, user | pte::kGuestKernel), user | pte::kGuestKernel);
    EXPECT_EQ(adjust_entry(2, kernel), kernel | pte::kUser);
    EXPECT_EQ(adjust_entry(3, kernel), kernel | pte::kUser);
    EXPECT_EQ(adjust_entry(4, kernel), kernel | pte::kUser | pte::kAccessed);
    EXPECT_EQ(adjust_entry(4, pte::kWritable), pte::kWritable) << "non-present untouched";
}

TEST(EntryRules, SameMappingAndMmioFlip) {
    const uint64_t e = make_entry(9, kDataFlags);
    EXPECT_TRUE(same_mapping(e, e | pte::kDirty | pte::kNoExecute | pte::kGlobal | pte::kAvailable | pte::kGuestKernel));
    EXPECT_TRUE(same_mapping(e, e & ~(pte::kAccessed | pte::kUser)));
    EXPECT_FALSE(same_mapping(e, e & ~pte::kWritable));
    EXPECT_FALSE(same_mapping(e, e & ~pte::kPresent));
    EXPECT_FALSE(same_mapping(e, e | pte::kCacheDisable));
    EXPECT_FALSE(same_mapping(e, make_entry(10, kDataFlags)));
    // WB, WT, WP become UC; UC-, UC, WC stay.
    EXPECT_EQ(e ^ mmio_cache_flip(e), e | pte::kUncacheable);
    EXPECT_EQ(mmio_cache_flip(e | pte::kWriteThrough), pte::kCacheDisable);
    EXPECT_EQ((e | pte::kPat | pte::kWriteThrough) ^ mmio_cache_flip(e | pte::kPat | pte::kWriteThrough),
              e | pte::kUncacheable);
    EXPECT_EQ(mmio_cache_flip(e | pte::kCacheDisable), 0u);
    EXPECT_EQ(mmio_cache_flip(e | pte::kUncacheable), 0u);
    EXPECT_EQ(mmio_cache_flip(e | pte::kPat), 0u);
}

// ---- a machine with two domains -----------------------------------------------------------------------

class PageTypesTest : public ::testing::Test {
protected:
    static constexpr size_t kFrames = 4096;
    PageTypesTest() : m(kFrames), t(m.types) {}

    Pfn alloc(uint16_t domain) {
        while (t.general_count(next_) != 0 || !m.is_ram(next_))
            ++next_;
        EXPECT_EQ(t.assign(next_, domain), Status::Ok);
        return next_++;
    }

    // A guest-built tree: L4 -> L3 -> L2 -> `l1_count` L1s, each mapping `data_per_l1` data pages
    // writable. The table frames are mapped read-only by the last L1 (as Linux maps its own page tables).
    struct Tree {
        Pfn l4, l3, l2;
        std::vector<Pfn> l1;
        std::vector<Pfn> data;
    };
    Tree build_tree(uint16_t domain, unsigned l1_count = 3, unsigned data_per_l1 = 8) {
        Tree tree;
        tree.l4 = alloc(domain);
        tree.l3 = alloc(domain);
        tree.l2 = alloc(domain);
        m.at(tree.l4, 273) = make_entry(tree.l3, kTableFlags);
        m.at(tree.l3, 0) = make_entry(tree.l2, kTableFlags);
        for (unsigned i = 0; i < l1_count; ++i) {
            const Pfn l1 = alloc(domain);
            tree.l1.push_back(l1);
            m.at(tree.l2, i) = make_entry(l1, kTableFlags);
            for (unsigned j = 0; j < data_per_l1; ++j) {
                const Pfn data = alloc(domain);
                tree.data.push_back(data);
                m.at(l1, j) = make_entry(data, kDataFlags);
            }
        }
        const Pfn last = tree.l1.back();
        unsigned slot = 400;
        for (Pfn table : {tree.l4, tree.l3, tree.l2})
            m.at(last, slot++) = make_entry(table, ro(kDataFlags));
        for (Pfn table : tree.l1)
            m.at(last, slot++) = make_entry(table, ro(kDataFlags));
        return tree;
    }

    void expect_audit(const ExternalRefs& external = {}) { EXPECT_EQ(audit(m, external), ""); }

    FakeMachine m;
    PageTypes& t;
    Pfn next_ = 1;
};

TEST_F(PageTypesTest, AssignAndRelease) {
    const Pfn f = alloc(kDomU);
    EXPECT_EQ(t.owner_of(f), kDomU);
    EXPECT_EQ(t.general_count(f), 1u);
    EXPECT_TRUE(t.is_allocated(f));
    EXPECT_EQ(t.assign(f, kDom0), Status::Busy);
    EXPECT_EQ(t.release(f, kDom0), Status::InvalidArgument) << "not the owner";
    EXPECT_EQ(t.release(f, kDomU), Status::Ok);
    EXPECT_EQ(t.release(f, kDomU), Status::InvalidArgument) << "already released";
    ASSERT_EQ(m.freed.size(), 1u);
    EXPECT_EQ(m.freed[0], std::make_pair(f, false));
    EXPECT_EQ(t.owner_of(f), kOwnerNone);
    EXPECT_EQ(t.assign(f, kOwnerNone), Status::InvalidArgument);
    m.mmio.insert(3000);
    EXPECT_EQ(t.assign(3000, kDomU), Status::InvalidArgument) << "not RAM";
    EXPECT_EQ(t.assign(kFrames + 5, kDomU), Status::InvalidArgument) << "beyond the frame table";
}

TEST_F(PageTypesTest, StealTakesOnlyAnUnreferencedFrame) {
    const Pfn f = alloc(kDomU);
    EXPECT_EQ(t.steal(f, kDom0), Status::InvalidArgument) << "not the owner";
    ASSERT_TRUE(t.get_page(f, kDomU));
    EXPECT_EQ(t.steal(f, kDomU), Status::Busy) << "someone else holds a reference";
    EXPECT_EQ(t.general_count(f), 2u) << "a refused steal changes nothing";
    t.put_page(f);
    ASSERT_EQ(t.get_page_and_type(f, PageType::Writable, kDomU), Status::Ok);
    EXPECT_EQ(t.steal(f, kDomU), Status::Busy) << "mapped (typed) frames stay";
    t.put_page_and_type(f);
    EXPECT_EQ(t.steal(f, kDomU), Status::Ok);
    EXPECT_EQ(t.owner_of(f), kOwnerNone);
    EXPECT_EQ(t.general_count(f), 0u);
    EXPECT_TRUE(m.freed.empty()) << "stolen, not freed";
    EXPECT_EQ(t.steal(f, kDomU), Status::InvalidArgument) << "already taken";
    EXPECT_EQ(t.assign(f, kDom0), Status::Ok) << "a stolen frame can be given again";
    const Pfn shared = alloc(kDomU);
    ASSERT_EQ(t.release(shared, kDomU), Status::Ok);
    ASSERT_EQ(t.assign_shared(shared, kDomU), Status::Ok);
    EXPECT_EQ(t.steal(shared, kDomU), Status::Busy) << "hypervisor pages are never stolen";
    expect_audit();
}

TEST_F(PageTypesTest, GeneralReferencesNeedTheOwner) {
    const Pfn f = alloc(kDomU);
    EXPECT_FALSE(t.get_page(f, kDom0));
    EXPECT_TRUE(t.get_page(f, kDomU));
    EXPECT_EQ(t.general_count(f), 2u);
    EXPECT_FALSE(t.get_page(2000, kDomU)) << "free frame";
    EXPECT_FALSE(t.get_page(kFrames + 1, kDomU)) << "no FrameInfo";
    ASSERT_EQ(t.release(f, kDomU), Status::Ok);
    EXPECT_TRUE(m.freed.empty()) << "still referenced";
    t.put_page(f);
    EXPECT_EQ(m.freed.size(), 1u);
    EXPECT_FALSE(t.get_page(f, kDomU)) << "cannot revive from zero";
}

TEST_F(PageTypesTest, PinL4ValidatesTheWholeTree) {
    const Tree tree = build_tree(kDomU);
    m.at(tree.l4, 260) = make_entry(tree.data[0], kDataFlags);  // guest garbage in a hypervisor slot
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    EXPECT_TRUE(t.is_pinned(tree.l4));
    EXPECT_EQ(t.type_of(tree.l4), PageType::L4);
    EXPECT_EQ(t.type_count(tree.l4), 1u);
    EXPECT_EQ(t.general_count(tree.l4), 3u) << "allocation + pin + the read-only mapping";
    EXPECT_EQ(t.type_of(tree.l3), PageType::L3);
    EXPECT_EQ(t.type_of(tree.l2), PageType::L2);
    for (Pfn l1 : tree.l1) {
        EXPECT_EQ(t.type_of(l1), PageType::L1);
        EXPECT_TRUE(t.is_validated(l1));
        EXPECT_EQ(t.type_count(l1), 1u);
    }
    for (Pfn data : tree.data) {
        EXPECT_EQ(t.type_of(data), PageType::Writable);
        EXPECT_EQ(t.type_count(data), 1u);
        EXPECT_EQ(t.general_count(data), 2u);
    }
    for (unsigned i = 0; i < kHypervisorL4Slots; ++i)
        EXPECT_EQ(m.at(tree.l4, kFirstHypervisorL4Slot + i), fake_hypervisor_slot(tree.l4, i));
    EXPECT_EQ(m.at(tree.l4, 273), make_entry(tree.l3, kTableFlags));
    EXPECT_EQ(m.at(tree.l1[0], 0), make_entry(tree.data[0], kDataFlags | pte::kGlobal)) << "user mapping: global";
    expect_audit();
}

TEST_F(PageTypesTest, AdjustmentsWrittenAtValidation) {
    const Pfn l4 = alloc(kDomU), l3 = alloc(kDomU), l1 = alloc(kDomU), data = alloc(kDomU);
    m.at(l4, 0) = make_entry(l3, pte::kPresent | pte::kWritable);
    m.at(l1, 0) = make_entry(data, pte::kPresent | pte::kWritable);
    ASSERT_EQ(t.pin(l4, PageType::L4, kDomU), Status::Ok);
    EXPECT_EQ(m.at(l4, 0), make_entry(l3, pte::kPresent | pte::kWritable | pte::kUser | pte::kAccessed));
    ASSERT_EQ(t.pin(l1, PageType::L1, kDomU), Status::Ok);
    EXPECT_EQ(m.at(l1, 0), make_entry(data, pte::kPresent | pte::kWritable | pte::kUser | pte::kGuestKernel));
    expect_audit();
}

TEST_F(PageTypesTest, UnpinCascades) {
    const Tree tree = build_tree(kDomU);
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    ASSERT_EQ(t.unpin(tree.l4, kDomU), Status::Ok);
    std::vector<Pfn> all = {tree.l4, tree.l3, tree.l2};
    all.insert(all.end(), tree.l1.begin(), tree.l1.end());
    all.insert(all.end(), tree.data.begin(), tree.data.end());
    for (Pfn f : all) {
        EXPECT_EQ(t.general_count(f), 1u) << f;
        EXPECT_EQ(t.type_count(f), 0u) << f;
        EXPECT_EQ(t.type_of(f), PageType::None) << f;
        EXPECT_FALSE(t.is_validated(f)) << f;
        EXPECT_FALSE(t.is_pinned(f)) << f;
    }
    expect_audit();
    // Re-pinning works and re-validates.
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    expect_audit();
}

TEST_F(PageTypesTest, PinErrors) {
    const Tree tree = build_tree(kDomU);
    EXPECT_EQ(t.pin(tree.l4, PageType::L4, kDom0), Status::InvalidArgument) << "not the owner";
    EXPECT_EQ(t.pin(tree.l4, PageType::Writable, kDomU), Status::InvalidArgument);
    EXPECT_EQ(t.pin(tree.l4, PageType::SegDesc, kDomU), Status::InvalidArgument);
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    const auto before = snapshot(m);
    EXPECT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::InvalidArgument) << "already pinned";
    EXPECT_EQ(t.pin(tree.l3, PageType::L2, kDomU), Status::InvalidArgument) << "wrong type";
    EXPECT_EQ(t.pin(tree.data[0], PageType::L1, kDomU), Status::InvalidArgument) << "mapped writable";
    EXPECT_EQ(snapshot(m), before);
    ASSERT_EQ(t.pin(tree.l3, PageType::L3, kDomU), Status::Ok) << "a second pin of a live table";
    EXPECT_EQ(t.type_count(tree.l3), 2u);
    EXPECT_EQ(t.unpin(tree.l2, kDomU), Status::InvalidArgument) << "not pinned";
    EXPECT_EQ(t.unpin(tree.l4, kDom0), Status::InvalidArgument) << "not the owner";
    EXPECT_EQ(t.unpin(kFrames + 3, kDomU), Status::InvalidArgument);
    expect_audit();
}

TEST_F(PageTypesTest, WritableMappingOfATableIsRefused) {
    const Tree tree = build_tree(kDomU);
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    const Pfn l1 = tree.l1[0];
    for (Pfn table : {tree.l4, tree.l3, tree.l2, tree.l1[1]}) {
        const auto before = snapshot(m);
        EXPECT_EQ(t.update_entry(l1, 100, make_entry(table, kDataFlags), kDomU, false), Status::Busy);
        EXPECT_EQ(snapshot(m), before);
        EXPECT_EQ(t.update_entry(l1, 100, make_entry(table, ro(kDataFlags)), kDomU, false), Status::Ok);
    }
    // Its own L1, writable through itself: refused too.
    EXPECT_EQ(t.update_entry(l1, 101, make_entry(l1, kDataFlags), kDomU, false), Status::Busy);
    // A descriptor page cannot be mapped writable either.
    const Pfn gdt = alloc(kDomU);
    ASSERT_EQ(t.get_page_and_type(gdt, PageType::SegDesc, kDomU), Status::Ok);
    EXPECT_EQ(t.update_entry(l1, 102, make_entry(gdt, kDataFlags), kDomU, false), Status::Busy);
    EXPECT_EQ(t.update_entry(l1, 102, make_entry(gdt, ro(kDataFlags)), kDomU, false), Status::Ok);
    ExternalRefs external;
    external.typed[gdt] = 1;
    expect_audit(external);
}

TEST_F(PageTypesTest, MakingAPageATableWhileMappedWritableIsRefused) {
    const Tree tree = build_tree(kDomU);
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    const Pfn victim = tree.data[3];  // mapped writable by tree.l1[0]
    const auto before = snapshot(m);
    for (PageType level : {PageType::L1, PageType::L2, PageType::L3, PageType::L4})
        EXPECT_EQ(t.pin(victim, level, kDomU), Status::InvalidArgument);
    EXPECT_EQ(t.get_page_and_type(victim, PageType::SegDesc, kDomU), Status::InvalidArgument);
    EXPECT_EQ(t.update_entry(tree.l2, 50, make_entry(victim, kTableFlags), kDomU, false), Status::InvalidArgument);
    EXPECT_EQ(snapshot(m), before);
    // Once the writable mapping is made read-only, the page can become a table (after a TLB flush).
    ASSERT_EQ(t.update_entry(tree.l1[0], 3, ro(make_entry(victim, kDataFlags)), kDomU, false), Status::Ok);
    m.flushes.clear();
    EXPECT_EQ(t.update_entry(tree.l2, 50, make_entry(victim, kTableFlags), kDomU, false), Status::Ok);
    EXPECT_EQ(t.type_of(victim), PageType::L1);
    EXPECT_EQ(m.flushes, std::vector<Pfn>{victim});
    expect_audit();
}

TEST_F(PageTypesTest, LargePagesRefused) {
    const Tree tree = build_tree(kDomU);
    m.at(tree.l2, 7) = make_entry(tree.data[0], kTableFlags | pte::kLargePage);
    auto before = snapshot(m);
    auto memory = m.memory_copy();
    EXPECT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::InvalidArgument);
    EXPECT_EQ(snapshot(m), before);
    EXPECT_EQ(unexpected_memory_changes(m, memory), "");
    m.at(tree.l2, 7) = 0;
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    const Pfn spare = alloc(kDomU);
    EXPECT_EQ(t.update_entry(tree.l2, 7, make_entry(spare, kTableFlags | pte::kLargePage), kDomU, false),
              Status::InvalidArgument);
    EXPECT_EQ(t.update_entry(tree.l3, 7, make_entry(spare, kTableFlags | pte::kLargePage), kDomU, false),
              Status::InvalidArgument);
    expect_audit();
}

TEST_F(PageTypesTest, HypervisorSlotsAreOverwrittenAndProtected) {
    const Tree tree = build_tree(kDomU);
    const Pfn foreign = alloc(kDom0);
    for (unsigned i = 0; i < kHypervisorL4Slots; ++i)
        m.at(tree.l4, kFirstHypervisorL4Slot + i) = make_entry(foreign, kTableFlags | pte::kLargePage);
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok) << "slots 256-271 are not validated";
    for (unsigned i = 0; i < kHypervisorL4Slots; ++i)
        EXPECT_EQ(m.at(tree.l4, kFirstHypervisorL4Slot + i), fake_hypervisor_slot(tree.l4, i));
    const Pfn l3 = alloc(kDomU);
    for (unsigned slot : {256u, 258u, 271u})
        EXPECT_EQ(t.update_entry(tree.l4, slot, make_entry(l3, kTableFlags), kDomU, false), Status::InvalidArgument);
    EXPECT_EQ(t.update_entry(tree.l4, 258, 0, kDomU, false), Status::InvalidArgument);
    EXPECT_EQ(t.update_entry(tree.l4, 272, make_entry(l3, kTableFlags), kDomU, false), Status::Ok);
    EXPECT_EQ(t.update_entry(tree.l4, 255, make_entry(l3, kTableFlags), kDomU, false), Status::Ok);
    EXPECT_EQ(t.type_count(l3), 2u);
    ASSERT_EQ(t.unpin(tree.l4, kDomU), Status::Ok);
    EXPECT_EQ(t.type_count(l3), 0u) << "de-validation skips the hypervisor slots and drops the guest ones";
    expect_audit();
}

TEST_F(PageTypesTest, ForeignFramesRefused) {
    const Tree tree = build_tree(kDom0);
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDom0), Status::Ok);
    const Pfn theirs = alloc(kDomU);
    const Pfn their_l1 = alloc(kDomU);
    const auto before = snapshot(m);
    EXPECT_EQ(t.update_entry(tree.l1[0], 50, make_entry(theirs, kDataFlags), kDom0, false), Status::Busy);
    EXPECT_EQ(t.update_entry(tree.l1[0], 50, make_entry(theirs, ro(kDataFlags)), kDom0, false), Status::Busy);
    EXPECT_EQ(t.update_entry(tree.l1[0], 50, make_entry(2500, ro(kDataFlags)), kDom0, false), Status::Busy) << "free";
    EXPECT_EQ(t.update_entry(tree.l2, 50, make_entry(their_l1, kTableFlags), kDom0, false), Status::InvalidArgument);
    EXPECT_EQ(t.update_entry(tree.l1[0], 50, make_entry(theirs, kDataFlags), kDomU, false), Status::InvalidArgument)
        << "the table is not domU's";
    EXPECT_EQ(t.update_foreign_entry(tree.l2, 50, make_entry(their_l1, kTableFlags), kDom0, kDomU, false),
              Status::InvalidArgument)
        << "foreign page owner only for L1 updates";
    EXPECT_EQ(snapshot(m), before);
    // With the page owner named (privcmd), dom0 may map domU's frame, writable.
    EXPECT_EQ(t.update_foreign_entry(tree.l1[0], 50, make_entry(theirs, kDataFlags), kDom0, kDomU, false), Status::Ok);
    EXPECT_EQ(t.type_of(theirs), PageType::Writable);
    EXPECT_EQ(t.general_count(theirs), 2u);
    // domU cannot now make that frame a table.
    EXPECT_EQ(t.pin(theirs, PageType::L1, kDomU), Status::InvalidArgument);
    expect_audit();
    // A validation reaching a foreign mapping fails as Busy, all the way up.
    ASSERT_EQ(t.unpin(tree.l4, kDom0), Status::Ok);
    EXPECT_EQ(t.pin(tree.l4, PageType::L4, kDom0), Status::Busy);
    expect_audit();
}

TEST_F(PageTypesTest, MmioOnlyWithPermission) {
    constexpr Pfn kMmio = 3000, kReadOnlyMmio = 3001, kHole = kFrames + 100;
    m.mmio = {kMmio, kReadOnlyMmio};
    m.read_only_mmio = {kReadOnlyMmio};
    m.io_permissions[kDom0] = {kMmio, kReadOnlyMmio, kHole};
    const Pfn dom0_l1 = alloc(kDom0), domu_l1 = alloc(kDomU);
    ASSERT_EQ(t.pin(dom0_l1, PageType::L1, kDom0), Status::Ok);
    ASSERT_EQ(t.pin(domu_l1, PageType::L1, kDomU), Status::Ok);
    const auto mmio_refs = snapshot(m);

    EXPECT_EQ(t.update_entry(domu_l1, 0, make_entry(kMmio, kDataFlags), kDomU, false), Status::Permission);
    EXPECT_EQ(t.update_entry(domu_l1, 0, make_entry(kHole, kDataFlags), kDomU, false), Status::Permission);
    EXPECT_EQ(t.update_entry(domu_l1, 0, make_entry(kEntryMaxFrame, kDataFlags), kDomU, false), Status::InvalidArgument);
    EXPECT_EQ(t.update_entry(domu_l1, 0, make_entry(kMmio, kDataFlags | pte::kCacheDisable), kDomU, false),
              Status::InvalidArgument)
        << "cache attributes need an I/O-capable domain";

    ASSERT_EQ(t.update_entry(dom0_l1, 0, make_entry(kMmio, kDataFlags), kDom0, false), Status::Ok);
    EXPECT_EQ(m.at(dom0_l1, 0), make_entry(kMmio, kDataFlags | pte::kGlobal | pte::kUncacheable)) << "forced UC";
    ASSERT_EQ(t.update_entry(dom0_l1, 1, make_entry(kMmio, kDataFlags | pte::kPat), kDom0, false), Status::Ok);
    EXPECT_EQ(m.at(dom0_l1, 1), make_entry(kMmio, kDataFlags | pte::kGlobal | pte::kPat)) << "WC stays";
    ASSERT_EQ(t.update_entry(dom0_l1, 2, make_entry(kReadOnlyMmio, kDataFlags), kDom0, false), Status::Ok);
    EXPECT_EQ(m.at(dom0_l1, 2), make_entry(kReadOnlyMmio, ro(kDataFlags) | pte::kGlobal | pte::kUncacheable))
        << "read-only MMIO silently loses RW";
    ASSERT_EQ(t.update_entry(dom0_l1, 3, make_entry(kHole, kDataFlags), kDom0, false), Status::Ok);
    EXPECT_EQ(snapshot(m), mmio_refs) << "MMIO mappings take no references";
    // A dom0 L1 written by the guest with MMIO entries validates, with the same adjustments.
    const Pfn fresh = alloc(kDom0);
    m.at(fresh, 9) = make_entry(kReadOnlyMmio, kDataFlags);
    ASSERT_EQ(t.pin(fresh, PageType::L1, kDom0), Status::Ok);
    EXPECT_EQ(m.at(fresh, 9), make_entry(kReadOnlyMmio, ro(kDataFlags) | pte::kGlobal | pte::kUncacheable));
    // Hypervisor RAM is RAM: never mappable as MMIO, whatever the permissions say.
    m.io_permissions[kDom0].insert(2999);
    EXPECT_EQ(t.update_entry(dom0_l1, 4, make_entry(2999, ro(kDataFlags)), kDom0, false), Status::Busy);
    expect_audit();
}

TEST_F(PageTypesTest, FastPathMovesNoReferences) {
    const Tree tree = build_tree(kDomU);
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    const Pfn l1 = tree.l1[0];
    const Pfn data = tree.data[0];
    const auto before = snapshot(m);
    const uint64_t changed = make_entry(data, kDataFlags | pte::kDirty | pte::kNoExecute | (0x3ull << 53) | pte::kAvailable);
    ASSERT_EQ(t.update_entry(l1, 0, changed, kDomU, false), Status::Ok);
    EXPECT_EQ(m.at(l1, 0), changed | pte::kGlobal);
    EXPECT_EQ(snapshot(m), before);
    // PRESERVE_AD: the A/D bits the MMU set stay.
    m.at(l1, 0) |= pte::kAccessed | pte::kDirty;
    ASSERT_EQ(t.update_entry(l1, 0, make_entry(data, pte::kPresent | pte::kWritable | pte::kUser), kDomU, true), Status::Ok);
    EXPECT_EQ(m.at(l1, 0), make_entry(data, kDataFlags | pte::kDirty | pte::kGlobal));
    ASSERT_EQ(t.update_entry(l1, 0, make_entry(data, pte::kPresent | pte::kWritable | pte::kUser), kDomU, false), Status::Ok);
    EXPECT_EQ(m.at(l1, 0), make_entry(data, pte::kPresent | pte::kWritable | pte::kUser | pte::kGlobal));
    EXPECT_EQ(snapshot(m), before);
    // Upper levels: A/D/NX/AVL changes are fast too.
    ASSERT_EQ(t.update_entry(tree.l2, 0, make_entry(l1, kTableFlags | pte::kNoExecute), kDomU, false), Status::Ok);
    EXPECT_EQ(snapshot(m), before);
    // RW is not: dropping it moves the Writable ref.
    ASSERT_EQ(t.update_entry(l1, 0, make_entry(data, ro(kDataFlags)), kDomU, false), Status::Ok);
    EXPECT_EQ(t.type_count(data), 0u);
    EXPECT_EQ(t.general_count(data), 2u);
    expect_audit();
}

TEST_F(PageTypesTest, ReplacingAnEntryKeepsTheTargetAlive) {
    const Tree tree = build_tree(kDomU);
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    const Pfn l1 = tree.l1[0];
    m.flushes.clear();
    // RW -> RO of the only entry naming l1: new refs are taken before the old ones are dropped, so l1 is
    // never de-validated (it would be re-validated, leaving the same counts, but with a flush-free path).
    ASSERT_EQ(t.update_entry(tree.l2, 0, ro(make_entry(l1, kTableFlags)), kDomU, false), Status::Ok);
    EXPECT_EQ(t.type_count(l1), 1u);
    EXPECT_EQ(t.type_count(tree.data[0]), 1u);
    // Moving a data mapping to another frame: the old frame loses its refs.
    const Pfn other = alloc(kDomU);
    ASSERT_EQ(t.update_entry(l1, 0, make_entry(other, kDataFlags), kDomU, false), Status::Ok);
    EXPECT_EQ(t.type_count(tree.data[0]), 0u);
    EXPECT_EQ(t.type_count(other), 1u);
    // Zapping an L2 entry de-validates the L1 behind it, releasing its data pages.
    ASSERT_EQ(t.update_entry(tree.l2, 1, 0, kDomU, false), Status::Ok);
    EXPECT_EQ(t.type_count(tree.l1[1]), 0u);
    EXPECT_FALSE(t.is_validated(tree.l1[1]));
    for (unsigned j = 8; j < 16; ++j)
        EXPECT_EQ(t.general_count(tree.data[j]), 1u);
    expect_audit();
}

TEST_F(PageTypesTest, LinearPageTables) {
    const Tree a = build_tree(kDomU, 1, 1);
    const Tree b = build_tree(kDomU, 1, 1);
    // Self map in the guest half, read-only: no references.
    m.at(a.l4, 5) = make_entry(a.l4, ro(kTableFlags));
    ASSERT_EQ(t.pin(a.l4, PageType::L4, kDomU), Status::Ok);
    EXPECT_EQ(t.type_count(a.l4), 1u);
    EXPECT_EQ(t.linear_count(a.l4), 0);
    ASSERT_EQ(t.pin(b.l4, PageType::L4, kDomU), Status::Ok);
    // Writable self map: refused.
    EXPECT_EQ(t.update_entry(a.l4, 6, make_entry(a.l4, kTableFlags), kDomU, false), Status::InvalidArgument);
    // Read-only map of another validated L4: a type ref plus linear counts.
    ASSERT_EQ(t.update_entry(a.l4, 6, make_entry(b.l4, ro(kTableFlags)), kDomU, false), Status::Ok);
    EXPECT_EQ(t.type_count(b.l4), 2u);
    EXPECT_EQ(t.linear_count(a.l4), 1);
    EXPECT_EQ(t.linear_count(b.l4), -1);
    EXPECT_EQ(t.update_entry(a.l4, 7, make_entry(b.l4, kTableFlags), kDomU, false), Status::InvalidArgument)
        << "linear entries must be read-only";
    expect_audit();
    // No chains: b (a linear target) may not hold linear entries, a (holding them) may not be a target.
    const Tree c = build_tree(kDomU, 1, 1);
    ASSERT_EQ(t.pin(c.l4, PageType::L4, kDomU), Status::Ok);
    EXPECT_EQ(t.update_entry(b.l4, 6, make_entry(c.l4, ro(kTableFlags)), kDomU, false), Status::InvalidArgument);
    EXPECT_EQ(t.update_entry(c.l4, 6, make_entry(a.l4, ro(kTableFlags)), kDomU, false), Status::InvalidArgument);
    ASSERT_EQ(t.update_entry(c.l4, 6, make_entry(b.l4, ro(kTableFlags)), kDomU, false), Status::Ok) << "fan-in is fine";
    EXPECT_EQ(t.linear_count(b.l4), -2);
    // An unvalidated target is refused (it would need validating as this level first).
    const Pfn blank = alloc(kDomU);
    EXPECT_EQ(t.update_entry(a.l4, 8, make_entry(blank, ro(kTableFlags)), kDomU, true), Status::Ok)
        << "a blank page validates as an L3: a normal entry";
    EXPECT_EQ(t.type_of(blank), PageType::L3);
    // The same at L2 and L3: a read-only L2 entry naming a validated L2.
    ASSERT_EQ(t.update_entry(a.l2, 9, make_entry(b.l2, ro(kTableFlags)), kDomU, false), Status::Ok);
    EXPECT_EQ(t.linear_count(b.l2), -1);
    ASSERT_EQ(t.update_entry(a.l3, 9, make_entry(b.l3, ro(kTableFlags)), kDomU, false), Status::Ok);
    expect_audit();
    // Unpinning b leaves it alive through the linear entries; zapping them then lets it go.
    ASSERT_EQ(t.unpin(b.l4, kDomU), Status::Ok);
    EXPECT_TRUE(t.is_validated(b.l4));
    ASSERT_EQ(t.update_entry(a.l4, 6, 0, kDomU, false), Status::Ok);
    ASSERT_EQ(t.update_entry(c.l4, 6, 0, kDomU, false), Status::Ok);
    EXPECT_FALSE(t.is_validated(b.l4));
    EXPECT_EQ(t.linear_count(b.l4), 0);
    EXPECT_EQ(t.linear_count(a.l4), 0);
    expect_audit();
    // When the last reference of a linear target is the linear entry itself, dropping it de-validates.
    ASSERT_EQ(t.unpin(a.l4, kDomU), Status::Ok);
    ASSERT_EQ(t.unpin(c.l4, kDomU), Status::Ok);
    expect_audit();
    for (Pfn f = 0; f < kFrames; ++f)
        EXPECT_EQ(t.linear_count(f), 0) << f;
}

TEST_F(PageTypesTest, FailedValidationLeavesEveryCountAsBefore) {
    const Tree tree = build_tree(kDomU, 4, 16);
    const Pfn theirs = alloc(kDom0);
    ASSERT_EQ(t.pin(tree.l1[1], PageType::L1, kDomU), Status::Ok) << "a table already live stays live";
    m.at(tree.l1.back(), 300) = make_entry(theirs, ro(kDataFlags));  // in the last L1 validated
    const auto before = snapshot(m);
    const auto memory = m.memory_copy();
    m.flushes.clear();
    EXPECT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Busy);
    EXPECT_EQ(snapshot(m), before);
    // The L1s that validated before the failing one keep their adjustments (as in Xen); the tables whose
    // validation failed are untouched, hypervisor slots included.
    EXPECT_EQ(unexpected_memory_changes(m, memory), "");
    for (Pfn table : {tree.l4, tree.l3, tree.l2, tree.l1.back()})
        for (unsigned i = 0; i < kEntriesPerTable; ++i)
            ASSERT_EQ(m.at(table, i), memory[table * kEntriesPerTable + i]) << table << "[" << i << "]";
    EXPECT_EQ(t.get_page_and_type(tree.l4, PageType::L4, kDomU), Status::Busy);
    EXPECT_EQ(snapshot(m), before);
    m.at(tree.l1.back(), 300) = 0;
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    expect_audit();
}

TEST_F(PageTypesTest, PlainWritesAndNonTablePages) {
    const Pfn page = alloc(kDomU);
    ASSERT_EQ(t.update_entry(page, 7, 0x1234, kDomU, false), Status::Ok) << "untyped: a plain write";
    EXPECT_EQ(m.at(page, 7), 0x1234u);
    EXPECT_EQ(t.type_count(page), 0u);
    EXPECT_EQ(t.update_entry(page, 7, 0x1234, kDom0, false), Status::InvalidArgument) << "not the owner's";
    const Pfn gdt = alloc(kDomU);
    ASSERT_EQ(t.get_page_and_type(gdt, PageType::SegDesc, kDomU), Status::Ok);
    EXPECT_EQ(t.update_entry(gdt, 0, 0, kDomU, false), Status::InvalidArgument) << "descriptor pages are not tables";
    t.put_page_and_type(gdt);
    EXPECT_EQ(t.update_entry(gdt, 0, 0, kDomU, false), Status::Ok) << "once untyped, an ordinary page again";
    EXPECT_EQ(t.update_entry(kFrames + 9, 0, 0, kDomU, false), Status::InvalidArgument);
    expect_audit();
}

TEST_F(PageTypesTest, DescriptorPages) {
    const Pfn gdt = alloc(kDomU);
    const Pfn l1 = alloc(kDomU);
    ASSERT_EQ(t.pin(l1, PageType::L1, kDomU), Status::Ok);
    ASSERT_EQ(t.update_entry(l1, 0, make_entry(gdt, kDataFlags), kDomU, false), Status::Ok);
    EXPECT_EQ(t.get_page_and_type(gdt, PageType::SegDesc, kDomU), Status::InvalidArgument) << "mapped writable";
    ASSERT_EQ(t.update_entry(l1, 0, make_entry(gdt, ro(kDataFlags)), kDomU, false), Status::Ok);
    m.at(gdt, 10) = kBadDescriptor;
    m.flushes.clear();
    const auto before = snapshot(m);
    EXPECT_EQ(t.get_page_and_type(gdt, PageType::SegDesc, kDomU), Status::InvalidArgument) << "bad descriptor";
    EXPECT_EQ(snapshot(m), before);
    EXPECT_EQ(m.flushes, std::vector<Pfn>{gdt}) << "was writable: flushed before checking";
    m.at(gdt, 10) = 0;
    ASSERT_EQ(t.get_page_and_type(gdt, PageType::SegDesc, kDomU), Status::Ok);
    ASSERT_EQ(t.get_page_and_type(gdt, PageType::SegDesc, kDomU), Status::Ok);
    EXPECT_EQ(t.type_count(gdt), 2u);
    EXPECT_EQ(t.get_type(gdt, PageType::Writable, kDomU), Status::InvalidArgument);
    ExternalRefs external;
    external.typed[gdt] = 2;
    expect_audit(external);
    t.put_page_and_type(gdt);
    t.put_page_and_type(gdt);
    EXPECT_EQ(t.type_count(gdt), 0u);
    expect_audit();
}

TEST_F(PageTypesTest, CurrentBaseTableReferences) {
    // NEW_BASEPTR: a typed reference outside any pin.
    const Tree tree = build_tree(kDomU);
    ASSERT_EQ(t.get_page_and_type(tree.l4, PageType::L4, kDomU), Status::Ok);
    EXPECT_TRUE(t.is_validated(tree.l3));
    EXPECT_EQ(t.get_page_and_type(tree.l4, PageType::L4, kDom0), Status::InvalidArgument);
    EXPECT_EQ(t.get_type(tree.l4, PageType::L3, kDomU), Status::InvalidArgument);
    EXPECT_EQ(t.get_type(tree.l4, PageType::None, kDomU), Status::InvalidArgument);
    ExternalRefs external;
    external.typed[tree.l4] = 1;
    expect_audit(external);
    t.put_page_and_type(tree.l4);
    EXPECT_FALSE(t.is_validated(tree.l3));
    expect_audit();
}

TEST_F(PageTypesTest, HypervisorPagesSharedWithTheGuest) {
    const Pfn shared = 3500;
    ASSERT_EQ(t.assign_shared(shared, kDomU), Status::Ok);
    EXPECT_TRUE(t.is_hypervisor_page(shared));
    EXPECT_EQ(t.type_of(shared), PageType::Writable);
    const Pfn l1 = alloc(kDomU);
    ASSERT_EQ(t.pin(l1, PageType::L1, kDomU), Status::Ok);
    EXPECT_EQ(t.update_entry(l1, 0, make_entry(shared, kDataFlags), kDomU, false), Status::Ok);
    EXPECT_EQ(t.type_count(shared), 2u);
    EXPECT_EQ(t.pin(shared, PageType::L1, kDomU), Status::InvalidArgument) << "never a table";
    m.io_permissions[kDomU] = {};
    const auto before = snapshot(m);
    EXPECT_EQ(t.update_entry(l1, 1, make_entry(shared, kDataFlags | pte::kCacheDisable), kDomU, false),
              Status::AccessDenied)
        << "Xen -EACCES: no cache attributes on hypervisor pages";
    EXPECT_EQ(snapshot(m), before);
    expect_audit();
    ASSERT_EQ(t.release(shared, kDomU), Status::Ok);
    EXPECT_TRUE(m.freed.empty()) << "still mapped";
    ASSERT_EQ(t.update_entry(l1, 0, 0, kDomU, false), Status::Ok);
    ASSERT_EQ(m.freed.size(), 1u);
    EXPECT_EQ(m.freed[0], std::make_pair(shared, true));
    expect_audit();
}

TEST_F(PageTypesTest, ReleasedWhileMappedIsFreedByTheLastUnmap) {
    const Tree tree = build_tree(kDomU);
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    for (Pfn data : tree.data)
        ASSERT_EQ(t.release(data, kDomU), Status::Ok);
    EXPECT_TRUE(m.freed.empty());
    ASSERT_EQ(t.unpin(tree.l4, kDomU), Status::Ok);
    EXPECT_EQ(m.freed.size(), tree.data.size());
    for (Pfn data : tree.data) {
        EXPECT_EQ(t.owner_of(data), kOwnerNone);
        EXPECT_EQ(t.general_count(data), 0u);
        EXPECT_EQ(t.type_count(data), 0u);
    }
    expect_audit();
}

using PageTypesDeathTest = PageTypesTest;

TEST_F(PageTypesDeathTest, ReferenceUnderflowIsFatal) {
    const Pfn f = alloc(kDomU);
    ASSERT_EQ(t.release(f, kDomU), Status::Ok);
    EXPECT_DEATH(t.put_page(f), "assertion");
    const Pfn g = alloc(kDomU);
    EXPECT_DEATH(t.put_type(g), "assertion");
    EXPECT_DEATH(t.put_page(kFrames + 1), "assertion");
}

// ---- seeded random operation sequences --------------------------------------------------------------

TEST(PageTypesSupport, TrackedPagesCatchChanges) {
    // The random driver and the fuzzer check failed operations only on the pages PageTypes asked for.
    FakeMachine m(8);
    m.at(3, 1) = make_entry(5, kDataFlags);
    m.begin_tracking();
    m.table(3)[1] = adjust_entry(1, m.at(3, 1));  // an adjustment: allowed
    EXPECT_EQ(unexpected_tracked_changes(m), "");
    m.table(3)[2] = 7;
    m.end_tracking();
    EXPECT_NE(unexpected_tracked_changes(m), "");
    m.begin_tracking();
    EXPECT_EQ(unexpected_tracked_changes(m), "") << "a new operation starts clean";
}


TEST(PageTypesRandom, ThousandStepSequencesKeepEveryInvariant) {
    for (uint32_t seed = 1; seed <= 12; ++seed) {
        std::mt19937 rng(seed);
        std::vector<uint8_t> bytes(1000 * 9);
        for (auto& b : bytes)
            b = static_cast<uint8_t>(rng());
        OperationDriver driver;
        size_t pos = 0;
        for (int step = 0; step < 1000; ++step) {
            const std::string error = driver.step(bytes.data(), bytes.size(), &pos);
            ASSERT_EQ(error, "") << "seed " << seed << " step " << step;
        }
        EXPECT_GT(driver.successes(), 100u) << "seed " << seed;
        ASSERT_EQ(driver.drain(), "") << "seed " << seed;
    }
}

// ---- concurrency -----------------------------------------------------------------------------------

TEST_F(PageTypesTest, ConcurrentUpdatesPinsAndForeignMappings) {
    // domU: one pinned L4 tree with 4 L1s; shared targets mapped by all of them.
    const Tree tree = build_tree(kDomU, 4, 4);
    ASSERT_EQ(t.pin(tree.l4, PageType::L4, kDomU), Status::Ok);
    std::vector<Pfn> targets;
    for (int i = 0; i < 16; ++i)
        targets.push_back(alloc(kDomU));
    std::vector<Pfn> pinnable;  // blank pages the racers pin and unpin as L1s
    for (int i = 0; i < 4; ++i)
        pinnable.push_back(alloc(kDomU));
    const Pfn dom0_l1 = alloc(kDom0);
    ASSERT_EQ(t.pin(dom0_l1, PageType::L1, kDom0), Status::Ok);

    // Enough to interleave thoroughly; the ticket lock hands over in FIFO order, so on an oversubscribed
    // host every acquisition may wait for a descheduled thread.
    constexpr int kIterations = 4000;
    std::atomic<bool> go{false};
    auto updater = [&](unsigned which, uint32_t seed) {
        std::mt19937 rng(seed);
        while (!go.load()) {
        }
        for (int i = 0; i < kIterations; ++i) {
            const Pfn l1 = tree.l1[(which + rng()) % 4];  // both threads update all four L1s
            const unsigned slot = 8 + rng() % 16;
            const Pfn target = (rng() % 4 == 0) ? pinnable[rng() % 4] : targets[rng() % targets.size()];
            const uint64_t flags = (rng() % 3 == 0) ? ro(kDataFlags) : kDataFlags;
            const uint64_t entry = (rng() % 5 == 0) ? 0 : make_entry(target, flags);
            (void)t.update_entry(l1, slot, entry, kDomU, rng() % 2 == 0);
        }
    };
    auto pinner = [&](uint32_t seed) {
        std::mt19937 rng(seed);
        while (!go.load()) {
        }
        for (int i = 0; i < kIterations; ++i) {
            const Pfn f = pinnable[rng() % pinnable.size()];
            if (rng() % 2)
                (void)t.pin(f, PageType::L1, kDomU);
            else
                (void)t.unpin(f, kDomU);
        }
    };
    auto foreign = [&](uint32_t seed) {  // dom0 maps domU frames writable, lock-free against domU
        std::mt19937 rng(seed);
        while (!go.load()) {
        }
        for (int i = 0; i < kIterations; ++i) {
            const Pfn target = (rng() % 2) ? pinnable[rng() % 4] : targets[rng() % targets.size()];
            const uint64_t entry = (rng() % 3 == 0) ? 0 : make_entry(target, kDataFlags);
            (void)t.update_foreign_entry(dom0_l1, rng() % 8, entry, kDom0, kDomU, false);
        }
    };
    std::vector<std::thread> threads;
    threads.emplace_back(updater, 0, 11);
    threads.emplace_back(updater, 1, 12);
    threads.emplace_back(pinner, 13);
    threads.emplace_back(foreign, 14);
    go.store(true);
    for (auto& th : threads)
        th.join();
    expect_audit();
    // Drain everything: all counts fall back to the allocation references.
    for (Pfn f = 0; f < kFrames; ++f) {
        if (t.is_pinned(f)) {
            ASSERT_EQ(t.unpin(f, t.owner_of(f)), Status::Ok);
        }
    }
    for (Pfn f = 0; f < kFrames; ++f) {
        if (t.owner_of(f) == kOwnerNone)
            continue;
        EXPECT_EQ(t.general_count(f), 1u) << f;
        EXPECT_EQ(t.type_count(f), 0u) << f;
    }
    expect_audit();
}

}  // namespace
}  // namespace hv::pv
