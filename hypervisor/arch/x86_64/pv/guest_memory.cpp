// Image implementation of seam/guest_memory.hpp: guest virtual addresses are reached
// through the page tables loaded on this CPU (the running vCPU's kernel L4 during a
// hypercall). The range check keeps every access out of the hypervisor's slots; page
// permissions do the rest (CR0.WP makes read-only guest pages unwritable here too).
#include "seam/guest_memory.hpp"

#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/pv/guest_store.hpp"

extern "C" size_t hv_copy_guest(void* dst, const void* src, size_t n);

namespace hv {

bool guest_range_ok(uint64_t address, size_t size) {
    if (size == 0)
        return true;
    uint64_t last;
    if (__builtin_add_overflow(address, size - 1, &last))
        return false;
    // Guest addresses are the lower canonical half and the upper half above the
    // hypervisor's slots: [0, 2^47) and [HYPERVISOR_VIRT_END, 2^64). A range in neither
    // either crosses the non-canonical hole or touches [VIRT_START, VIRT_END).
    return last < (uint64_t{1} << 47) || address >= layout::kHypervisorVirtEnd;
}

// A hypercall's batch element or status field: a few words, moved with inline loads
// and stores rather than a call to the rep movs routine. The callers' sizes are
// constants, so once LTO has inlined these only one branch is left.
constexpr size_t kInlineCopyMax = 64;

Status copy_from_checked_guest(void* dst, uint64_t guest_src, size_t size) {
    if (size % 8 == 0 && size <= kInlineCopyMax) {
        auto* out = static_cast<unsigned char*>(dst);
#pragma GCC unroll 8
        for (size_t i = 0; i < size / 8; ++i) {
            uint64_t word;
            if (!load_guest(word, guest_src + 8 * i))
                return Status::Fault;
            __builtin_memcpy(out + 8 * i, &word, sizeof(word));
        }
        return Status::Ok;
    }
    return hv_copy_guest(dst, reinterpret_cast<const void*>(guest_src), size) == 0 ? Status::Ok : Status::Fault;
}

Status copy_to_checked_guest(uint64_t guest_dst, const void* src, size_t size) {
    const auto* in = static_cast<const unsigned char*>(src);
    if (size == sizeof(uint16_t)) {  // a status field
        uint16_t half;
        __builtin_memcpy(&half, in, sizeof(half));
        return store_guest(guest_dst, half) ? Status::Ok : Status::Fault;
    }
    if (size % 8 == 0 && size <= kInlineCopyMax) {
#pragma GCC unroll 8
        for (size_t i = 0; i < size / 8; ++i) {
            uint64_t word;
            __builtin_memcpy(&word, in + 8 * i, sizeof(word));
            if (!store_guest(guest_dst + 8 * i, word))
                return Status::Fault;
        }
        return Status::Ok;
    }
    return hv_copy_guest(reinterpret_cast<void*>(guest_dst), src, size) == 0 ? Status::Ok : Status::Fault;
}

Status copy_from_guest(void* dst, uint64_t guest_src, size_t size) {
    if (!guest_range_ok(guest_src, size))
        return Status::Fault;
    return hv_copy_guest(dst, reinterpret_cast<const void*>(guest_src), size) == 0 ? Status::Ok : Status::Fault;
}

Status copy_to_guest(uint64_t guest_dst, const void* src, size_t size) {
    if (!guest_range_ok(guest_dst, size))
        return Status::Fault;
    return hv_copy_guest(reinterpret_cast<void*>(guest_dst), src, size) == 0 ? Status::Ok : Status::Fault;
}

}  // namespace hv
