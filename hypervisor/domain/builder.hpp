// Builds a 64-bit PV domain from a kernel image the boot loader gave us (dom0 now,
// boot-time domUs later): unpack (bzImage/XZ/gzip or raw ELF), check the Xen ELF notes,
// lay memory out exactly as Xen 4.17 does (pv/dom0_layout), fill P2M and M2P, load the
// segments, build and validate the initial page tables, write start_info and the
// hypercall page, and set vCPU 0's entry state (spec §2). A malformed image is refused
// with a message; nothing is left allocated after a refusal.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "domain/domain.hpp"
#include "lib/status.hpp"

namespace hv {

struct BuildRequest {
    DomainConfig config;
    std::span<const uint8_t> kernel;   // the module as loaded (bzImage, compressed or raw ELF)
    uint64_t initrd_phys = 0;          // module frames donated in place (0 = none)
    uint64_t initrd_bytes = 0;
    std::string_view cmdline;
    uint64_t memory_bytes = 0;         // 0 = default policy (most of free memory)
    uint64_t reserve_bytes = 0;        // the default policy leaves this much free as well
};

[[nodiscard]] Result<Domain*> build_pv_domain(const BuildRequest& request, const char** why);

}  // namespace hv
