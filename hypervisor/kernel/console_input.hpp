// Serial input destined for the hardware domain (CONSOLEIO_read): a byte ring filled from
// the UART, drained by dom0. Overflow drops the newest bytes (the guest reads too slowly).
#pragma once

#include <cstddef>

namespace hv {

void console_input_push(char c);
size_t console_input_read(char* out, size_t max);
size_t console_input_pending();

}  // namespace hv
