// The machine-to-phys (M2P) table: one u64 per machine frame giving the guest PFN that
// frame backs, or kInvalidM2p. PV guests read it through a read-only mapping at
// 0xffff800000000000 (L4 slot 256, spec §9.6); only the hypervisor writes it (domain
// build, MMU_MACHPHYS_UPDATE, memory exchange/populate), through the direct map.
#pragma once

#include <cstdint>

#include "memory/frame.hpp"

namespace hv {

inline constexpr uint64_t kInvalidM2p = ~0ull;
inline constexpr uint64_t kM2pVirtStart = 0xffff800000000000ull;
inline constexpr uint64_t kM2pVirtEnd = 0xffff804000000000ull;  // 256 GiB reserved

void m2p_init();  // after memory_init
void m2p_set(Pfn mfn, uint64_t pfn);
uint64_t m2p_get(Pfn mfn);
uint64_t m2p_max_mfn();  // highest MFN the table covers
// The table as 2 MiB chunks of machine memory (XENMEM_machphys_mfn_list).
uint64_t m2p_chunk_count();
Pfn m2p_chunk_mfn(uint64_t chunk);

}  // namespace hv
