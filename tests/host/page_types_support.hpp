// Test support for PageTypes (host tests and the fuzzer): a fake machine (frames + page contents behind
// the FrameAccess seam), helpers to build entries, a record of references held "externally" (as a
// hypervisor would for CR3/GDT), and audit(): recompute every count from the page contents and compare.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "memory/frame.hpp"
#include "pv/frame_access.hpp"
#include "pv/page_types.hpp"
#include "pv/pte_rules.hpp"

namespace hv::pv::testing {

inline constexpr uint64_t kTableFlags = pte::kPresent | pte::kWritable | pte::kUser | pte::kAccessed | pte::kDirty;
inline constexpr uint64_t kDataFlags = pte::kPresent | pte::kWritable | pte::kUser | pte::kAccessed;

inline uint64_t make_entry(Pfn mfn, uint64_t flags) { return (mfn << kPageShift) | flags; }
inline uint64_t ro(uint64_t entry) { return entry & ~pte::kWritable; }

// The hypervisor's L4 slot entries in the fake: frames far outside the machine, slot 258 the L4 itself.
inline uint64_t fake_hypervisor_slot(Pfn l4_mfn, unsigned i) {
    if (i == 2)
        return make_entry(l4_mfn, pte::kPresent | pte::kWritable | pte::kAccessed);
    return make_entry(0x800000 + i, pte::kPresent | pte::kWritable | pte::kAccessed);
}

// A descriptor page is "bad" in the fake when any of its words equals this.
inline constexpr uint64_t kBadDescriptor = 0x00cf9a000000ffffull ^ 0xdead;

class FakeMachine final : public FrameAccess {
public:
    explicit FakeMachine(size_t frame_count)
        : frames(frame_count), memory(frame_count * kEntriesPerTable, 0), types(frames, *this) {}

    uint64_t* table(Pfn mfn) override {
        if (mfn >= frames.size() || !is_ram(mfn))
            std::abort();
        return &memory[mfn * kEntriesPerTable];
    }
    bool is_ram(Pfn mfn) const override { return mfn < frames.size() && mmio.count(mfn) == 0; }
    bool io_allowed(uint16_t domain, Pfn mfn) const override {
        auto it = io_permissions.find(domain);
        return it != io_permissions.end() && it->second.count(mfn) != 0;
    }
    bool io_capable(uint16_t domain) const override { return io_permissions.count(domain) != 0; }
    bool mmio_read_only(Pfn mfn) const override { return read_only_mmio.count(mfn) != 0; }
    void hypervisor_l4_slots(Pfn l4_mfn, uint64_t out[16]) const override {
        for (unsigned i = 0; i < kHypervisorL4Slots; ++i)
            out[i] = fake_hypervisor_slot(l4_mfn, i);
    }
    Status validate_descriptor_page(uint16_t, Pfn mfn) override {
        const uint64_t* words = &memory[mfn * kEntriesPerTable];
        for (unsigned i = 0; i < kEntriesPerTable; ++i)
            if (words[i] == kBadDescriptor)
                return Status::InvalidArgument;
        return Status::Ok;
    }
    void flush_before_protect(uint16_t, Pfn mfn) override {
        std::lock_guard<std::mutex> guard(log_lock);
        flushes.push_back(mfn);
    }
    void frame_freed(Pfn mfn, bool hypervisor_page) override {
        std::lock_guard<std::mutex> guard(log_lock);
        freed.emplace_back(mfn, hypervisor_page);
    }

    uint64_t& at(Pfn mfn, unsigned index) { return memory[mfn * kEntriesPerTable + index]; }
    void clear(Pfn mfn) { std::memset(&memory[mfn * kEntriesPerTable], 0, kPageSize); }

