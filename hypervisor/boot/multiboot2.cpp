#include "boot/multiboot2.hpp"

namespace hv::mb2 {
namespace {

constexpr size_t kHeaderSize = 8;        // total_size + reserved
constexpr size_t kTagHeaderSize = 8;     // type + size
constexpr size_t kMinTotalSize = 16;     // header + end tag
constexpr size_t kTagAlignment = 8;
constexpr size_t kMemoryMapHeader = 8;   // entry_size + entry_version, after the tag header
constexpr size_t kMinMemoryMapEntry = 24;
constexpr size_t kRsdpV1Size = 20;
constexpr size_t kRsdpV2Size = 36;

// Unaligned little-endian loads: the loader only promises 8-byte alignment of the block,
// and a malformed block may not even give that, so never dereference a wider pointer.
uint32_t load_u32(std::span<const uint8_t> bytes, size_t offset) {
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i)
        value |= static_cast<uint32_t>(bytes[offset + i]) << (8 * i);
    return value;
}

uint64_t load_u64(std::span<const uint8_t> bytes, size_t offset) {
    return load_u32(bytes, offset) | (static_cast<uint64_t>(load_u32(bytes, offset + 4)) << 32);
}

// One tag, already checked to lie inside the block: `payload` is the bytes after the tag
// header, `offset` the position of the tag header in the block.
struct Tag {
    uint32_t type;
    size_t offset;
    std::span<const uint8_t> payload;
};

class Parser {
public:
    Parser(std::span<const uint8_t> block, ParseError* error) : block_(block), error_(error) {}

    Status run(BootInfo& out);

private:
    Status fail(Status status, const char* what, size_t offset) {
        if (error_ != nullptr) {
            error_->what = what;
            error_->offset = offset;
        }
        return status;
    }

    // A NUL-terminated string starting at payload[start]; the NUL must lie inside the tag.
    Status string_at(const Tag& tag, size_t start, std::string_view& out) {
        for (size_t i = start; i < tag.payload.size(); ++i) {
            if (tag.payload[i] == 0) {
                out = std::string_view(reinterpret_cast<const char*>(tag.payload.data() + start), i - start);
                return Status::Ok;
            }
        }
        return fail(Status::InvalidArgument, "string not NUL-terminated inside its tag",
                    tag.offset + kTagHeaderSize + start);
    }

    Status decode(const Tag& tag, BootInfo& out);
    Status decode_module(const Tag& tag, BootInfo& out);
    Status decode_memory_map(const Tag& tag, BootInfo& out);

