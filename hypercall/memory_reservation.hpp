// memory_op's reservation subops (increase/decrease_reservation, populate_physmap,
// exchange): see hypercall/memory_reservation.cpp.
#pragma once

#include <cstdint>

#include "hypercall/dispatch.hpp"

namespace hv {

// `cmd` is memory_op's full first argument (subop in bits 0-5, start extent above).
int64_t memory_reservation_op(HypercallContext& ctx, uint64_t cmd, uint64_t arg);

}  // namespace hv
