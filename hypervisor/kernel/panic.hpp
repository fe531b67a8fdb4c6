// Fatal-error reporting: register dump, symbolized backtrace, then every CPU stops.
#pragma once

#include <cstdint>

#include "arch/x86_64/regs.hpp"

namespace hv {

// Prints the frame (GPRs, RIP/CS/RFLAGS/RSP/SS, CR0/2/3/4) and a backtrace from it.
void dump_registers(const arch::CpuRegs& regs);
void print_backtrace(uint64_t rip, uint64_t rbp);
// A fatal trap: the frame is known, so the dump starts from the faulting instruction.
[[noreturn]] void panic_with_frame(const arch::CpuRegs& regs, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// Stops this CPU for good (interrupts off).
[[noreturn]] void halt_forever();

// Installed by SMP bring-up: tells the other CPUs to stop (NMI broadcast).
void set_stop_other_cpus(void (*fn)());

}  // namespace hv