    std::span<const uint8_t> block_;
    ParseError* error_;
    std::span<const uint8_t> old_rsdp_;
    std::span<const uint8_t> new_rsdp_;
};

Status Parser::run(BootInfo& out) {
    if (block_.size() < kHeaderSize)
        return fail(Status::InvalidArgument, "buffer shorter than the 8-byte header", 0);
    const size_t total = load_u32(block_, 0);
    if (total < kMinTotalSize)
        return fail(Status::InvalidArgument, "total_size smaller than 16", 0);
    if (total > block_.size())
        return fail(Status::InvalidArgument, "buffer shorter than total_size", 0);
    block_ = block_.first(total);
    out.total_size = total;

    size_t offset = kHeaderSize;
    // offset is a multiple of 8 and <= total at the top of every iteration.
    while (offset + kTagHeaderSize <= total) {
        const uint32_t type = load_u32(block_, offset);
        const uint32_t size = load_u32(block_, offset + 4);
        if (size < kTagHeaderSize)
            return fail(Status::InvalidArgument, "tag size smaller than 8", offset);
        if (size > total - offset)
            return fail(Status::InvalidArgument, "tag runs past total_size", offset);
        if (type == static_cast<uint32_t>(TagType::End)) {
            out.rsdp = !new_rsdp_.empty() ? new_rsdp_ : old_rsdp_;
            return Status::Ok;
        }
        const Tag tag{type, offset, block_.subspan(offset + kTagHeaderSize, size - kTagHeaderSize)};
        HV_TRY(decode(tag, out));
        // size <= total - offset and total < 2^32, so this cannot overflow.
        offset = (offset + size + kTagAlignment - 1) & ~(kTagAlignment - 1);
    }
    return fail(Status::InvalidArgument, "no end tag", offset < total ? offset : total);
}

Status Parser::decode(const Tag& tag, BootInfo& out) {
    const size_t payload_offset = tag.offset + kTagHeaderSize;
    switch (static_cast<TagType>(tag.type)) {
    case TagType::CommandLine:
        return string_at(tag, 0, out.cmdline);
    case TagType::BootLoaderName:
        return string_at(tag, 0, out.loader_name);
    case TagType::Module:
        return decode_module(tag, out);
    case TagType::BasicMemoryInfo:
        if (tag.payload.size() < 8)
            return fail(Status::InvalidArgument, "basic memory info tag shorter than 16", tag.offset);
        out.has_basic_meminfo = true;
        out.mem_lower_kib = load_u32(tag.payload, 0);
        out.mem_upper_kib = load_u32(tag.payload, 4);
        return Status::Ok;
    case TagType::MemoryMap:
        return decode_memory_map(tag, out);
    case TagType::AcpiOldRsdp:
        if (tag.payload.size() < kRsdpV1Size)
            return fail(Status::InvalidArgument, "ACPI old RSDP tag payload shorter than 20", payload_offset);
        old_rsdp_ = tag.payload;
        return Status::Ok;
    case TagType::AcpiNewRsdp:
        if (tag.payload.size() < kRsdpV2Size)
            return fail(Status::InvalidArgument, "ACPI new RSDP tag payload shorter than 36", payload_offset);
        new_rsdp_ = tag.payload;
        return Status::Ok;
    case TagType::LoadBaseAddress:
        if (tag.payload.size() < 4)
            return fail(Status::InvalidArgument, "load base address tag shorter than 12", tag.offset);
        out.has_load_base = true;
        out.load_base = load_u32(tag.payload, 0);
        return Status::Ok;
    case TagType::End:  // handled by the caller
        break;
    }
    return Status::Ok;  // framebuffer, VBE, ELF sections, APM, EFI...: not ours to decode
}

Status Parser::decode_module(const Tag& tag, BootInfo& out) {
    if (tag.payload.size() < 8)
        return fail(Status::InvalidArgument, "module tag shorter than 16", tag.offset);
    const uint32_t start = load_u32(tag.payload, 0);
    const uint32_t end = load_u32(tag.payload, 4);
    if (end < start)
        return fail(Status::InvalidArgument, "module end below module start", tag.offset + kTagHeaderSize + 4);
    std::string_view cmdline;
    HV_TRY(string_at(tag, 8, cmdline));
    if (out.module_count == kMaxModules)
        return fail(Status::Range, "more than kMaxModules modules", tag.offset);
    out.modules[out.module_count++] = Module{start, end, cmdline};
    return Status::Ok;
}

Status Parser::decode_memory_map(const Tag& tag, BootInfo& out) {
    const size_t payload_offset = tag.offset + kTagHeaderSize;
    if (tag.payload.size() < kMemoryMapHeader)
        return fail(Status::InvalidArgument, "memory map tag shorter than 16", tag.offset);
    const uint32_t entry_size = load_u32(tag.payload, 0);
    if (entry_size < kMinMemoryMapEntry || entry_size % 8 != 0)
        return fail(Status::InvalidArgument, "memory map entry_size below 24 or not a multiple of 8",
                    payload_offset);
    const size_t entries_bytes = tag.payload.size() - kMemoryMapHeader;
    if (entries_bytes % entry_size != 0)
        return fail(Status::InvalidArgument, "memory map size not a whole number of entries", tag.offset);
    for (size_t at = kMemoryMapHeader; at < tag.payload.size(); at += entry_size) {
        if (out.region_count == kMaxRegions)
            return fail(Status::Range, "more than kMaxRegions memory regions", payload_offset + at);
        out.regions[out.region_count++] =
            MemoryRegion{load_u64(tag.payload, at), load_u64(tag.payload, at + 8), load_u32(tag.payload, at + 16)};
    }
    return Status::Ok;
}

}  // namespace

Result<BootInfo> parse(std::span<const uint8_t> info, ParseError* error) {
    if (error != nullptr)
        *error = ParseError{};
    BootInfo out;
    Parser parser(info, error);
    HV_TRY(parser.run(out));
    return out;
}

const char* region_type_name(uint32_t type) {
    switch (static_cast<RegionType>(type)) {
    case RegionType::Available: return "available";
    case RegionType::Reserved: return "reserved";
    case RegionType::AcpiReclaimable: return "ACPI reclaimable";
    case RegionType::AcpiNvs: return "ACPI NVS";
    case RegionType::Bad: return "bad";
    }
    return "unknown";
}

}  // namespace hv::mb2
