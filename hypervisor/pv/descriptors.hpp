// Checking the segment descriptors a 64-bit PV guest puts in its GDT and LDT (set_gdt,
// update_descriptor, LDT pages), with Xen's rules (spec §9.7): the guest kernel runs at
// CPL 3, so every present code/data descriptor gets DPL 3; the only system descriptors
// allowed are 64-bit call gates whose target is a guest code selector (their DPL is kept,
// the gate's upper half must be a non-present, type-0 slot); anything else is refused.
#pragma once

#include <cstdint>
#include <span>

#include "lib/status.hpp"

namespace hv::pv {

// Checks `desc` in place (raising DPL where needed). `next` is the following slot, for
// the upper half of a call gate (nullptr at the end of the table).
[[nodiscard]] Status check_descriptor(uint64_t& desc, const uint64_t* next);

// Checks a whole page of 512 descriptors, in place; InvalidArgument at the first bad one
// (the page is then left partly normalised, which is harmless: it is not in use).
[[nodiscard]] Status check_descriptor_page(std::span<uint64_t, 512> page);

}  // namespace hv::pv
