// Decoder for the multiboot2 boot information block handed over by the boot loader.
//
// The block is untrusted input: it is decoded once, here, into BootInfo, and nothing
// else in the hypervisor looks at the raw bytes. Layout (Multiboot2 spec, section 3.6):
//
//   +0  u32 total_size   bytes of the whole block, header included
//   +4  u32 reserved
//   +8  tag, tag, ...    each {u32 type; u32 size; payload}, size counts the 8-byte tag
//                        header but not the padding; every tag starts 8-byte aligned
//       end tag          type 0, size 8
//
// Invariants of a successful parse:
//   - every byte read lies inside `info[0, total_size)`; total_size <= info.size();
//   - every string_view (cmdline, loader_name, module cmdlines) points into `info`,
//     lies inside its tag and excludes the terminating NUL, which the tag does contain;
//   - `rsdp` points into `info` and is the whole payload of tag 15 if present, else of
//     tag 14 (at least 36 resp. 20 bytes);
//   - regions[0, region_count) and modules[0, module_count) are in tag order; nothing was
//     dropped (too many entries is an error, never a truncation);
//   - for every module, start <= end.
// When a tag type repeats, string and scalar tags keep the last occurrence, memory-map
// and module tags accumulate.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "lib/status.hpp"

namespace hv::mb2 {

inline constexpr uint32_t kBootloaderMagic = 0x36d76289;  // value in EAX at entry
inline constexpr size_t kMaxRegions = 128, kMaxModules = 16;

enum class TagType : uint32_t {
    End = 0,
    CommandLine = 1,
    BootLoaderName = 2,
    Module = 3,
    BasicMemoryInfo = 4,
    MemoryMap = 6,
    AcpiOldRsdp = 14,
    AcpiNewRsdp = 15,
    LoadBaseAddress = 21,
};

enum class RegionType : uint32_t { Available = 1, Reserved = 2, AcpiReclaimable = 3, AcpiNvs = 4, Bad = 5 };

struct MemoryRegion {
    uint64_t base;
    uint64_t length;
    uint32_t type;  // raw E820-style type; unknown values are kept
};

struct Module {
    uint64_t start;  // [start, end) physical
    uint64_t end;
    std::string_view cmdline;
};

struct BootInfo {
    std::string_view cmdline;  // empty if absent; views point INTO the parsed buffer
    std::string_view loader_name;
    std::array<MemoryRegion, kMaxRegions> regions{};
    size_t region_count = 0;
    std::array<Module, kMaxModules> modules{};
    size_t module_count = 0;
    std::span<const uint8_t> rsdp;  // copy of the RSDP inside the tag (empty if none); tag 15 over 14
    bool has_basic_meminfo = false;
    uint32_t mem_lower_kib = 0, mem_upper_kib = 0;
    bool has_load_base = false;
    uint32_t load_base = 0;
    size_t total_size = 0;
};

// Why a parse failed: a static string and the byte offset (from the start of `info`) of
// the offending field or tag.
struct ParseError {
    const char* what = nullptr;
    size_t offset = 0;
};

// Errors: InvalidArgument for malformed structure, Range when there are more than
// kMaxRegions regions or kMaxModules modules. `error`, when given, is reset on entry and
// filled on failure.
[[nodiscard]] Result<BootInfo> parse(std::span<const uint8_t> info, ParseError* error = nullptr);

// "available", "reserved", "ACPI reclaimable", "ACPI NVS", "bad" or "unknown".
const char* region_type_name(uint32_t type);

}  // namespace hv::mb2
