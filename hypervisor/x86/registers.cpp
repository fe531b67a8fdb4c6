#include "x86/registers.hpp"

namespace hv::x86 {

uint64_t read_gpr(const Registers& regs, Gpr r, unsigned size, bool high_byte) {
    if (high_byte)
        return (regs[r] >> 8) & 0xff;
    return regs[r] & size_mask(size);
}

void write_gpr(Registers& regs, Gpr r, unsigned size, uint64_t value, bool high_byte) {
    uint64_t& reg = regs[r];
    if (high_byte) {
        reg = (reg & ~uint64_t{0xff00}) | ((value & 0xff) << 8);
    } else if (size == 4) {
        reg = value & 0xffffffffull;
    } else if (size >= 8) {
        reg = value;
    } else {
        const uint64_t mask = size_mask(size);
        reg = (reg & ~mask) | (value & mask);
    }
}

}  // namespace hv::x86
