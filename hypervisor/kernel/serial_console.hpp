// Serial input: who gets the keys typed on the hypervisor's UART.
//
// As on Xen, input goes to dom0 (CONSOLEIO_read, announced with VIRQ_CONSOLE) until Ctrl-A
// is typed three times in a row, which switches it to the hypervisor's debug keys
// (kernel/debug_keys.cpp) and back. The UART is polled every few milliseconds from a timer
// on the boot CPU (the hypervisor keeps COM1's IRQ; polling needs no interrupt routing).
// Keys are handled at the next safe point (softirq), never in the timer interrupt itself.
#pragma once

namespace hv {

class Uart16550;

// Starts polling `uart` on this CPU (the boot CPU, once domains exist).
void serial_console_start(Uart16550& uart);

}  // namespace hv
