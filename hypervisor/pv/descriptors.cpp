#include "pv/descriptors.hpp"

namespace hv::pv {
namespace {

constexpr uint64_t kPresent = 1ull << 47;
constexpr uint64_t kCodeOrData = 1ull << 44;  // S bit
constexpr unsigned kDplShift = 45;
constexpr uint64_t kDplMask = 3ull << kDplShift;
constexpr unsigned kTypeShift = 40;
constexpr uint64_t kTypeMask = 0xfull << kTypeShift;
constexpr uint64_t kCallGate64 = 0xcull;  // SDM vol. 3, table 3-2 (IA-32e mode)
constexpr unsigned kFirstReservedEntry = 7168;  // hypervisor selectors 0xe000+

bool guest_code_selector(uint16_t sel) {
    const unsigned index = sel >> 3;
    // A guest GDT/LDT selector below the reserved range, or the flat kernel code selector.
    return (sel & 3) == 3 && (index < kFirstReservedEntry || sel == 0xe033 || sel == 0xe023);
}

}  // namespace

Status check_descriptor(uint64_t& desc, const uint64_t* next) {
    if (!(desc & kPresent))
        return Status::Ok;
    if (desc & kCodeOrData) {
        if ((desc & kDplMask) != kDplMask)
            desc |= kDplMask;
        return Status::Ok;
    }
    if (((desc & kTypeMask) >> kTypeShift) != kCallGate64)
        return Status::InvalidArgument;
    const uint16_t target = static_cast<uint16_t>(desc >> 16);
    if (!guest_code_selector(target))
        return Status::InvalidArgument;
    if (next == nullptr || ((*next >> (kTypeShift)) & 0x1f) != 0)
        return Status::InvalidArgument;  // the gate's upper half must look like an empty slot
    return Status::Ok;
}

Status check_descriptor_page(std::span<uint64_t, 512> page) {
    for (unsigned i = 0; i < 512; ++i) {
        const uint64_t* next = i + 1 < 512 ? &page[i + 1] : nullptr;
        HV_TRY(check_descriptor(page[i], next));
        if (!(page[i] & kCodeOrData) && (page[i] & kPresent))
            ++i;  // skip the call gate's upper half
    }
    return Status::Ok;
}

}  // namespace hv::pv
