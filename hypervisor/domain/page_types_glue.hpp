// The machine's one PageTypes instance (pv/page_types), wired to the real frame table,
// the direct map and the hypervisor's L4 slots.
#pragma once

#include "pv/page_types.hpp"

namespace hv {

void page_types_init();  // after memory_init and m2p_init

namespace detail {
extern constinit pv::PageTypes* page_types_instance;  // set once by page_types_init
}
inline pv::PageTypes& page_types() { return *detail::page_types_instance; }

}  // namespace hv