    std::vector<FrameInfo> frames;
    std::vector<uint64_t> memory;
    std::set<Pfn> mmio;                                // frames that are not RAM
    std::set<Pfn> read_only_mmio;
    std::map<uint16_t, std::set<Pfn>> io_permissions;  // domain -> MMIO frames it may map
    std::mutex log_lock;
    std::vector<Pfn> flushes;
    std::vector<std::pair<Pfn, bool>> freed;
    PageTypes types;
};

// References the test holds through the API, outside any table: general refs, and typed refs (each
// with its general ref, as get_page_and_type takes them).
struct ExternalRefs {
    std::map<Pfn, uint32_t> general;
    std::map<Pfn, uint32_t> typed;
};

// What PageTypes says about one frame, for before/after comparisons. The type is the effective one
// (None at count 0): the type field remembers the last type of an unreferenced frame, which a failed
// validation may change (as in Xen) without any reference or permission changing.
struct FrameSnapshot {
    uint32_t general;
    bool allocated;
    bool hypervisor_page;
    uint16_t owner;
    PageType type;
    uint32_t type_count;
    bool validated;
    bool pinned;
    int linear;
    bool operator==(const FrameSnapshot&) const = default;
};

inline std::vector<FrameSnapshot> snapshot(const FakeMachine& m) {
    const PageTypes& t = m.types;
    std::vector<FrameSnapshot> out;
    out.reserve(m.frames.size());
    for (Pfn f = 0; f < m.frames.size(); ++f)
        out.push_back({t.general_count(f), t.is_allocated(f), t.is_hypervisor_page(f), t.owner_of(f), t.type_of(f),
                       t.type_count(f), t.is_validated(f), t.is_pinned(f), t.linear_count(f)});
    return out;
}

inline std::ostream& operator<<(std::ostream& out, const FrameSnapshot& s) {
    return out << "{general " << s.general << (s.allocated ? " alloc" : "") << (s.hypervisor_page ? " hv" : "")
               << " owner " << s.owner << " type " << static_cast<int>(s.type) << "x" << s.type_count
               << (s.validated ? " valid" : "") << (s.pinned ? " pinned" : "") << " linear " << s.linear << "}";
}

// A failed operation leaves page contents as they were, except that tables which validated completely
// inside a validation that failed further on keep their entry adjustments (adjust_entry() and the MMIO
// flips), as in Xen. Returns "" or the first other change.
inline std::string unexpected_memory_changes(const FakeMachine& m, const std::vector<uint64_t>& before) {
    for (size_t i = 0; i < before.size(); ++i) {
        const uint64_t old_entry = before[i], now = m.memory[i];
        if (old_entry == now)
            continue;
        bool adjustment = false;
        for (unsigned level = 1; level <= 4; ++level)
            adjustment |= adjust_entry(level, old_entry) == now;
        const Pfn target = entry_frame(old_entry);
        if (entry_present(old_entry) && !m.is_ram(target)) {
            uint64_t flip = mmio_cache_flip(old_entry);
            if (entry_writable(old_entry) && m.mmio_read_only(target))
                flip |= pte::kWritable;
            adjustment |= adjust_entry(1, old_entry ^ flip) == now;
        }
        if (!adjustment) {
            std::ostringstream out;
            out << "frame " << i / kEntriesPerTable << " entry " << i % kEntriesPerTable << " changed from " << std::hex
                << old_entry << " to " << now;
            return out.str();
        }
    }
    return "";
}

// Recomputes every general count, type count and linear count from the page contents, the pins, the
// allocation refs and `external`, and checks invariants I1-I6 of page_types.hpp. Returns "" when all
// hold, else a description of the first few violations. Only meaningful while no operation runs.
inline std::string audit(FakeMachine& m, const ExternalRefs& external = {}) {
    PageTypes& t = m.types;
    const size_t n = m.frames.size();
    std::vector<int64_t> general(n, 0), typed(n, 0), writable(n, 0), linear_entries(n, 0), linear_uses(n, 0);
    std::ostringstream errors;
    int error_count = 0;
    auto fail = [&](const std::string& what) {
        if (error_count++ < 8)
            errors << what << "\n";
    };

    for (Pfn f = 0; f < n; ++f) {
        if (!t.has_frame_info(f))
            continue;
        if (t.is_allocated(f))
            general[f] += 1;
        if (t.is_hypervisor_page(f) && t.is_allocated(f))
            writable[f] += 1;  // the permanent Writable ref
        if (t.is_pinned(f)) {
            general[f] += 1;
            typed[f] += 1;
        }
        const PageType type = t.type_of(f);
        if (!is_table_type(type))
            continue;
        if (!t.is_validated(f))
            fail("table " + std::to_string(f) + " has a type count but is not validated");
        const unsigned level = table_level(type);
        const bool io_capable = m.io_capable(t.owner_of(f));
        for (unsigned i = 0; i < kEntriesPerTable; ++i) {
            const uint64_t e = m.at(f, i);
            const std::string where = "L" + std::to_string(level) + " " + std::to_string(f) + "[" + std::to_string(i) + "]";
            if (level == 4 && !is_guest_l4_slot(i)) {
                if (e != fake_hypervisor_slot(f, i - kFirstHypervisorL4Slot))
                    fail(where + ": hypervisor slot not installed");
                continue;
            }
            if (!entry_present(e))
                continue;
            if (check_entry(level, e, io_capable) != Status::Ok)
                fail(where + ": disallowed flags");
            if (adjust_entry(level, e) != e)
                fail(where + ": entry not adjusted");
            const Pfn target = entry_frame(e);
            if (level == 1) {
                if (!t.has_frame_info(target)) {
                    if (entry_writable(e) && m.mmio_read_only(target))
                        fail(where + ": read-only MMIO mapped writable");
                    continue;
                }
                general[target] += 1;
                if (entry_writable(e))
                    writable[target] += 1;
                continue;
            }
            if (target == f) {
                if (entry_writable(e))
                    fail(where + ": writable self map");
                continue;
            }
            if (target >= n || !t.has_frame_info(target)) {
                fail(where + ": names a frame without FrameInfo");
                continue;
            }
            general[target] += 1;
            typed[target] += 1;
            const PageType target_type = t.type_of(target);
            if (target_type == type) {
                if (entry_writable(e))
                    fail(where + ": writable linear entry");
                linear_entries[f] += 1;
                linear_uses[target] += 1;
            } else if (target_type != table_type(level - 1)) {
                fail(where + ": names a frame of the wrong type");
            }
            if (t.owner_of(target) != t.owner_of(f))
                fail(where + ": names a frame of another owner");
        }
    }
    for (const auto& [f, count] : external.general)
        general[f] += count;
    for (const auto& [f, count] : external.typed) {
        general[f] += count;
        typed[f] += count;
    }

    for (Pfn f = 0; f < n; ++f) {
        if (!t.has_frame_info(f))
            continue;
        const std::string name = "frame " + std::to_string(f);
        const PageType type = t.type_of(f);
        const int64_t expected_type = type == PageType::Writable ? writable[f] + typed[f] : typed[f];
        if (general[f] != t.general_count(f))
            fail(name + ": general count " + std::to_string(t.general_count(f)) + ", recount " + std::to_string(general[f]));
        if (expected_type != t.type_count(f))
            fail(name + ": type count " + std::to_string(t.type_count(f)) + " (type " +
                 std::to_string(static_cast<int>(type)) + "), recount " + std::to_string(expected_type));
        if (type != PageType::Writable && writable[f] != 0)
            fail(name + ": mapped writable while of type " + std::to_string(static_cast<int>(type)));
        if (linear_entries[f] != 0 && linear_uses[f] != 0)
            fail(name + ": both holds and is the target of linear entries");
        if (linear_entries[f] - linear_uses[f] != t.linear_count(f))
            fail(name + ": linear count " + std::to_string(t.linear_count(f)) + ", recount " +
                 std::to_string(linear_entries[f] - linear_uses[f]));
        if (t.general_count(f) == 0 && (t.type_count(f) != 0 || t.is_pinned(f) || t.owner_of(f) != kOwnerNone))
            fail(name + ": free but typed, pinned or owned");
        if (t.type_count(f) != 0 && t.general_count(f) == 0)
            fail(name + ": typed without a general reference");
        if (t.is_pinned(f) && !is_table_type(type))
            fail(name + ": pinned but not a table");
    }
    return errors.str();
}

}  // namespace hv::pv::testing
