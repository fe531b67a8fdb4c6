// GrantFrameRefs (domain/grant_frame_refs.hpp): the grant operations' fast path for page
// references must leave every frame exactly as the page-type core would, take the core's
// path for every state change (first/last reference, type change, freeing), and refuse
// what the core refuses. Checked with the core's full recount audit.
#include <gtest/gtest.h>

#include "domain/grant_frame_refs.hpp"
#include "tests/host/page_types_support.hpp"

namespace hv {
namespace {

using pv::PageType;
using pv::testing::audit;
using pv::testing::ExternalRefs;
using pv::testing::FakeMachine;

constexpr uint16_t kOwner = 1;
constexpr uint16_t kOther = 2;
constexpr Pfn kPage = 4;
constexpr Pfn kL1 = 5;
constexpr Pfn kFree = 6;
constexpr Pfn kMmio = 7;

class GrantFrameRefsTest : public ::testing::Test {
protected:
    GrantFrameRefsTest() : m(16), refs(m.frames, m.types) {
        m.mmio.insert(kMmio);
        EXPECT_EQ(m.types.assign(kPage, kOwner), Status::Ok);
        EXPECT_EQ(m.types.assign(kL1, kOwner), Status::Ok);
        EXPECT_EQ(m.types.pin(kL1, PageType::L1, kOwner), Status::Ok);
    }

    FakeMachine m;
    GrantFrameRefs refs;
};

TEST_F(GrantFrameRefsTest, GeneralReferencesMatchTheCore) {
    ExternalRefs external;
    for (unsigned i = 1; i <= 3; ++i) {
        ASSERT_TRUE(refs.get_page(kPage, kOwner));
        external.general[kPage] = i;
        EXPECT_EQ(m.types.general_count(kPage), 1 + i);
        EXPECT_EQ(audit(m, external), "");
    }
    for (unsigned i = 3; i >= 1; --i) {
        refs.put_page(kPage);
        external.general[kPage] = i - 1;
        EXPECT_EQ(audit(m, external), "");
    }
    EXPECT_EQ(m.types.general_count(kPage), 1u);
}

TEST_F(GrantFrameRefsTest, RefusesWhatTheCoreRefuses) {
    EXPECT_FALSE(refs.get_page(kPage, kOther));  // someone else's frame
    EXPECT_FALSE(refs.get_page(kFree, kOwner));  // count 0: never revived
    EXPECT_FALSE(refs.get_page(kMmio, kOwner));  // no FrameInfo counts
    EXPECT_FALSE(refs.get_page(1000, kOwner));   // beyond the frame table
    EXPECT_EQ(m.types.general_count(kPage), 1u);
    EXPECT_EQ(m.types.general_count(kFree), 0u);
    ASSERT_TRUE(refs.get_page(kL1, kOwner));
    EXPECT_FALSE(refs.get_writable(kL1, kOwner));  // a page table is never writable
    refs.put_page(kL1);
    EXPECT_EQ(audit(m), "");
}

TEST_F(GrantFrameRefsTest, LastReferenceGoesThroughTheCoreAndFreesTheFrame) {
    ASSERT_TRUE(refs.get_page(kPage, kOwner));
    ASSERT_EQ(m.types.release(kPage, kOwner), Status::Ok);  // the owner gives it up meanwhile
    EXPECT_TRUE(m.freed.empty());
    refs.put_page(kPage);
    ASSERT_EQ(m.freed.size(), 1u);
    EXPECT_EQ(m.freed[0].first, kPage);
    EXPECT_EQ(m.types.owner_of(kPage), pv::kOwnerNone);
    EXPECT_EQ(audit(m), "");
}

TEST_F(GrantFrameRefsTest, WritableReferencesMatchTheCore) {
    ExternalRefs external;
    // First writable ref: a type change, done by the core; then the fast path counts.
    for (unsigned i = 1; i <= 3; ++i) {
        ASSERT_TRUE(refs.get_page(kPage, kOwner));
        ASSERT_TRUE(refs.get_writable(kPage, kOwner));
        external.typed[kPage] = i;
        EXPECT_EQ(m.types.type_of(kPage), PageType::Writable);
        EXPECT_EQ(m.types.type_count(kPage), i);
        EXPECT_EQ(audit(m, external), "");
    }
    for (unsigned i = 3; i >= 1; --i) {
        refs.put_writable(kPage);
        refs.put_page(kPage);
        external.typed[kPage] = i - 1;
        EXPECT_EQ(audit(m, external), "");
    }
    EXPECT_EQ(m.types.type_count(kPage), 0u);
    // With no writable ref left the frame may become a table again.
    EXPECT_EQ(m.types.pin(kPage, PageType::L1, kOwner), Status::Ok);
    EXPECT_EQ(audit(m), "");
}

}  // namespace
}  // namespace hv
