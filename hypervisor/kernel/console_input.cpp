#include "kernel/console_input.hpp"

#include "arch/x86_64/cpu.hpp"
#include "lib/spinlock.hpp"

namespace hv {
namespace {
constexpr size_t kSize = 1024;  // power of two
char ring[kSize];
size_t head = 0, tail = 0;      // free-running; head - tail bytes pending
TicketLock lock;                // leaf; also taken from interrupt context
}  // namespace

void console_input_push(char c) {
    arch::IrqSaveLockGuard guard(lock);
    if (head - tail < kSize)
        ring[head++ & (kSize - 1)] = c;
}

size_t console_input_read(char* out, size_t max) {
    arch::IrqSaveLockGuard guard(lock);
    size_t n = 0;
    while (n < max && tail != head)
        out[n++] = ring[tail++ & (kSize - 1)];
    return n;
}

size_t console_input_pending() {
    arch::IrqSaveLockGuard guard(lock);
    return head - tail;
}

}  // namespace hv
