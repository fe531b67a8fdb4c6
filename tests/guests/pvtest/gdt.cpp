// Descriptor tables (spec §4.3, §4.7, §6.9, §9.7): set_gdt with a read-only frame,
// loading a selector from it, update_descriptor's validation.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

constexpr uint64_t flat_data_dpl3 = 0x00cff3000000ffffull;
constexpr uint64_t flat_code64_dpl3 = 0x00affb000000ffffull;
constexpr uint64_t flat_data_dpl0 = 0x00cf93000000ffffull;
constexpr uint64_t tss_descriptor = 0x0000890000000067ull;  // a system descriptor
constexpr uint16_t data_selector = (5 << 3) | 3;

constinit uint64_t g_gdt_page = 0;
constinit uint64_t g_frames[1];
constinit uint16_t g_selector = 0;

int64_t set_gdt(const uint64_t* frames, uint32_t entries) {
    return hypercall2(Hypercall::set_gdt, frames, entries);
}

int64_t update_descriptor(uint64_t machine_address, uint64_t descriptor) {
    return hypercall2(Hypercall::update_descriptor, machine_address, descriptor);
}

// A GDT page with flat code/data descriptors at entries 5 and 6, read-only and
// installed; kept for the rest of the run (the guest has no other GDT).
int64_t install_gdt() {
    if (g_gdt_page != 0)
        return 0;
    const uint64_t page = pool_alloc();
    if (page == 0)
        return -1;
    auto* entries = reinterpret_cast<uint64_t*>(page);
    entries[5] = flat_data_dpl3;
    entries[6] = flat_code64_dpl3;
    if (const int64_t rc = remap_page(page, pte_kernel_ro); rc != 0)
        return rc;
    g_frames[0] = va_to_mfn(page);
    const int64_t rc = set_gdt(g_frames, 16);
    if (rc == 0)
        g_gdt_page = page;
    return rc;
}

uint64_t gdt_entry_address(unsigned index) {
    return (va_to_mfn(g_gdt_page) << 12) + index * 8;
}

}  // namespace

GUEST_TEST(set_gdt_writable_frame_is_refused) {
    const uint64_t page = pool_alloc();
    ASSERT_NE(page, 0u);
    static uint64_t frames[1];
    frames[0] = va_to_mfn(page);
    EXPECT_ERRNO(set_gdt(frames, 16), einval);
    pool_free(page);
}

GUEST_TEST(set_gdt_too_many_entries) {
    static uint64_t frames[16];
    EXPECT_ERRNO(set_gdt(frames, xen::first_reserved_gdt_entry + 1), einval);
}

GUEST_TEST(set_gdt_and_load_data_selector) {
    ASSERT_EQ(install_gdt(), 0);
    g_selector = data_selector;
    TrapRecord trap{};
    EXPECT_FALSE(catch_trap(
        [] {
            uint16_t loaded;
            asm volatile("mov %1, %%ds; mov %%ds, %0; mov %2, %%ds" : "=r"(loaded) : "r"(g_selector), "r"(0));
            g_selector = loaded;
        },
        &trap));
    EXPECT_EQ(g_selector, data_selector);
}

GUEST_TEST(update_descriptor_validates) {
    ASSERT_EQ(install_gdt(), 0);
    const volatile uint64_t* entries = reinterpret_cast<const volatile uint64_t*>(g_gdt_page);
    EXPECT_EQ(update_descriptor(gdt_entry_address(7), flat_data_dpl3), 0);
    EXPECT_EQ(entries[7], flat_data_dpl3);
    // A data segment for ring 0 is accepted with its DPL raised to the guest kernel's 3.
    EXPECT_EQ(update_descriptor(gdt_entry_address(8), flat_data_dpl0), 0);
    EXPECT_EQ(entries[8], flat_data_dpl3);
    EXPECT_ERRNO(update_descriptor(gdt_entry_address(9), tss_descriptor), einval);
    EXPECT_ERRNO(update_descriptor(gdt_entry_address(9) + 4, flat_data_dpl3), einval);  // misaligned
    EXPECT_EQ(update_descriptor(gdt_entry_address(9), 0), 0);  // not present is always fine
}
