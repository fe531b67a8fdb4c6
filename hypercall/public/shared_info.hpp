// shared_info and vcpu_info: the page the hypervisor shares writable with each domain
// (event bitmaps, wallclock, legacy vCPU slots) and the 64-byte per-vCPU block inside it
// (or wherever VCPUOP_register_vcpu_info moved it). Facts: shared/spec/xen-pv-abi.md
// §2.5, §7.1-§7.4, §8.1-§8.2.
//
// Invariants:
//  - evtchn_upcall_pending/evtchn_upcall_mask are bytes 0 and 1 of VcpuInfo; the
//    hypervisor reads them as one 16-bit value (0x0001 = "deliver an upcall now").
//  - time.version and wc_version are odd while the hypervisor updates the fields they
//    guard; a reader retries while odd or changed (seqlock).
//  - Port p of the 2-level event ABI is bit p%64 of word p/64 of evtchn_pending/mask.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hypercall/public/x86_64.hpp"

namespace xen {

// pvclock: now_ns = system_time + (((rdtsc - tsc_timestamp) << shift) * mul) >> 32,
// shifting right instead when tsc_shift is negative.
struct VcpuTimeInfo {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;  // pvclock_tsc_stable_bit | pvclock_guest_stopped
    uint8_t pad1[2];
};
static_assert(sizeof(VcpuTimeInfo) == 32);
static_assert(offsetof(VcpuTimeInfo, version) == 0);
static_assert(offsetof(VcpuTimeInfo, pad0) == 4);
static_assert(offsetof(VcpuTimeInfo, tsc_timestamp) == 8);
static_assert(offsetof(VcpuTimeInfo, system_time) == 16);
static_assert(offsetof(VcpuTimeInfo, tsc_to_system_mul) == 24);
static_assert(offsetof(VcpuTimeInfo, tsc_shift) == 28);
static_assert(offsetof(VcpuTimeInfo, flags) == 29);
static_assert(offsetof(VcpuTimeInfo, pad1) == 30);

struct ArchVcpuInfo {
    uint64_t cr2;  // fault address of the #PF being delivered
    uint64_t pad;
};
static_assert(sizeof(ArchVcpuInfo) == 16);
static_assert(offsetof(ArchVcpuInfo, cr2) == 0);
static_assert(offsetof(ArchVcpuInfo, pad) == 8);

struct VcpuInfo {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;  // the guest's "interrupts disabled" flag
    uint8_t pad0[6];
    uint64_t evtchn_pending_sel;  // 2-level ABI: words of evtchn_pending to scan
    ArchVcpuInfo arch;
    VcpuTimeInfo time;
};
static_assert(sizeof(VcpuInfo) == 64);
static_assert(offsetof(VcpuInfo, evtchn_upcall_pending) == 0);
static_assert(offsetof(VcpuInfo, evtchn_upcall_mask) == 1);
static_assert(offsetof(VcpuInfo, pad0) == 2);
static_assert(offsetof(VcpuInfo, evtchn_pending_sel) == 8);
static_assert(offsetof(VcpuInfo, arch) == 16);
static_assert(offsetof(VcpuInfo, arch.cr2) == 16);
static_assert(offsetof(VcpuInfo, time) == 32);

// Fields written by the guest (Linux) for the toolstack, except nmi_reason.
struct ArchSharedInfo {
    uint64_t max_pfn;
    uint64_t pfn_to_mfn_frame_list_list;
    uint64_t nmi_reason;  // bit 0 io_error, bit 1 pci_serr/parity, bit 2 unknown
    uint64_t p2m_cr3;
    uint64_t p2m_vaddr;
    uint64_t p2m_generation;
};
static_assert(sizeof(ArchSharedInfo) == 48);
static_assert(offsetof(ArchSharedInfo, max_pfn) == 0);
static_assert(offsetof(ArchSharedInfo, pfn_to_mfn_frame_list_list) == 8);
static_assert(offsetof(ArchSharedInfo, nmi_reason) == 16);
static_assert(offsetof(ArchSharedInfo, p2m_cr3) == 24);
static_assert(offsetof(ArchSharedInfo, p2m_vaddr) == 32);
static_assert(offsetof(ArchSharedInfo, p2m_generation) == 40);

// 2-level event ABI: 64 words of 64 bits = 4096 ports for a 64-bit guest.
inline constexpr uint32_t evtchn_2l_words = 64;
inline constexpr uint32_t evtchn_2l_nr_channels = evtchn_2l_words * 64;

struct SharedInfo {
    VcpuInfo vcpu_info[legacy_max_vcpus];
    uint64_t evtchn_pending[evtchn_2l_words];
    uint64_t evtchn_mask[evtchn_2l_words];
    uint32_t wc_version;
    uint32_t wc_sec;  // wallclock (UTC) at system time 0
    uint32_t wc_nsec;
    uint32_t wc_sec_hi;
    ArchSharedInfo arch;
};
static_assert(sizeof(SharedInfo) == 3136);
static_assert(sizeof(SharedInfo) <= 4096);
static_assert(offsetof(SharedInfo, vcpu_info) == 0);
static_assert(offsetof(SharedInfo, evtchn_pending) == 2048);
static_assert(offsetof(SharedInfo, evtchn_mask) == 2560);
static_assert(offsetof(SharedInfo, wc_version) == 3072);
static_assert(offsetof(SharedInfo, wc_sec) == 3076);
static_assert(offsetof(SharedInfo, wc_nsec) == 3080);
static_assert(offsetof(SharedInfo, wc_sec_hi) == 3084);
static_assert(offsetof(SharedInfo, arch) == 3088);

}  // namespace xen
