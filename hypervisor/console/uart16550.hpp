// 16550-compatible UART on an I/O port base (COM1 = 0x3f8). Polled output; input is
// polled too (the debug console will add an interrupt later).
#pragma once

#include <cstdint>

namespace hv {

class Uart16550 {
public:
    static constexpr uint16_t kCom1 = 0x3f8;
    static constexpr uint16_t kCom2 = 0x2f8;
    static constexpr uint32_t kClockHz = 1843200;

    constexpr explicit Uart16550(uint16_t base = kCom1) : base_(base) {}
    // 8 data bits, no parity, 1 stop bit; FIFOs on. Returns false if no UART answers
    // (scratch register test) or the baud rate is not a divisor of 115200.
    bool init(uint32_t baud);
    void put(char c);
    void write(const char* s, unsigned long n);  // "\n" becomes "\r\n"
    bool try_get(char& c);
    uint16_t base() const { return base_; }
    bool present() const { return present_; }

private:
    uint16_t base_;
    bool present_ = false;
};

}  // namespace hv
