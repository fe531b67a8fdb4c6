// The bridge between domains and the grant-table core (grant/): each domain's GrantTable,
// and the kernel implementations of the core's seams (frames through the page-type core
// and the direct map, host mappings in the current vCPU's PV page tables).
#pragma once

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
// domain creation); both are idempotent.
[[nodiscard]] Result<grant::GrantTable*> grant_table_of(Domain& d);
[[nodiscard]] Status grant_attach(Domain& d);

// Domain destruction (not called yet: destruction is being written). In this order:
//  1. the domain no longer runs and its page tables are torn down (each grant mapping's
//     L1 entry drops its page references with it);
//  2. grant_domain_destroy(): drops every pin its mappings hold on other domains' grants
//     and gives its own table frames back (other domains' pins on its grants stay
//     valid and can still be unmapped);
//  3. once the domain cannot be found any more (domain_by_id) and
//     grant_domain_quiescent() says no other domain uses its grants,
//     grant_domain_free() deletes the table (it waits for lookups in flight).
void grant_domain_destroy(Domain& d);
bool grant_domain_quiescent(Domain& d);
void grant_domain_free(Domain& d);

}  // namespace hv
