// Seam: copying to and from guest virtual memory, in the address space of the vCPU
// running on this CPU (a PV hypercall runs with the guest's own page tables loaded).
// The image implementation checks the range (canonical, outside the hypervisor's L4
// slots 256-271, no wrap-around) and copies with fault recovery; a fault anywhere in the
// range is Status::Fault and may leave a partial copy in `dst`. Only image code (the
// hypercall handlers) uses it, so host programs have no definition.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/status.hpp"

namespace hv {

[[nodiscard]] Status copy_from_guest(void* dst, uint64_t guest_src, size_t size);
[[nodiscard]] Status copy_to_guest(uint64_t guest_dst, const void* src, size_t size);

// Whether [address, address + size) is a guest-addressable range (no access made).
bool guest_range_ok(uint64_t address, size_t size);

// The same copies inside a range the caller has already passed through guest_range_ok
// (Xen __copy_from_guest after guest_handle_okay): only faults are checked. For the
// elements of a batch whose whole array was checked once.
[[nodiscard]] Status copy_from_checked_guest(void* dst, uint64_t guest_src, size_t size);
[[nodiscard]] Status copy_to_checked_guest(uint64_t guest_dst, const void* src, size_t size);

}  // namespace hv
