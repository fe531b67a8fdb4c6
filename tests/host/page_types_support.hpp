// Test support for PageTypes (host tests and the fuzzer): a fake machine (frames + page contents behind
// the FrameAccess seam), helpers to build entries, a record of references held "externally" (as a
// hypervisor would for CR3/GDT), and audit(): recompute every count from the page contents and compare.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "memory/frame.hpp"
#include "pv/frame_access.hpp"
#include "pv/frame_state.hpp"
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

// A set of frame numbers with constant-time lookup (the fake's is_ram/io_allowed run for every entry).
class FrameSet {
public:
    FrameSet() = default;
    FrameSet(std::initializer_list<Pfn> frames) { *this = frames; }
    FrameSet& operator=(std::initializer_list<Pfn> frames) {
        bits_.clear();
        for (Pfn f : frames)
            insert(f);
        return *this;
    }
    void insert(Pfn f) {
        if (f >= bits_.size())
            bits_.resize(f + 1, 0);
        bits_[f] = 1;
    }
    size_t count(Pfn f) const { return f < bits_.size() ? bits_[f] : 0; }
    void clear() { bits_.clear(); }

private:
    std::vector<uint8_t> bits_;
};

class FakeMachine final : public FrameAccess {
public:
    explicit FakeMachine(size_t frame_count)
        : frames(frame_count),
          memory_(new uint64_t[frame_count * kEntriesPerTable]()),
          saved_(new uint64_t[frame_count * kEntriesPerTable]()),
          touched_(frame_count, 0),
          types(frames, *this) {}

    uint64_t* table(Pfn mfn) {
        if (mfn >= frames.size() || !is_ram(mfn))
            std::abort();
        uint64_t* page = &memory_[mfn * kEntriesPerTable];
        if (tracking_ && !touched_[mfn]) {
            touched_[mfn] = 1;
            touched_list_.push_back(mfn);
            std::memcpy(&saved_[mfn * kEntriesPerTable], page, kPageSize);
        }
        return page;
    }

    // Page-access tracking for one operation: PageTypes reaches page contents only through table(), so the
    // pages it could have changed are exactly those it asked for; each is saved on first access.
    void begin_tracking() {
        for (Pfn f : touched_list_)
            touched_[f] = 0;
        touched_list_.clear();
        tracking_ = true;
    }
    void end_tracking() { tracking_ = false; }
    const std::vector<Pfn>& touched_pages() const { return touched_list_; }
    const uint64_t* saved_page(Pfn mfn) const { return &saved_[mfn * kEntriesPerTable]; }
    bool is_ram(Pfn mfn) const { return mfn < frames.size() && mmio.count(mfn) == 0; }
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
        const uint64_t* words = &memory_[mfn * kEntriesPerTable];
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

    // Back to a blank machine (no frame assigned, zero contents, no MMIO), reusing the allocations.
    void reset() {
        for (FrameInfo& f : frames) {
            f.refcount = 0;
            f.owner = 0;
            f.type_info = 0;
        }
        std::memset(memory_.get(), 0, memory_words() * sizeof(uint64_t));
        mmio.clear();
        read_only_mmio.clear();
        io_permissions.clear();
        flushes.clear();
        freed.clear();
        end_tracking();
    }

    uint64_t& at(Pfn mfn, unsigned index) { return memory_[mfn * kEntriesPerTable + index]; }
    uint64_t at(Pfn mfn, unsigned index) const { return memory_[mfn * kEntriesPerTable + index]; }
    size_t memory_words() const { return frames.size() * kEntriesPerTable; }
    const uint64_t* memory() const { return memory_.get(); }
    // All page contents, for before/after comparisons.
    std::vector<uint64_t> memory_copy() const { return std::vector<uint64_t>(memory_.get(), memory_.get() + memory_words()); }

