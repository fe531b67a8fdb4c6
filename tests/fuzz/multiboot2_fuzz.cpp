// Fuzzes the multiboot2 boot information decoder: arbitrary bytes must either be rejected
// or yield a BootInfo whose views and counts all stay inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "boot/multiboot2.hpp"

namespace {

bool inside(const uint8_t* data, size_t size, const void* p, size_t len) {
    const auto* b = static_cast<const uint8_t*>(p);
    return b >= data && len <= size && static_cast<size_t>(b - data) <= size - len;
}

// A decoded string: inside the input and followed by its terminating NUL.
bool good_string(const uint8_t* data, size_t size, std::string_view s) {
    if (s.data() == nullptr)
        return s.empty();
    return inside(data, size, s.data(), s.size() + 1) && s.data()[s.size()] == '\0';
}

void check(bool ok) {
    if (!ok)
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    hv::mb2::ParseError error;
    auto result = hv::mb2::parse({data, size}, &error);
    if (!result.ok()) {
        check(error.what != nullptr && error.offset <= size);
        check(result.status() == hv::Status::InvalidArgument || result.status() == hv::Status::Range);
        return 0;
    }
    const hv::mb2::BootInfo& info = *result;
    check(error.what == nullptr);
    check(info.total_size >= 16 && info.total_size <= size);
    check(good_string(data, info.total_size, info.cmdline));
    check(good_string(data, info.total_size, info.loader_name));
    check(info.region_count <= hv::mb2::kMaxRegions);
    check(info.module_count <= hv::mb2::kMaxModules);
    for (size_t i = 0; i < info.module_count; ++i) {
        check(info.modules[i].start <= info.modules[i].end);
        check(good_string(data, info.total_size, info.modules[i].cmdline));
    }
    if (!info.rsdp.empty())
        check(info.rsdp.size() >= 20 && inside(data, info.total_size, info.rsdp.data(), info.rsdp.size()));
    // Touch every region so ASan sees the whole array is initialised memory.
    uint64_t sum = 0;
    for (size_t i = 0; i < info.region_count; ++i)
        sum += info.regions[i].base ^ info.regions[i].length ^ info.regions[i].type;
    (void)hv::mb2::region_type_name(static_cast<uint32_t>(sum));
    return 0;
}
