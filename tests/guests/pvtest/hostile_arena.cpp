#include "hostile_arena.hpp"

#include "guest.hpp"

extern "C" const char __image_start[];

namespace pvtest::hostile {
namespace {

// Protected frames as a bitmap over MFNs (covers 4 GiB of RAM; set_up_arena fails if a
// protected frame lies above).
constexpr uint64_t bitmap_frames = 1ull << 20;
constinit uint64_t g_protected[bitmap_frames / 64];
constinit Arena g_arena{};

constexpr uint64_t frame_field = 0x000ffffffffff000ull;
// PTE frames that may be device MMIO or MMCONFIG (PCI hole, IOAPIC, HPET, chipset,
// LAPIC) or memory-mapped I/O above 4 GiB; up to 2^28 frames, beyond which no
// machine address is valid at all.
constexpr uint64_t device_hole_start = 0xb0000, device_hole_end = 0xfff00;
constexpr uint64_t high_mmio_start = 0x100000, high_mmio_end = 1ull << 28;

void mark(uint64_t mfn) {
    g_protected[mfn / 64] |= 1ull << (mfn % 64);
}

bool forbidden_in_pte(uint64_t frame) {
    return (frame >= device_hole_start && frame < device_hole_end) ||
           (frame >= high_mmio_start && frame < high_mmio_end) || is_protected_mfn(frame);
}

uint64_t image_base() {
    return reinterpret_cast<uint64_t>(__image_start);
}

}  // namespace

uint64_t Random::next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
}

bool set_up_arena(Arena* out) {
    // 3 command pages + general + victims + vcpu_info page + 6 guards.
    const uint64_t total = 3 + general_pages + victim_pages + 1 + 6;
    const uint64_t base = guest::pool_alloc(total);
    if (base == 0)
        return false;
    Arena a{};
    uint64_t va = base;
    int guard = 0;
    auto take = [&](uint64_t pages) {
        const uint64_t start = va;
        va += pages * guest::page_size;
        return start;
    };
    a.guards[guard++] = take(1);
    a.updates = take(1);
    a.guards[guard++] = take(1);
    a.extended = take(1);
    a.guards[guard++] = take(1);
    a.multicalls = take(1);
    a.guards[guard++] = take(1);
    a.general = take(general_pages);
    a.guards[guard++] = take(1);
    a.victims = take(victim_pages);
    a.guards[guard++] = take(1);
    a.vcpu_info_page = take(1);
    for (uint64_t i = 0; i < victim_pages; ++i)
        a.victim_mfns[i] = guest::va_to_mfn(a.victims + i * guest::page_size);

    // Every page of the initial mapping except the victims is protected.
    const uint64_t end = guest::initial_mapping_end();
    for (uint64_t page = image_base(); page < end; page += guest::page_size) {
        if (page >= a.victims && page < a.victims + victim_pages * guest::page_size)
            continue;
        const uint64_t mfn = guest::va_to_mfn(page);
        if (mfn >= bitmap_frames) {
            guest::guest_printf("hostile: protected mfn %#llx beyond the bitmap\n", static_cast<unsigned long long>(mfn));
            return false;
        }
        mark(mfn);
    }

    const int64_t max_ram = guest::memory_op(xen::MemoryOp::maximum_ram_page, nullptr);
    a.max_ram_page = max_ram > 0 ? static_cast<uint64_t>(max_ram) : 0x40000;
    a.page_table_vas[0] = guest::start_info()->pt_base;
    for (int level = 3; level >= 1; --level) {
        guest::PteLocation entry{};
        a.page_table_vas[4 - level] = guest::find_entry(image_base(), level, &entry, true) ? entry.table_va
                                                                                           : a.page_table_vas[0];
    }
    for (uint64_t g : a.guards)
        if (g != 0 && guest::update_va_mapping(g, 0, xen::uvmf::invlpg) != 0)
            return false;
    g_arena = a;
    *out = a;
    return true;
}

const Arena& arena() {
    return g_arena;
}

bool is_protected_va(uint64_t va) {
    if (va < image_base() || va >= guest::initial_mapping_end())
        return false;
    return !(va >= g_arena.victims && va < g_arena.victims + victim_pages * guest::page_size);
}

bool is_protected_mfn(uint64_t mfn) {
    return mfn < bitmap_frames && ((g_protected[mfn / 64] >> (mfn % 64)) & 1) != 0;
}

uint64_t victim_va(Random& rng) {
    return g_arena.victims + rng.below(victim_pages) * guest::page_size;
}

uint64_t victim_mfn(Random& rng) {
    return g_arena.victim_mfns[rng.below(victim_pages)];
}

uint64_t victim_pte(Random& rng) {
    static constexpr uint64_t flag_sets[] = {0x1, 0x3, 0x7, 0x23, 0x63, 0x67, 0x5, 0x8000000000000063ull, 0x1f,
                                             0x80 | 0x63, 0x10000000000063ull, 0x4000000000000063ull, 0xe63};
    return (victim_mfn(rng) << 12) | flag_sets[rng.below(sizeof(flag_sets) / sizeof(flag_sets[0]))];
}

