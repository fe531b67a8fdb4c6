// A small fake machine driven by a byte stream: each step decodes one operation (guest write, entry
// update, pin, unpin, typed/general references, release/assign) and applies it to PageTypes. After a
// failed operation it checks that nothing changed (frame state and page contents); after every step it
// runs the full recount audit. Shared by the seeded random test and the fuzzer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tests/host/page_types_support.hpp"

namespace hv::pv::testing {

class OperationDriver {
public:
    // Frames 0-19 dom0, 20-35 dom1, 36-39 free, 40-43 MMIO (dom0 may map 40-42; 42 read-only), 44 a
    // hypervisor page shared with dom1, 45-47 free. Frame numbers 48-49 are beyond the frame table.
    static constexpr size_t kFrames = 48;
    static constexpr uint16_t kDom0 = 0;
    static constexpr uint16_t kDom1 = 1;

    OperationDriver() : machine_(kFrames) { reset(); }

    // A fresh machine in the initial layout (reusing the allocations: the fuzzer runs one driver).
    void reset() {
        machine_.reset();
        external_ = {};
        successes_ = 0;
        for (Pfn f = 40; f < 44; ++f)
            machine_.mmio.insert(f);
        machine_.io_permissions[kDom0] = {40, 41, 42};
        machine_.read_only_mmio.insert(42);
        for (Pfn f = 0; f < 36; ++f)
            (void)machine_.types.assign(f, f < 20 ? kDom0 : kDom1);
        (void)machine_.types.assign_shared(44, kDom1);
    }

    FakeMachine& machine() { return machine_; }
    const ExternalRefs& external() const { return external_; }
    unsigned successes() const { return successes_; }

    // Runs one operation decoded from `bytes` starting at `*pos`; returns "" or a description of the
    // first invariant violation.
    std::string step(const uint8_t* bytes, size_t size, size_t* pos) {
        auto next = [&]() -> uint8_t { return *pos < size ? bytes[(*pos)++] : 0; };
        const uint8_t op = next();
        const Pfn f = next() % kFrames;
        const uint16_t domain = (next() & 1) ? kDom1 : kDom0;
        const uint8_t a = next(), b = next(), c = next();
        const unsigned index = pick_index(a);
        const uint64_t entry = pick_entry(b, c);

        // Every operation but 0, 7, 9 and 10 must leave everything unchanged when it fails.
        const bool checked_op = !(op % 11 == 0 || op % 11 == 7 || op % 11 == 9 || op % 11 == 10);
        std::vector<FrameSnapshot> before;
        if (checked_op) {
            before = snapshot(machine_);
            machine_.begin_tracking();
        }
        Status status = Status::Ok;
        PageTypes& t = machine_.types;
        switch (op % 11) {
        case 0:  // the guest writes a page it can write (no protected type)
            if (t.has_frame_info(f) && t.owner_of(f) != kOwnerNone &&
                (t.type_count(f) == 0 || t.type_of(f) == PageType::Writable))
                machine_.at(f, index) = entry;
            break;
        case 1:
        case 2:
            status = t.update_entry(f, index, entry, (c & 0x40) ? domain : t.owner_of(f), (a & 0x80) != 0);
            break;
        case 3:
            status = t.update_foreign_entry(f, index, entry, kDom0, kDom1, (a & 0x80) != 0);
            break;
        case 4:
            status = t.pin(f, table_type(1 + (a & 3)), (c & 0x40) ? domain : t.owner_of(f));
            break;
        case 5:
            status = t.unpin(f, (c & 0x40) ? domain : t.owner_of(f));
            break;
        case 6: {
            static constexpr PageType kTypes[] = {PageType::L1, PageType::L2, PageType::L3, PageType::L4,
                                                  PageType::SegDesc, PageType::Writable, PageType::Writable,
                                                  PageType::L1};
            status = t.get_page_and_type(f, kTypes[a & 7], (c & 0x40) ? domain : t.owner_of(f));
            if (status == Status::Ok)
                external_.typed[f] += 1;
            break;
        }
        case 7:
            if (auto it = external_.typed.find(f); it != external_.typed.end()) {
                t.put_page_and_type(f);
                if (--it->second == 0)
                    external_.typed.erase(it);
            } else if (auto g = external_.general.find(f); g != external_.general.end()) {
                t.put_page(f);
                if (--g->second == 0)
                    external_.general.erase(g);
            }
            break;
        case 8:
            if (t.is_allocated(f))
                status = t.release(f, (c & 0x40) ? domain : t.owner_of(f));
            else if (f == 44)
                status = t.assign_shared(f, kDom1);
            else
                status = t.assign(f, domain);
            break;
        case 9:
            if (t.get_page(f, domain))
                external_.general[f] += 1;
            break;
        case 10: {  // several entry updates in a row on one table, as a batched mmu_update would
            for (unsigned i = 0; i < 4; ++i)
                (void)t.update_entry(f, pick_index(next()), pick_entry(next(), next()), t.owner_of(f), false);
            break;
        }
        }
        machine_.end_tracking();
        if (status == Status::Ok)
            ++successes_;
        else if (checked_op) {
            // Verified below to have changed nothing, so the last audit still holds.
            std::string change = unexpected_tracked_changes(machine_);
            const auto after = snapshot(machine_);
            for (Pfn g = 0; g < kFrames && change.empty(); ++g)
                if (after[g] != before[g])
                    change = "frame " + std::to_string(g) + " state changed";
            if (!change.empty())
                return "operation " + std::to_string(op % 11) + " on frame " + std::to_string(f) + " failed (" +
                       status_name(status) + ") but changed state: " + change;
            return "";
        }
        // A guest write only touches pages that are not live tables: no count can have moved.
        if (op % 11 == 0)
            return "";
        return audit(machine_, external_);
    }

