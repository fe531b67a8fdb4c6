#include "x86/arithmetic.hpp"

namespace hv::x86 {
namespace {

// PF reflects the low byte only: set when it has an even number of 1 bits.
uint64_t parity_flag(uint64_t result) {
    uint8_t low = static_cast<uint8_t>(result);
    low ^= low >> 4;
    low ^= low >> 2;
    low ^= low >> 1;
    return (low & 1) ? 0 : kParityFlag;
}

uint64_t zero_sign_parity(uint64_t result, unsigned size) {
    const uint64_t sign_bit = uint64_t{1} << (size * 8 - 1);
    uint64_t flags = parity_flag(result);
    if (result == 0)
        flags |= kZeroFlag;
    if (result & sign_bit)
        flags |= kSignFlag;
    return flags;
}

}  // namespace

AluResult alu(AluOperation op, unsigned size, uint64_t destination, uint64_t source) {
    const uint64_t mask = size_mask(size);
    const uint64_t sign_bit = uint64_t{1} << (size * 8 - 1);
    const uint64_t a = destination & mask;
    const uint64_t b = source & mask;
    uint64_t result = 0;
    uint64_t flags = 0;
    switch (op) {
    case AluOperation::Add:
        result = (a + b) & mask;
        if (result < a)
            flags |= kCarryFlag;
        if ((a ^ result) & (b ^ result) & sign_bit)  // both inputs differ in sign from the sum
            flags |= kOverflowFlag;
        if ((a ^ b ^ result) & 0x10)
            flags |= kAdjustFlag;
        break;
    case AluOperation::Sub:
        result = (a - b) & mask;
        if (a < b)
            flags |= kCarryFlag;
        if ((a ^ b) & (a ^ result) & sign_bit)  // inputs differ in sign, result took b's sign
            flags |= kOverflowFlag;
        if ((a ^ b ^ result) & 0x10)
            flags |= kAdjustFlag;
        break;
    case AluOperation::Or: result = a | b; break;
    case AluOperation::And: result = a & b; break;
    case AluOperation::Xor: result = a ^ b; break;
    }
    flags |= zero_sign_parity(result, size);
    return AluResult{result, flags};
}

}  // namespace hv::x86
