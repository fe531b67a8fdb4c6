// Grant tables: the shared v1/v2 entry formats a granting domain writes, the
// grant_table_op arguments a mapping domain passes, and the flag and status codes.
// Facts: shared/spec/xen-pv-abi.md §4.13, §9.8.
//
// Invariants: a v1 table frame holds 512 entries of 8 bytes; refs 0-7 are reserved
// (0 = console, 1 = xenstore for toolstack-built domUs); per-op results are reported in
// each struct's `status` (GrantStatus) while the hypercall itself returns 0 unless the
// arguments as a whole were unusable.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

using GrantRef = uint32_t;
using GrantHandle = uint32_t;

inline constexpr uint32_t gnttab_nr_reserved_entries = 8;
inline constexpr GrantRef gnttab_reserved_console = 0;
inline constexpr GrantRef gnttab_reserved_xenstore = 1;

// GrantEntryV1.flags / GrantEntryHeader.flags.
namespace gtf {
inline constexpr uint16_t invalid = 0;
inline constexpr uint16_t permit_access = 1;
inline constexpr uint16_t accept_transfer = 2;
inline constexpr uint16_t transitive = 3;
inline constexpr uint16_t type_mask = 3;
inline constexpr uint16_t readonly = 1u << 2;
inline constexpr uint16_t reading = 1u << 3;
inline constexpr uint16_t writing = 1u << 4;
inline constexpr uint16_t pwt = 1u << 5;
inline constexpr uint16_t pcd = 1u << 6;
inline constexpr uint16_t pat = 1u << 7;
inline constexpr uint16_t sub_page = 1u << 8;
inline constexpr uint16_t transfer_committed = 1u << 2;
inline constexpr uint16_t transfer_completed = 1u << 3;
}  // namespace gtf

// Xen: grant_entry_v1.
struct GrantEntryV1 {
    uint16_t flags;  // gtf::*
    uint16_t domid;  // domain allowed to use the grant
    uint32_t frame;  // granted frame (MFN for a PV granter)
};
static_assert(sizeof(GrantEntryV1) == 8);
static_assert(offsetof(GrantEntryV1, flags) == 0);
static_assert(offsetof(GrantEntryV1, domid) == 2);
static_assert(offsetof(GrantEntryV1, frame) == 4);

// Xen: grant_entry_header, grant_entry_v2 (16 bytes).
struct GrantEntryHeader {
    uint16_t flags;
    uint16_t domid;
};
static_assert(sizeof(GrantEntryHeader) == 4);

union GrantEntryV2 {
    GrantEntryHeader hdr;
    struct {
        GrantEntryHeader hdr;
        uint32_t pad0;
        uint64_t frame;
    } full_page;
    struct {
        GrantEntryHeader hdr;
        uint16_t page_off;
        uint16_t length;
        uint64_t frame;
    } sub_page;
    struct {
        GrantEntryHeader hdr;
        uint16_t trans_domid;
        uint16_t pad0;
        GrantRef gref;
    } transitive;
    uint32_t spacer[4];
};
static_assert(sizeof(GrantEntryV2) == 16);
static_assert(offsetof(GrantEntryV2, full_page.frame) == 8);
static_assert(offsetof(GrantEntryV2, sub_page.page_off) == 4);
static_assert(offsetof(GrantEntryV2, sub_page.length) == 6);
static_assert(offsetof(GrantEntryV2, sub_page.frame) == 8);
static_assert(offsetof(GrantEntryV2, transitive.trans_domid) == 4);
static_assert(offsetof(GrantEntryV2, transitive.gref) == 8);

// GrantMapRef.flags.
namespace gntmap {
inline constexpr uint32_t device_map = 1u << 0;
inline constexpr uint32_t host_map = 1u << 1;
inline constexpr uint32_t readonly = 1u << 2;
inline constexpr uint32_t application_map = 1u << 3;
inline constexpr uint32_t contains_pte = 1u << 4;
inline constexpr uint32_t guest_avail_shift = 16;
inline constexpr uint32_t guest_avail_mask = ~0u << guest_avail_shift;
}  // namespace gntmap

