// The v1 shared entry as the hypervisor must treat it: memory the granting guest may
// write at any moment. Every read is one atomic load into a local that is then checked
// and used; every change is a compare-exchange (or an atomic AND for clearing flags) that
// re-checks what the guest may have changed in between (Xen _set_status_v1,
// reduce_status_for_pin, gnttab_clear_flags).
//
// The first 32 bits of an entry are {u16 flags; u16 domid}, read and swapped as one word
// (little-endian: flags in bits 0-15, domid in 16-31); `frame` is read once, when a grant
// is first pinned.
#pragma once

#include <cstddef>
#include <cstdint>

#include "grant/grant_seams.hpp"
#include "hypercall/public/grant_table.hpp"

namespace hv::grant {

// Pin counts of an active entry (Xen GNTPIN_*): four 8-bit counters in one word.
namespace pin {
inline constexpr uint32_t host_write = 1u << 0;
inline constexpr uint32_t host_read = 1u << 8;
inline constexpr uint32_t device_write = 1u << 16;
inline constexpr uint32_t device_read = 1u << 24;
inline constexpr uint32_t counter_mask = 0xff;
inline constexpr uint32_t host_write_mask = counter_mask << 0;
inline constexpr uint32_t host_read_mask = counter_mask << 8;
inline constexpr uint32_t device_write_mask = counter_mask << 16;
inline constexpr uint32_t device_read_mask = counter_mask << 24;
inline constexpr uint32_t writable_mask = host_write_mask | device_write_mask;
// A use adding `increment` (a sum of the units above) is refused when any counter it
// touches already has its top bit set, so no counter can wrap.
constexpr uint32_t overflow_mask(uint32_t increment) { return increment << 7; }
}  // namespace pin

class SharedEntry {
public:
    SharedEntry() = default;
    explicit SharedEntry(xen::GrantEntryV1* entry) : entry_(entry) {}

    // False once the table's frames were given back (teardown): nothing to update then.
    bool valid() const { return entry_ != nullptr; }
    xen::GrantEntryV1* get() const { return entry_; }

    static constexpr uint16_t flags_of(uint32_t header) { return static_cast<uint16_t>(header); }
    static constexpr DomainId domid_of(uint32_t header) { return static_cast<DomainId>(header >> 16); }
    static constexpr uint32_t header_of(uint16_t flags, DomainId domid) {
        return flags | (static_cast<uint32_t>(domid) << 16);
    }

    uint32_t load_header() const { return __atomic_load_n(header(), __ATOMIC_ACQUIRE); }
    uint32_t load_frame() const { return __atomic_load_n(&entry_->frame, __ATOMIC_ACQUIRE); }
    // On failure `expected` receives the value found.
    bool compare_exchange_header(uint32_t& expected, uint32_t desired) {
        return __atomic_compare_exchange_n(header(), &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    }
    // Clears `mask` in the flags without touching the domid half (Xen gnttab_clear_flags).
    void clear_flags(uint16_t mask) { __atomic_fetch_and(&entry_->flags, static_cast<uint16_t>(~mask), __ATOMIC_ACQ_REL); }

    // The whole entry, for GNTTABOP_swap_grant_ref (two 32-bit halves, each atomic).
    uint64_t load_raw() const {
        return load_header() | (static_cast<uint64_t>(load_frame()) << 32);
    }
    void store_raw(uint64_t value) {
        __atomic_store_n(header(), static_cast<uint32_t>(value), __ATOMIC_RELEASE);
        __atomic_store_n(&entry_->frame, static_cast<uint32_t>(value >> 32), __ATOMIC_RELEASE);
    }

private:
    uint32_t* header() const { return reinterpret_cast<uint32_t*>(entry_); }

    xen::GrantEntryV1* entry_ = nullptr;
};
static_assert(offsetof(xen::GrantEntryV1, flags) == 0 && offsetof(xen::GrantEntryV1, domid) == 2,
              "flags and domid form the entry's first 32-bit word");

// Marks the entry in use for `mapper` (Xen _set_status_v1): when the grant is not yet
// pinned, the entry must be GTF_permit_access for `mapper` (and, for a mapping, not a
// sub-page grant); GTF_reading is set, and GTF_writing unless `readonly`, which a
// GTF_readonly grant refuses. The guest may race the update: up to five compare-exchanges
// are tried before the entry is declared unstable. general_error on any refusal.
// Inline, like release_flags(): every copy and mapping runs them, mostly with constant
// `readonly` and `mapping`, which then fold away.
inline constexpr unsigned kMaxFlagAttempts = 5;  // a few legitimate guest races (e.g. flipping GTF_readonly)
inline xen::GrantStatus acquire_flags(SharedEntry entry, bool pinned, bool readonly, bool mapping, DomainId mapper) {
    uint16_t type_mask = xen::gtf::type_mask;
    if (mapping)
        type_mask |= xen::gtf::sub_page;  // a sub-page grant can be copied from, never mapped
    uint32_t seen = entry.load_header();
    for (unsigned attempt = 1;; ++attempt) {
        const uint16_t flags = SharedEntry::flags_of(seen);
        // Once pinned, the frame and the domain are fixed by the active entry; the
        // guest's later edits of these fields no longer matter.
        if (!pinned && ((flags & type_mask) != xen::gtf::permit_access || SharedEntry::domid_of(seen) != mapper))
            return xen::GrantStatus::general_error;
        uint16_t wanted = flags | xen::gtf::reading;
        if (!readonly) {
            if (flags & xen::gtf::readonly)
                return xen::GrantStatus::general_error;
            wanted |= xen::gtf::writing;
        }
        if (entry.compare_exchange_header(seen, SharedEntry::header_of(wanted, SharedEntry::domid_of(seen))))
            return xen::GrantStatus::okay;
        if (attempt == kMaxFlagAttempts)
            return xen::GrantStatus::general_error;
    }
}

// After pins were dropped (`pin` is the count left): clears GTF_reading when nothing is
// pinned, and GTF_writing when a writable use ended and no writable pin is left (Xen
// reduce_status_for_pin). Nothing when the entry is gone.
inline void release_flags(SharedEntry entry, uint32_t pin, bool readonly) {
    if (!entry.valid())
        return;
    uint16_t clear = pin != 0 ? 0 : xen::gtf::reading;
    if (!readonly && (pin & pin::writable_mask) == 0)
        clear |= xen::gtf::writing;
    if (clear != 0)
        entry.clear_flags(clear);
}

}  // namespace hv::grant
