// Inverse of the xz "x86" branch/call/jump filter (filter id 0x04).
//
// The encoder turns the rel32 operand of E8 (call) / E9 (jmp) opcodes into an absolute
// address so that repeated calls to one function compress well; decoding turns it back.
// A 3-bit history of recent E8/E9 bytes that were *not* converted decides whether a
// candidate is probably an opcode or a byte inside a previous instruction, exactly as the
// encoder decided, so the filter is only correct when run over the same byte sequence:
// single-call, over a whole block's output, never in pieces.
#pragma once

#include <cstdint>
#include <span>

namespace hv::image {

// Decodes `block` in place. `start_offset` is the filter's start-offset property (the
// position the first byte had in the encoder's address space, 0 by default). The last four
// bytes are never converted, as in the encoder.
void bcj_x86_decode(std::span<uint8_t> block, uint32_t start_offset);

}  // namespace hv::image
