#include "arch/x86_64/pit.hpp"

#include "arch/x86_64/cpu.hpp"

namespace hv::arch {
namespace {
constexpr uint16_t kChannel2 = 0x42, kCommand = 0x43, kPortB = 0x61;
constexpr uint8_t kGate2 = 0x01, kSpeaker = 0x02, kOut2 = 0x20;
constexpr uint8_t kChannel2Mode0LoHi = 0xb0;  // channel 2, lobyte/hibyte, mode 0, binary
}  // namespace

uint64_t pit_measure_tsc(uint16_t pit_ticks) {
    // Gate low and speaker off while programming; mode 0 starts counting on gate high.
    const uint8_t port_b = inb(kPortB);
    outb(kPortB, (port_b & ~(kGate2 | kSpeaker)));
    outb(kCommand, kChannel2Mode0LoHi);
    outb(kChannel2, pit_ticks & 0xff);
    outb(kChannel2, pit_ticks >> 8);
    outb(kPortB, (port_b & ~kSpeaker) | kGate2);
    const uint64_t start = rdtsc_ordered();
    // OUT2 goes high at terminal count. Bounded, in case there is no PIT.
    for (uint64_t spins = 0; !(inb(kPortB) & kOut2); ++spins)
        if (spins > 100000000)
            return 0;
    const uint64_t end = rdtsc_ordered();
    outb(kPortB, port_b);
    return end - start;
}

}  // namespace hv::arch
