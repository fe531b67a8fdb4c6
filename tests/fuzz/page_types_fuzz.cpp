// Fuzzer for the PV page-type core: the input is a sequence of up to 24 operations (guest writes, entry
// updates, foreign updates, pins, unpins, typed/general references, release/assign) on a 48-frame machine
// with two domains, MMIO and a shared hypervisor page (tests/host/page_types_ops.hpp). After every
// operation the full recount audit must pass, and a failed operation must leave the state unchanged; at
// the end every reference is dropped and each frame must be back to its allocation reference alone.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/host/page_types_ops.hpp"

namespace {

constexpr size_t kBytesPerStep = 6;  // one operation; a batch (op 10) reads 12 more
constexpr size_t kMaxSteps = 24;

[[noreturn]] void report(size_t step, const std::string& error) {
    std::fprintf(stderr, "page_types_fuzz: step %zu: %s\n", step, error.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static auto* driver_storage = new hv::pv::testing::OperationDriver();  // reset per input, never freed
    hv::pv::testing::OperationDriver& driver = *driver_storage;
    driver.reset();
    size_t pos = 0;
    for (size_t step = 0; step < kMaxSteps && pos + kBytesPerStep <= size; ++step) {
        const std::string error = driver.step(data, size, &pos);
        if (!error.empty())
            report(step, error);
    }
    const std::string error = driver.drain();
    if (!error.empty())
        report(kMaxSteps, "drain: " + error);
    return 0;
}