uint64_t sanitize(Random& rng, uint64_t value) {
    if (is_protected_va(value))
        return victim_va(rng) | (value & 0xff8);
    if (is_protected_mfn(value))
        return victim_mfn(rng);
    // As a PTE or machine address: the frame field. A machine address names its target
    // whether or not bit 0 is set; a device frame matters only in a present PTE.
    const uint64_t frame = (value & frame_field) >> 12;
    if (is_protected_mfn(frame) || ((value & 1) != 0 && forbidden_in_pte(frame)))
        value = (value & ~frame_field) | (victim_mfn(rng) << 12);
    // 32-bit frame fields (grant v1 entries, some physdev structs).
    const uint64_t low = value & 0xffffffffu, high = value >> 32;
    if (is_protected_mfn(low))
        value = (value & ~0xffffffffull) | victim_mfn(rng);
    if (is_protected_mfn(high))
        value = (value & 0xffffffffull) | (victim_mfn(rng) << 32);
    return value;
}

uint64_t general_slot(Random& rng, uint64_t bytes) {
    const uint64_t size = general_pages * guest::page_size;
    const uint64_t room = bytes < size ? size - bytes : 0;
    return g_arena.general + (rng.below(room + 1) & ~7ull);
}

uint64_t random_pointer(Random& rng, PointerUse use) {
    switch (rng.below(use == PointerUse::readonly ? 11 : 10)) {
        case 0:
        case 1:
        case 2:
            return general_slot(rng, 64) + (rng.one_in(8) ? rng.below(8) : 0);
        case 3:
        case 4:
            return victim_va(rng) + (rng.below(guest::page_size) & ~7ull);
        case 5:
            return g_arena.guards[rng.below(6)] + (rng.below(guest::page_size) & ~7ull);
        case 6:
            // The read-only M2P, or deeper in the hypervisor's range.
            return rng.one_in(2) ? xen::mach2phys_virt_start + (rng.below(1ull << 24) & ~7ull)
                                 : xen::hypervisor_virt_start + (rng.below(xen::hypervisor_virt_end -
                                                                            xen::hypervisor_virt_start) &
                                                                 ~7ull);
        case 7:
            return rng.one_in(2) ? 0x8000000000000000ull | (rng.next() & 0x7ffffffffff8ull)
                                 : 0x0000800000000000ull + (rng.below(1ull << 20) & ~7ull);
        case 8:
            return 0x1000 + (rng.below(1ull << 32) & ~7ull);
        case 9:
            return 0;
        default:
            return g_arena.page_table_vas[rng.below(4)] + rng.below(512) * 8;
    }
}

uint64_t random_value(Random& rng) {
    static constexpr uint64_t boundaries[] = {0x7fffffff,         0x80000000,          0xffffffff,
                                              1ull << 32,         1ull << 63,          0x7fffffffffffffffull,
                                              0xffff800000000000, 0x00007ffffffff000, 4096,
                                              0x80000000u | 1,   0xfffffffffffff000};
    static constexpr uint64_t domains[] = {xen::domid_self, xen::domid_io, xen::domid_xen, xen::domid_invalid,
                                           0, 1, 0x7fff, 0xffff, (1u << 16) | xen::domid_self};
    uint64_t v = 0;
    switch (rng.below(20)) {
        case 0: v = 0; break;
        case 1: v = 1; break;
        case 2: v = rng.below(16); break;
        case 3: v = rng.below(4096); break;
        case 4: v = ~0ull; break;
        case 5: v = static_cast<uint64_t>(-static_cast<int64_t>(rng.below(64))); break;
        case 6: v = boundaries[rng.below(sizeof(boundaries) / sizeof(boundaries[0]))]; break;
        case 7: v = domains[rng.below(sizeof(domains) / sizeof(domains[0]))]; break;
        case 8: v = rng.next(); break;
        case 9: v = rng.next() & 0xffffffffu; break;
        case 10: v = victim_mfn(rng); break;
        case 11: v = (victim_mfn(rng) << 12) | rng.below(4); break;
        case 12: v = victim_pte(rng); break;
        case 13: v = guest::start_info()->shared_info | (rng.one_in(2) ? 0x63 : rng.below(4)); break;
        case 14: v = random_pointer(rng, PointerUse::readonly); break;
        case 15: v = victim_va(rng) + (rng.below(guest::page_size) & ~7ull); break;
        case 16: v = rng.below(g_arena.max_ram_page); break;
        case 17: v = (rng.below(g_arena.max_ram_page) << 12) | 0x63; break;
        case 18: v = xen::hypervisor_virt_start + (rng.next() & 0x7fffffffff8ull); break;
        default: v = 0x8000000000000000ull | rng.next(); break;
    }
    return sanitize(rng, v);
}

void fill_random(Random& rng, uint64_t va, uint64_t count) {
    auto* words = reinterpret_cast<volatile uint64_t*>(va);
    for (uint64_t i = 0; i < count; ++i)
        words[i] = random_value(rng);
}

}  // namespace pvtest::hostile
