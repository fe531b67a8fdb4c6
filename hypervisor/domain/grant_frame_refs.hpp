// The page references grant operations take and drop on every copy and mapping, on a
// fast path beside the page-type core (pv/page_types.hpp), which stays the authority.
//
// The fast path performs only transitions that cannot change a frame's state:
//   - a general reference added to a frame whose count is already non-zero (and below the
//     core's limit), kept only if the frame belongs to the expected domain;
//   - a general reference dropped while others remain (the count stays non-zero);
//   - a Writable type reference added to a frame already Writable, validated and counted;
//   - a Writable type reference dropped while others remain.
// Each is one compare-exchange of the word the core itself compare-exchanges, with the
// core's own encoding (pv/frame_state.hpp), so it is indistinguishable from the core doing
// it. Everything else — a count at 0 or 1, a frame of another type, an owner mismatch, a
// frame without FrameInfo — goes to the core, which decides (and frees, validates, or
// refuses). In particular no count is ever raised from 0 (the core's I6) and no type
// changes here (I1).
//
// `frames` is the core's frame table (the same span it was built on).
//
// A frame that the core never counted (MMIO, holes, the first MiB) has count 0 and so
// always takes the core's path, which applies its RAM check.
#pragma once

#include <cstdint>
#include <span>

#include "memory/frame.hpp"
#include "pv/frame_state.hpp"
#include "pv/page_types.hpp"

namespace hv {

class GrantFrameRefs {
public:
    constexpr GrantFrameRefs() = default;
    GrantFrameRefs(std::span<FrameInfo> frames, pv::PageTypes& core) : frames_(frames), core_(&core) {}

    bool attached() const { return core_ != nullptr; }

    // PageTypes::get_page: a general reference to `mfn`, which must belong to `owner`.
    [[nodiscard]] bool get_page(Pfn mfn, uint16_t owner) {
        using namespace pv::frame_state;
        if (mfn >= frames_.size())
            return false;
        FrameInfo& f = frames_[mfn];
        uint32_t word = load_ref(f);
        for (;;) {
            const uint32_t count = ref_count(word);
            if (count == 0 || count >= kCountLimit)
                return core_->get_page(mfn, owner);
            if (exchange_ref(f, word, word + 1))
                break;
        }
        // Our reference pins the owner: it cannot change while the count is non-zero.
        if (load_owner(f) == owner)
            return true;
        put_page(mfn);
        return false;
    }

    // PageTypes::put_page.
    void put_page(Pfn mfn) { put_page(frames_[mfn], mfn); }

    // PageTypes::get_type(mfn, Writable, owner). The caller holds a general reference it
    // took with get_page(mfn, owner), which pins the owner (see get_page), so the fast
    // path need not check it again; the core's path does anyway.
    [[nodiscard]] bool get_writable(Pfn mfn, uint16_t owner) {
        using namespace pv::frame_state;
        FrameInfo& f = frames_[mfn];
        uint64_t word = load_type(f);
        while (writable_and_counted(word) && type_refs(word) < kTypeCountMask - 1)
            if (exchange_type(f, word, word + 1))
                return true;
        return core_->get_type(mfn, pv::PageType::Writable, owner) == Status::Ok;
    }

    // PageTypes::put_type of a Writable reference.
    void put_writable(Pfn mfn) { put_writable(frames_[mfn], mfn); }

    // put_writable() then put_page(), with the frame's address computed once.
    void put_writable_page(Pfn mfn) {
        FrameInfo& f = frames_[mfn];
        put_writable(f, mfn);
        put_page(f, mfn);
    }

private:
    void put_page(FrameInfo& f, Pfn mfn) {
        using namespace pv::frame_state;
        uint32_t word = load_ref(f);
        while (ref_count(word) > 1)
            if (exchange_ref(f, word, word - 1))
                return;
        core_->put_page(mfn);  // possibly the last reference: the core frees the frame
    }
    void put_writable(FrameInfo& f, Pfn mfn) {
        using namespace pv::frame_state;
        uint64_t word = load_type(f);
        while (writable_and_counted(word) && type_refs(word) > 1)
            if (exchange_type(f, word, word - 1))
                return;
        core_->put_type(mfn);
    }
    static bool writable_and_counted(uint64_t word) {
        return pv::frame_state::live_type(word, static_cast<uint8_t>(pv::PageType::Writable));
    }

    std::span<FrameInfo> frames_;
    pv::PageTypes* core_ = nullptr;
};

}  // namespace hv
