// The bridge between domains and the grant-table core (grant/): each domain's GrantTable,
// and the kernel implementations of the core's seams (frames through the page-type core
// and the direct map, host mappings in the current vCPU's PV page tables).
#pragma once

#include "domain/domain.hpp"
#include "lib/status.hpp"

namespace hv {

class Domain;
namespace grant {
class GrantTable;
struct GrantContext;
}  // namespace grant

// The seams every grant operation runs with.
grant::GrantContext& grant_context();

// The domain's grant table, created with its first frame (Xen INITIAL_NR_GRANT_FRAMES)
// on first use; OutOfMemory if that fails. grant_attach() creates it eagerly (e.g. at
// domain creation); both are idempotent. Inline: every grant_table_op looks up the
// caller's table, and after creation that is one load.
namespace detail {
[[nodiscard]] Result<grant::GrantTable*> grant_table_create(Domain& d);
}
[[nodiscard]] inline Result<grant::GrantTable*> grant_table_of(Domain& d) {
    if (grant::GrantTable* t = d.grant_table.load(std::memory_order_acquire))
        return t;
    return detail::grant_table_create(d);
}
[[nodiscard]] Status grant_attach(Domain& d);

// Domain destruction (domain/destroy.cpp), once the domain is unlinked and no CPU runs
// or looks it up: drops every pin its mappings hold on other domains' grants (the page
// references of its host mappings go with its page tables, torn down afterwards) and
// gives its table frames back. If other domains still map its grants, its table is
// retired: they can still unmap them (as on Xen, where the dying domain lingers as a
// zombie), and it is deleted with the last unmap; otherwise it is deleted now.
void grant_domain_destroy(Domain& d);

}  // namespace hv
