// Giving a vCPU its state from the guest: VCPUOP_initialise (a full vcpu_guest_context,
// for secondary vCPUs) and VCPUOP_register_vcpu_info (moving vcpu_info into a guest page).
#pragma once

#include <cstdint>

#include "lib/status.hpp"

namespace hv {

class Vcpu;

// Copies and checks a vcpu_guest_context at guest address `context`; -EEXIST if the vCPU
// already has one. The vCPU stays down until VCPUOP_up.
[[nodiscard]] Status vcpu_initialise_from_guest(Vcpu& v, uint64_t context);

// Moves v's vcpu_info to (mfn, offset) of a page the domain owns; the page gets a
// Writable type reference for as long as it holds the vcpu_info. Once only.
[[nodiscard]] Status vcpu_register_info(Vcpu& v, uint64_t mfn, uint32_t offset);

}  // namespace hv
