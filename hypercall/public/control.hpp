// Our control operation (hypercall 36, Xen's domctl slot): the domctl/sysctl-style
// functions a toolstack in dom0 needs, with our own versioned layout instead of Xen's
// (whose layout changes with every Xen release). Facts and rationale:
// shared/spec/toolstack.md §2.4.
//
// Invariants: every call passes one ControlOp; `magic` and `version` are checked first
// and a mismatch is -EACCES (as Xen answers an interface-version mismatch), so a tool
// built against another layout fails loudly. Only the control domain (dom0) may call;
// others get -EPERM. Unknown commands are -ENOSYS. Results are written back into the same
// ControlOp (payload) only when the call succeeds.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen::control {

inline constexpr uint32_t kMagic = 0x5443584f;  // the bytes "OXCT"
inline constexpr uint32_t kVersion = 1;

enum class Command : uint32_t {
    physinfo = 1,   // host memory and CPUs (no domid)
    getinfo = 2,    // one domain's state (domid)
    destroy = 3,    // tear a domain down and return its frames (domid)
    pause = 4,      // (domid)
    unpause = 5,    // (domid)
};

// Domain state flags, Xen's XEN_DOMINF_* bit values; the shutdown reason is in bits
// 16-23 as Xen reports it.
namespace dominf {
inline constexpr uint32_t dying = 1u << 0;
inline constexpr uint32_t hvm_guest = 1u << 1;
inline constexpr uint32_t shutdown = 1u << 2;
inline constexpr uint32_t paused = 1u << 3;
inline constexpr uint32_t blocked = 1u << 4;
inline constexpr uint32_t running = 1u << 5;
inline constexpr uint32_t debugged = 1u << 6;
inline constexpr uint32_t xs_domain = 1u << 7;
inline constexpr uint32_t hap = 1u << 8;
inline constexpr unsigned shutdown_shift = 16;
inline constexpr uint32_t shutdown_mask = 0xffu;
}  // namespace dominf

struct PhysInfo {
    uint64_t total_pages;  // frames of RAM the hypervisor manages
    uint64_t free_pages;   // frames free right now (allocator's count)
    uint32_t nr_cpus;
    uint32_t cpu_khz;
};
static_assert(sizeof(PhysInfo) == 24);

struct DomainInfo {
    uint16_t domid;
    uint16_t pad0;
    uint32_t flags;  // dominf::*
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t shared_info_frame;  // MFN
    uint64_t cpu_time_ns;
    uint32_t nr_online_vcpus;
    uint32_t max_vcpu_id;
};
static_assert(sizeof(DomainInfo) == 48);

struct ControlOp {
    uint32_t magic;    // kMagic
    uint32_t version;  // kVersion
    uint32_t cmd;      // Command
    uint16_t domid;    // target domain, where the command has one
    uint16_t pad;
    union {
        PhysInfo physinfo;
        DomainInfo domain;
        uint8_t raw[112];
    } u;
};
static_assert(sizeof(ControlOp) == 128);
static_assert(offsetof(ControlOp, cmd) == 8);
static_assert(offsetof(ControlOp, domid) == 12);
static_assert(offsetof(ControlOp, u) == 16);

}  // namespace xen::control