// Per-op status codes (negative; 0 = okay).
enum class GrantStatus : int16_t {
    okay = 0,
    general_error = -1,
    bad_domain = -2,
    bad_gntref = -3,
    bad_handle = -4,
    bad_virt_addr = -5,
    bad_dev_addr = -6,
    no_device_space = -7,
    permission_denied = -8,
    bad_page = -9,
    bad_copy_arg = -10,
    address_too_big = -11,
    eagain = -12,
    no_space = -13,
};

// Xen: gnttab_map_grant_ref.
struct GrantMapRef {
    uint64_t host_addr;
    uint32_t flags;  // gntmap::*
    GrantRef ref;
    uint16_t dom;
    int16_t status;        // out
    GrantHandle handle;    // out
    uint64_t dev_bus_addr; // out
};
static_assert(sizeof(GrantMapRef) == 32);
static_assert(offsetof(GrantMapRef, host_addr) == 0);
static_assert(offsetof(GrantMapRef, flags) == 8);
static_assert(offsetof(GrantMapRef, ref) == 12);
static_assert(offsetof(GrantMapRef, dom) == 16);
static_assert(offsetof(GrantMapRef, status) == 18);
static_assert(offsetof(GrantMapRef, handle) == 20);
static_assert(offsetof(GrantMapRef, dev_bus_addr) == 24);

// Xen: gnttab_unmap_grant_ref.
struct GrantUnmapRef {
    uint64_t host_addr;
    uint64_t dev_bus_addr;
    GrantHandle handle;
    int16_t status;  // out
    uint16_t pad;
};
static_assert(sizeof(GrantUnmapRef) == 24);
static_assert(offsetof(GrantUnmapRef, host_addr) == 0);
static_assert(offsetof(GrantUnmapRef, dev_bus_addr) == 8);
static_assert(offsetof(GrantUnmapRef, handle) == 16);
static_assert(offsetof(GrantUnmapRef, status) == 20);

// Xen: gnttab_setup_table.
struct GrantSetupTable {
    uint16_t dom;
    uint16_t pad0;
    uint32_t nr_frames;
    int16_t status;  // out
    uint16_t pad1[3];
    uint64_t frame_list;  // handle: uint64_t[nr_frames], out: MFNs
};
static_assert(sizeof(GrantSetupTable) == 24);
static_assert(offsetof(GrantSetupTable, dom) == 0);
static_assert(offsetof(GrantSetupTable, nr_frames) == 4);
static_assert(offsetof(GrantSetupTable, status) == 8);
static_assert(offsetof(GrantSetupTable, frame_list) == 16);

// Xen: gnttab_dump_table.
struct GrantDumpTable {
    uint16_t dom;
    int16_t status;  // out
};
static_assert(sizeof(GrantDumpTable) == 4);
static_assert(offsetof(GrantDumpTable, dom) == 0);
static_assert(offsetof(GrantDumpTable, status) == 2);

// Xen: gnttab_transfer.
struct GrantTransfer {
    uint64_t mfn;
    uint16_t domid;
    uint16_t pad0;
    GrantRef ref;
    int16_t status;  // out
    uint16_t pad1[3];
};
static_assert(sizeof(GrantTransfer) == 24);
static_assert(offsetof(GrantTransfer, mfn) == 0);
static_assert(offsetof(GrantTransfer, domid) == 8);
static_assert(offsetof(GrantTransfer, ref) == 12);
static_assert(offsetof(GrantTransfer, status) == 16);

// GrantCopy.flags: which side is named by a grant reference (else by a frame).
namespace gntcopy {
inline constexpr uint16_t source_gref = 1u << 0;
inline constexpr uint16_t dest_gref = 1u << 1;
}  // namespace gntcopy