    std::vector<FrameInfo> frames;
    std::unique_ptr<uint64_t[]> memory_;
    std::unique_ptr<uint64_t[]> saved_;
    std::vector<uint8_t> touched_;
    std::vector<Pfn> touched_list_;
    bool tracking_ = false;
    FrameSet mmio;                                // frames that are not RAM
    FrameSet read_only_mmio;
    std::map<uint16_t, FrameSet> io_permissions;  // domain -> MMIO frames it may map
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

// The audit and the snapshots run after every fuzzer step: keep libFuzzer's comparison tracing out of them
// (their branches say nothing about the code under test).
#if defined(__clang__)
#define HV_AUDIT_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define HV_AUDIT_NO_COVERAGE
#endif

// Decodes a FrameInfo the way PageTypes' queries do (owner_of, type_of, is_validated...), reading the
// words directly so that per-step checks stay cheap.
HV_AUDIT_NO_COVERAGE inline FrameSnapshot decode(const FrameInfo& f) {
    namespace fs = frame_state;
    const uint32_t refs = f.refcount;
    const uint64_t word = f.type_info;
    const uint32_t count = fs::type_refs(word);
    const uint32_t general = fs::ref_count(refs);
    return {general,
            (refs & fs::kAllocated) != 0,
            (refs & fs::kHypervisorPage) != 0,
            general == 0 ? kOwnerNone : f.owner,
            count == 0 ? PageType::None : static_cast<PageType>(fs::type_bits(word)),
            count,
            count != 0 && (word & fs::kValidated) != 0,
            (word & fs::kPinned) != 0,
            fs::linear(word)};
}

HV_AUDIT_NO_COVERAGE inline std::vector<FrameSnapshot> snapshot(const FakeMachine& m) {
    std::vector<FrameSnapshot> out(m.frames.size());
    for (size_t f = 0; f < m.frames.size(); ++f)
        out[f] = decode(m.frames[f]);
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
HV_AUDIT_NO_COVERAGE inline std::string unexpected_changes(const FakeMachine& m, const uint64_t* before, const uint64_t* after,
                                                      size_t words, size_t first_word) {
    if (std::memcmp(before, after, words * sizeof(uint64_t)) == 0)
        return "";
    for (size_t i = 0; i < words; ++i) {
        const uint64_t old_entry = before[i], now = after[i];
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
            out << "frame " << (first_word + i) / kEntriesPerTable << " entry " << (first_word + i) % kEntriesPerTable
                << " changed from " << std::hex << old_entry << " to " << now;
            return out.str();
        }
    }
    return "";
}

inline std::string unexpected_memory_changes(const FakeMachine& m, const std::vector<uint64_t>& before) {
    return unexpected_changes(m, before.data(), m.memory(), m.memory_words(), 0);
}

// The same over the pages PageTypes touched since begin_tracking().
inline std::string unexpected_tracked_changes(const FakeMachine& m) {
    for (Pfn f : m.touched_pages()) {
        const size_t first = f * kEntriesPerTable;
        std::string change = unexpected_changes(m, m.saved_page(f), m.memory() + first, kEntriesPerTable, first);
        if (!change.empty())
            return change;
    }
    return "";
}

// Recomputes every general count, type count and linear count from the page contents, the pins, the
// allocation refs and `external`, and checks invariants I1-I7 of page_types.hpp. Returns "" when all
// hold, else a description of the first few violations. Only meaningful while no operation runs.
HV_AUDIT_NO_COVERAGE inline std::string audit(FakeMachine& m, const ExternalRefs& external = {}) {
    const size_t n = m.frames.size();
    struct Facts {
        bool ram;
        FrameSnapshot state;
        PageType type;
        uint16_t owner;
        int64_t general = 0, typed = 0, writable = 0, linear_entries = 0, linear_uses = 0;
    };
    std::vector<Facts> facts(n);
    for (Pfn f = 0; f < n; ++f) {
        const FrameSnapshot state = decode(m.frames[f]);
        facts[f] = {m.is_ram(f), state, state.type, state.owner};
    }
    auto ram = [&](Pfn f) { return f < n && facts[f].ram; };

    std::ostringstream errors;
    int error_count = 0;
    auto fail = [&](auto&& describe) {
        if (error_count++ < 8)
            errors << describe() << "\n";
    };

    for (Pfn f = 0; f < n; ++f) {
        if (!facts[f].ram)
            continue;
        const FrameSnapshot& state = facts[f].state;
        if (state.allocated)
            facts[f].general += 1;
        if (state.hypervisor_page && state.allocated)
            facts[f].writable += 1;  // the permanent Writable ref
        if (state.pinned) {
            facts[f].general += 1;
            facts[f].typed += 1;
        }
        const PageType type = facts[f].type;
        if (!is_table_type(type))
            continue;
        if (!state.validated)
            fail([&] { return "table " + std::to_string(f) + " has a type count but is not validated"; });
        const unsigned level = table_level(type);
        const bool io_capable = m.io_capable(facts[f].owner);
        const uint64_t* page = m.memory() + f * kEntriesPerTable;
        for (unsigned i = 0; i < kEntriesPerTable; ++i) {
            const uint64_t e = page[i];
            auto where = [&] {
                return "L" + std::to_string(level) + " " + std::to_string(f) + "[" + std::to_string(i) + "]";
            };
            if (level == 4 && !is_guest_l4_slot(i)) {
                if (e != fake_hypervisor_slot(f, i - kFirstHypervisorL4Slot))
                    fail([&] { return where() + ": hypervisor slot not installed"; });
                continue;
            }
            if (!entry_present(e))
                continue;
            if (check_entry(level, e, io_capable) != Status::Ok)
                fail([&] { return where() + ": disallowed flags"; });
            if (adjust_entry(level, e) != e)
                fail([&] { return where() + ": entry not adjusted"; });
            const Pfn target = entry_frame(e);
            if (level == 1) {
                if (!ram(target)) {
                    if (entry_writable(e) && m.mmio_read_only(target))
                        fail([&] { return where() + ": read-only MMIO mapped writable"; });
                    continue;
                }
                facts[target].general += 1;
                if (entry_writable(e))
                    facts[target].writable += 1;
                continue;
            }
            if (target == f) {
                if (entry_writable(e))
                    fail([&] { return where() + ": writable self map"; });
                continue;
            }
            if (!ram(target)) {
                fail([&] { return where() + ": names a frame without FrameInfo"; });
                continue;
            }
            facts[target].general += 1;
            facts[target].typed += 1;
            const PageType target_type = facts[target].type;
            if (target_type == type) {
                if (entry_writable(e))
                    fail([&] { return where() + ": writable linear entry"; });
                facts[f].linear_entries += 1;
                facts[target].linear_uses += 1;
            } else if (target_type != table_type(level - 1)) {
                fail([&] { return where() + ": names a frame of the wrong type"; });
            }
            if (facts[target].owner != facts[f].owner)
                fail([&] { return where() + ": names a frame of another owner"; });
        }
    }
    for (const auto& [f, count] : external.general)
        facts[f].general += count;
    for (const auto& [f, count] : external.typed) {
        facts[f].general += count;
        facts[f].typed += count;
    }

    for (Pfn f = 0; f < n; ++f) {
        if (!facts[f].ram) {
            if (facts[f].state.general != 0)
                fail([&] { return "frame " + std::to_string(f) + ": not RAM but referenced (I7)"; });
            continue;
        }
        const Facts& x = facts[f];
        auto name = [&] { return "frame " + std::to_string(f); };
        const uint32_t general = x.state.general, typed = x.state.type_count;
        const int linear = x.state.linear;
        const bool pinned = x.state.pinned;
        const int64_t expected_type = x.type == PageType::Writable ? x.writable + x.typed : x.typed;
        if (x.general != general)
            fail([&] { return name() + ": general count " + std::to_string(general) + ", recount " + std::to_string(x.general); });
        if (expected_type != typed)
            fail([&] {
                return name() + ": type count " + std::to_string(typed) + " (type " + std::to_string(static_cast<int>(x.type)) +
                       "), recount " + std::to_string(expected_type);
            });
        if (x.type != PageType::Writable && x.writable != 0)
            fail([&] { return name() + ": mapped writable while of type " + std::to_string(static_cast<int>(x.type)); });
        if (x.linear_entries != 0 && x.linear_uses != 0)
            fail([&] { return name() + ": both holds and is the target of linear entries"; });
        if (x.linear_entries - x.linear_uses != linear)
            fail([&] {
                return name() + ": linear count " + std::to_string(linear) + ", recount " +
                       std::to_string(x.linear_entries - x.linear_uses);
            });
        if (general == 0 && (typed != 0 || pinned || x.owner != kOwnerNone))
            fail([&] { return name() + ": free but typed, pinned or owned"; });
        if (pinned && !is_table_type(x.type))
            fail([&] { return name() + ": pinned but not a table"; });
    }
    return errors.str();
}

}  // namespace hv::pv::testing
