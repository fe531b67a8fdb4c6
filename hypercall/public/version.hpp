// xen_version arguments. Facts: shared/spec/xen-pv-abi.md §4.11.
//
// Invariants: string results are NUL-terminated within their fixed size; the version
// sub-op itself returns (major << 16) | minor in rax and takes no argument.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xen {

constexpr uint32_t version_major(int64_t version) {
    return static_cast<uint32_t>(version) >> 16;
}
constexpr uint32_t version_minor(int64_t version) {
    return static_cast<uint32_t>(version) & 0xffffu;
}

// Xen: xen_extraversion_t.
struct Extraversion {
    char text[16];
};
static_assert(sizeof(Extraversion) == 16);

// Xen: xen_compile_info.
struct CompileInfo {
    char compiler[64];
    char compile_by[16];
    char compile_domain[32];
    char compile_date[32];
};
static_assert(sizeof(CompileInfo) == 144);
static_assert(offsetof(CompileInfo, compiler) == 0);
static_assert(offsetof(CompileInfo, compile_by) == 64);
static_assert(offsetof(CompileInfo, compile_domain) == 80);
static_assert(offsetof(CompileInfo, compile_date) == 112);

// Xen: xen_capabilities_info_t.
struct CapabilitiesInfo {
    char text[1024];
};
static_assert(sizeof(CapabilitiesInfo) == 1024);

// Xen: xen_changeset_info_t.
struct ChangesetInfo {
    char text[64];
};
static_assert(sizeof(ChangesetInfo) == 64);

// Xen: xen_commandline_t.
struct CommandLine {
    char text[1024];
};
static_assert(sizeof(CommandLine) == 1024);

// Xen: xen_platform_parameters.
struct PlatformParameters {
    uint64_t virt_start;  // start of the hypervisor's reserved virtual range
};
static_assert(sizeof(PlatformParameters) == 8);
static_assert(offsetof(PlatformParameters, virt_start) == 0);

// Xen: xen_feature_info.
struct FeatureInfo {
    uint32_t submap_idx;  // in
    uint32_t submap;      // out: bits of Feature
};
static_assert(sizeof(FeatureInfo) == 8);
static_assert(offsetof(FeatureInfo, submap_idx) == 0);
static_assert(offsetof(FeatureInfo, submap) == 4);

// Xen: xen_domain_handle_t (XENVER_guest_handle): the domain's UUID.
struct DomainHandle {
    uint8_t uuid[16];
};
static_assert(sizeof(DomainHandle) == 16);

// Xen: xen_build_id. len is in/out: buffer capacity, then the id length.
struct BuildIdHeader {
    uint32_t len;
    // followed by `len` bytes of build id
};
static_assert(sizeof(BuildIdHeader) == 4);
static_assert(offsetof(BuildIdHeader, len) == 0);

}  // namespace xen
