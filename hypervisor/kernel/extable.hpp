// Exception fixups: code that may fault on purpose (probing an address, later copying
// from guest memory) registers (faulting instruction, continuation) pairs in the
// .hv_extable section. A #PF/#GP at a registered address resumes at the continuation
// instead of being fatal.
#pragma once

#include <cstdint>

namespace hv {

struct ExtableEntry {
    uint64_t fault_rip;
    uint64_t fixup_rip;
};

// The continuation for a faulting RIP, or 0.
uint64_t extable_lookup(uint64_t rip);

// Reads 8 bytes at `address`; false (and no crash) if that faults.
extern "C" bool hv_probe_read_u64(uint64_t address, uint64_t* out);

// When set, a fault caught through the extable is reported with a full register dump
// (used by the self-test that faults on purpose).
void extable_set_report(bool report);
bool extable_report();

}  // namespace hv
