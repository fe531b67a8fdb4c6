#include "console/uart16550.hpp"

#include "arch/x86_64/cpu.hpp"

namespace hv {
namespace {
// Register offsets (PC16550D datasheet).
constexpr uint16_t kData = 0, kIer = 1, kFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kScratch = 7;
constexpr uint16_t kDivisorLow = 0, kDivisorHigh = 1;  // with LCR.DLAB set
constexpr uint8_t kLcrDlab = 0x80, kLcr8N1 = 0x03;
constexpr uint8_t kLsrDataReady = 0x01, kLsrThrEmpty = 0x20;
}  // namespace

bool Uart16550::init(uint32_t baud) {
    if (baud == 0 || 115200 % baud != 0)
        return false;
    arch::outb(base_ + kScratch, 0x5a);
    if (arch::inb(base_ + kScratch) != 0x5a)
        return false;
    const uint16_t divisor = static_cast<uint16_t>(kClockHz / 16 / baud);
    arch::outb(base_ + kIer, 0);
    arch::outb(base_ + kLcr, kLcrDlab);
    arch::outb(base_ + kDivisorLow, divisor & 0xff);
    arch::outb(base_ + kDivisorHigh, divisor >> 8);
    arch::outb(base_ + kLcr, kLcr8N1);
    arch::outb(base_ + kFcr, 0x07);  // enable + clear both FIFOs
    arch::outb(base_ + kMcr, 0x03);  // DTR | RTS
    present_ = true;
    return true;
}

void Uart16550::put(char c) {
    // Bounded wait: a wedged UART must not hang the hypervisor.
    for (unsigned spins = 0; spins < 100000; ++spins) {
        if (arch::inb(base_ + kLsr) & kLsrThrEmpty)
            break;
        __builtin_ia32_pause();
    }
    arch::outb(base_ + kData, static_cast<uint8_t>(c));
}

void Uart16550::write(const char* s, unsigned long n) {
    for (unsigned long i = 0; i < n; ++i) {
        if (s[i] == '\n')
            put('\r');
        put(s[i]);
    }
}

bool Uart16550::try_get(char& c) {
    if (!(arch::inb(base_ + kLsr) & kLsrDataReady))
        return false;
    c = static_cast<char>(arch::inb(base_ + kData));
    return true;
}

}  // namespace hv