// Xen: gnttab_copy.
struct GrantCopyPointer {
    union {
        GrantRef ref;
        uint64_t gmfn;
    } u;
    uint16_t domid;
    uint16_t offset;
    uint32_t pad;
};
static_assert(sizeof(GrantCopyPointer) == 16);
static_assert(offsetof(GrantCopyPointer, u) == 0);
static_assert(offsetof(GrantCopyPointer, domid) == 8);
static_assert(offsetof(GrantCopyPointer, offset) == 10);

struct GrantCopy {
    GrantCopyPointer source;
    GrantCopyPointer dest;
    uint16_t len;
    uint16_t flags;  // gntcopy::*
    int16_t status;  // out
    uint16_t pad;
};
static_assert(sizeof(GrantCopy) == 40);
static_assert(offsetof(GrantCopy, source) == 0);
static_assert(offsetof(GrantCopy, dest) == 16);
static_assert(offsetof(GrantCopy, len) == 32);
static_assert(offsetof(GrantCopy, flags) == 34);
static_assert(offsetof(GrantCopy, status) == 36);

// Xen: gnttab_query_size.
struct GrantQuerySize {
    uint16_t dom;
    uint16_t pad;
    uint32_t nr_frames;      // out
    uint32_t max_nr_frames;  // out
    int16_t status;          // out
    uint16_t pad1;
};
static_assert(sizeof(GrantQuerySize) == 16);
static_assert(offsetof(GrantQuerySize, dom) == 0);
static_assert(offsetof(GrantQuerySize, nr_frames) == 4);
static_assert(offsetof(GrantQuerySize, max_nr_frames) == 8);
static_assert(offsetof(GrantQuerySize, status) == 12);

// Xen: gnttab_unmap_and_replace.
struct GrantUnmapAndReplace {
    uint64_t host_addr;
    uint64_t new_addr;
    GrantHandle handle;
    int16_t status;  // out
    uint16_t pad;
};
static_assert(sizeof(GrantUnmapAndReplace) == 24);
static_assert(offsetof(GrantUnmapAndReplace, host_addr) == 0);
static_assert(offsetof(GrantUnmapAndReplace, new_addr) == 8);
static_assert(offsetof(GrantUnmapAndReplace, handle) == 16);
static_assert(offsetof(GrantUnmapAndReplace, status) == 20);

// Xen: gnttab_set_version (in/out).
struct GrantSetVersion {
    uint32_t version;
};
static_assert(sizeof(GrantSetVersion) == 4);
static_assert(offsetof(GrantSetVersion, version) == 0);

// Xen: gnttab_get_status_frames (v2 only).
struct GrantGetStatusFrames {
    uint32_t nr_frames;
    uint16_t dom;
    int16_t status;       // out
    uint64_t frame_list;  // handle: uint64_t[nr_frames]
};
static_assert(sizeof(GrantGetStatusFrames) == 16);
static_assert(offsetof(GrantGetStatusFrames, nr_frames) == 0);
static_assert(offsetof(GrantGetStatusFrames, dom) == 4);
static_assert(offsetof(GrantGetStatusFrames, status) == 6);
static_assert(offsetof(GrantGetStatusFrames, frame_list) == 8);

// Xen: gnttab_get_version.
struct GrantGetVersion {
    uint16_t dom;
    uint16_t pad;
    uint32_t version;  // out
};
static_assert(sizeof(GrantGetVersion) == 8);
static_assert(offsetof(GrantGetVersion, dom) == 0);
static_assert(offsetof(GrantGetVersion, version) == 4);

// Xen: gnttab_swap_grant_ref.
struct GrantSwapRef {
    GrantRef ref_a;
    GrantRef ref_b;
    int16_t status;  // out
    uint16_t pad;
};
static_assert(sizeof(GrantSwapRef) == 12);
static_assert(offsetof(GrantSwapRef, ref_a) == 0);
static_assert(offsetof(GrantSwapRef, ref_b) == 4);
static_assert(offsetof(GrantSwapRef, status) == 8);

}  // namespace xen
