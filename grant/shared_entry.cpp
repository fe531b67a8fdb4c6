// The GTF_reading/GTF_writing protocol on the granter's shared entry. See shared_entry.hpp.
#include "grant/shared_entry.hpp"

namespace hv::grant {

namespace {

// Compare-exchanges tried before a guest rewriting its entry is treated as hostile (Xen
// allows the guest a few legitimate races, e.g. flipping GTF_readonly, then gives up).
constexpr unsigned kMaxAttempts = 5;

}  // namespace

xen::GrantStatus acquire_flags(SharedEntry entry, bool pinned, bool readonly, bool mapping, DomainId mapper) {
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
        if (attempt == kMaxAttempts)
            return xen::GrantStatus::general_error;
    }
}

void release_flags(SharedEntry entry, uint32_t pin, bool readonly) {
    if (!entry.valid())
        return;
    uint16_t clear = pin != 0 ? 0 : xen::gtf::reading;
    if (!readonly && (pin & pin::writable_mask) == 0)
        clear |= xen::gtf::writing;
    if (clear != 0)
        entry.clear_flags(clear);
}

}  // namespace hv::grant
