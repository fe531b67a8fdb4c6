// Domain control from a test guest running as dom0, on either hypervisor: Xen 4.17's
// domctl/sysctl (xen_control.hpp) or our control op (hypercall/public/control.hpp), both
// on hypercall 36 (and 35 for Xen's sysctl) but with different layouts. The pair mode
// uses it to watch, destroy and account for the second domain; the caller says which
// hypervisor it runs on (the dom0 command line does), nothing is probed.
//
// Invariants: results are the raw hypercall return (0 or -errno); outputs are written
// only on success; domain flags use the XEN_DOMINF_* bit values on both backends.
#pragma once

#include <cstdint>

namespace guest::control {

enum class Backend { xen, ours };

const char* backend_name(Backend backend);

struct HostMemory {
    uint64_t total_pages;
    uint64_t free_pages;  // what the allocator holds right now
};

struct DomainStatus {
    uint16_t domid;
    uint32_t flags;  // xen::control::dominf::* (= XEN_DOMINF_*)
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t shared_info_mfn;
};

int64_t physinfo(Backend backend, HostMemory* out);
// -ESRCH when the domain does not exist. (Xen's getdomaininfo answers with the next
// domain above a missing one; that is reported as -ESRCH here too.)
int64_t getinfo(Backend backend, uint16_t domid, DomainStatus* out);
int64_t destroy(Backend backend, uint16_t domid);
int64_t unpause(Backend backend, uint16_t domid);

}  // namespace guest::control
