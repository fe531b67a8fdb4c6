// What a 64-bit PV domain builder needs to know about a guest kernel ELF, read from its Xen
// ELF notes and program headers (shared/spec/xen-pv-abi.md §1.3-1.4), and the loader that
// places its segments.
//
// parse_xen_image refuses, with a reason, everything Xen refuses (and a little more):
//   - no Xen notes (PT_NOTE segments first, SHT_NOTE sections as a fallback); a legacy
//     `__xen_guest` section alone is reported as NotSupported;
//   - XEN_VERSION not starting with "xen-3.0"; neither LOADER starting with "generic" nor
//     GUEST_OS starting with "linux";
//   - FEATURES requiring supervisor_mode_kernel or a feature we do not know;
//   - a numeric note whose size is not 1, 2, 4 or 8;
//   - no loadable segment, a segment outside the file, filesz > memsz, address overflow;
//   - entry outside [virt_kstart, virt_kend), virt_base > virt_kstart, INIT_P2M inside
//     [virt_kstart, virt_kend), a HYPERCALL_PAGE not a whole aligned page of the kernel.
//
// Invariants of a successful parse (what the builder may rely on):
//   virt_offset = virt_base - paddr_offset (mod 2^64); pstart < pend;
//   virt_kstart = pstart + virt_offset <= entry < virt_kend = pend + virt_offset;
//   virt_base <= virt_kstart; every loadable segment's destination
//   [p_paddr + virt_offset, + p_memsz) lies inside [virt_kstart, virt_kend).
// Segments are placed by p_paddr, as Xen's libelf does (Linux's percpu segment has
// p_vaddr 0). "Loadable" = PT_LOAD with at least one of R/W/X, also as libelf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "hypercall/public/hypercalls.hpp"
#include "lib/status.hpp"

namespace hv::image {

struct XenImageInfo {
    uint64_t virt_base = 0;       // VIRT_BASE: start of the initial mapping (0 if absent)
    uint64_t paddr_offset = 0;    // PADDR_OFFSET (0 if absent)
    uint64_t virt_offset = 0;     // virt_base - paddr_offset: p_paddr -> guest VA
    uint64_t entry = 0;           // ENTRY note, else e_entry
    uint64_t hypercall_page = 0;  // HYPERCALL_PAGE (0 if none)
    uint64_t init_p2m = 0;        // INIT_P2M (0 if none)
    uint64_t pstart = 0, pend = 0;            // [min p_paddr, max p_paddr + p_memsz) of loadable segments
    uint64_t virt_kstart = 0, virt_kend = 0;  // the same range as guest VAs
    bool has_hypercall_page = false;
    bool has_init_p2m = false;
    bool mod_start_pfn = false;   // MOD_START_PFN != 0: initrd given as a PFN, not mapped
    bool pae_yes = false;         // PAE_MODE is "yes": set VM assist pae_extended_cr3
    bool loader_generic = false;  // LOADER starts with "generic"
    bool has_supported_features = false;
    uint32_t supported_features = 0;  // SUPPORTED_FEATURES bitmap (0 if absent)
    uint32_t features_declared = 0;   // FEATURES string: every named XENFEAT bit
    uint32_t features_required = 0;   // FEATURES string: bits named with '!'
    // NUL-terminated copies of the string notes ("" if absent). `features` may be
    // truncated (it is informational: the bitmaps above come from the whole note).
    char features[128] = {};
    char guest_os[32] = {};
    char guest_version[32] = {};
    char xen_version[32] = {};
    char loader[32] = {};

    bool requires_feature(xen::Feature f) const { return (features_required & xen::feature_bit(f)) != 0; }
    bool declares_feature(xen::Feature f) const { return (features_declared & xen::feature_bit(f)) != 0; }
};

[[nodiscard]] Result<XenImageInfo> parse_xen_image(std::span<const uint8_t> elf, const char** why);

// Xen refuses to build dom0 from a kernel that has a SUPPORTED_FEATURES note without
// XENFEAT_dom0 (libelf also counts "dom0" named in the FEATURES string). Permission if so.
[[nodiscard]] Status check_dom0_allowed(const XenImageInfo& info, const char** why);

// Destination of load_segments. write() receives each segment's file bytes, zero() the
// rest of its memory size; `va` ranges always lie inside [virt_kstart, virt_kend).
class SegmentSink {
public:
    [[nodiscard]] virtual Status write(uint64_t va, std::span<const uint8_t> bytes) = 0;
    [[nodiscard]] virtual Status zero(uint64_t va, uint64_t length) = 0;

protected:
    ~SegmentSink() = default;
};

// Places every loadable segment at p_paddr + virt_offset: copies p_filesz bytes and
// zero-fills up to p_memsz. `info` must come from parse_xen_image of the same `elf`.
[[nodiscard]] Status load_segments(std::span<const uint8_t> elf, const XenImageInfo& info, SegmentSink& sink,
                                   const char** why);
// The same into a flat buffer whose byte 0 is guest VA virt_kstart; it must hold at least
// virt_kend - virt_kstart bytes. Bytes of that range between segments are zeroed.
[[nodiscard]] Status load_segments(std::span<const uint8_t> elf, const XenImageInfo& info,
                                   std::span<uint8_t> image, const char** why);

}  // namespace hv::image