    // Drops every reference the driver holds and unpins everything, then checks that each frame is back to
    // just its allocation reference (no leaked references anywhere).
    std::string drain() {
        PageTypes& t = machine_.types;
        for (auto& [f, count] : external_.typed)
            for (uint32_t i = 0; i < count; ++i)
                t.put_page_and_type(f);
        for (auto& [f, count] : external_.general)
            for (uint32_t i = 0; i < count; ++i)
                t.put_page(f);
        external_ = {};
        for (Pfn f = 0; f < kFrames; ++f)
            if (t.is_pinned(f))
                (void)t.unpin(f, t.owner_of(f));
        // Pins are the only roots left, so after unpinning no table is live.
        for (Pfn f = 0; f < kFrames; ++f) {
            if (!t.has_frame_info(f))
                continue;
            const uint32_t expected = t.is_allocated(f) ? 1 : 0;
            if (t.general_count(f) != expected || (t.type_count(f) != 0 && !t.is_hypervisor_page(f)))
                return "frame " + std::to_string(f) + " leaked references: general " +
                       std::to_string(t.general_count(f)) + " type " + std::to_string(t.type_count(f));
        }
        return audit(machine_, external_);
    }

private:
    static unsigned pick_index(uint8_t a) {
        static constexpr unsigned kIndices[] = {0, 1, 2, 3, 0, 1, 255, 256, 258, 271, 272, 511, 0, 1, 2, 5};
        return kIndices[a & 15];
    }

    static uint64_t pick_entry(uint8_t b, uint8_t c) {
        static constexpr uint64_t kFlags[] = {
            0,
            pte::kPresent,
            pte::kPresent | pte::kWritable,
            kTableFlags,
            kDataFlags,
            pte::kPresent | pte::kUser | pte::kAccessed,
            pte::kPresent | pte::kWritable | pte::kUser | pte::kAccessed | pte::kDirty | pte::kNoExecute,
            pte::kPresent | pte::kUser | pte::kGlobal,
            pte::kPresent | pte::kAccessed | pte::kDirty | pte::kGuestKernel,
            pte::kWritable | pte::kUser,  // not present
            pte::kPresent | pte::kWritable | pte::kCacheDisable | pte::kWriteThrough,
            pte::kPresent | pte::kPat,
            pte::kPresent | pte::kWritable | pte::kLargePage,
            pte::kPresent | pte::kAvailable | (0x5ull << 53),
            pte::kPresent | pte::kGrantMapping,
            pte::kPresent | pte::kWritable | pte::kGlobal,
        };
        Pfn target = b % 50;
        if ((c & 0x30) == 0x30)
            target = kEntryMaxFrame;
        return make_entry(target, kFlags[c & 15]);
    }

    FakeMachine machine_;
    ExternalRefs external_;
    unsigned successes_ = 0;
};

}  // namespace hv::pv::testing
