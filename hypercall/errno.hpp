// The one place where an internal Status becomes the value a guest sees (STYLE.md rule 7):
// Xen's negative errno numbers (hypercall/public/hypercalls.hpp).
#pragma once

#include <cstdint>

#include "lib/status.hpp"

namespace hv {

int64_t to_guest_errno(Status s);

}  // namespace hv
