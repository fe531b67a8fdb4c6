// Dispatch of everything that enters through the IDT: CPU exceptions (fatal unless an
// extable fixup covers them) and interrupt vectors (registered handlers + LAPIC EOI).
#pragma once

#include <cstdint>

#include "arch/x86_64/regs.hpp"

namespace hv::arch {

// Interrupt vectors the hypervisor owns (high priority classes first).
inline constexpr uint8_t kVectorSpurious = 0xff;
inline constexpr uint8_t kVectorTimer = 0xf0;
inline constexpr uint8_t kVectorStopCpu = 0xf1;
inline constexpr uint8_t kVectorCallFunction = 0xf2;
inline constexpr uint8_t kVectorWakeup = 0xf3;

using InterruptHandler = void (*)(CpuRegs& regs);
void set_interrupt_handler(uint8_t vector, InterruptHandler handler);
const char* exception_name(unsigned vector);

}  // namespace hv::arch

extern "C" void hv_handle_trap(hv::arch::CpuRegs* regs);
