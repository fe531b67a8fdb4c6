#include "kernel/log.hpp"

#include <cstdarg>

#include "arch/x86_64/cpu.hpp"
#include "console/uart16550.hpp"
#include "lib/format.hpp"
#include "lib/log_ring.hpp"
#include "lib/spinlock.hpp"

namespace hv {
namespace {

constexpr size_t kRingSize = 64 * 1024;
char ring_storage[kRingSize];
LogRing ring{ring_storage};

// Lock order: the console lock is a leaf; nothing else is taken while it is held.
TicketLock console_lock;
Uart16550* uart = nullptr;
LogLevel console_level = LogLevel::Info;
uint64_t (*clock_now)() = nullptr;
bool panic_mode = false;

void emit(const char* text, size_t n) {
    ring.append({text, n});
    if (uart != nullptr)
        uart->write(text, n);
}

// Runs `fn` under the console lock, unless panicking (then the lock may be held forever
// by a CPU that will never release it, so we write unlocked).
template <typename Fn>
void with_console(Fn&& fn) {
    arch::IrqSave irq;
    if (panic_mode) {
        fn();
        return;
    }
    LockGuard guard(console_lock);
    fn();
}

}  // namespace

void log(LogLevel level, const char* fmt, ...) {
    char line[512];
    const uint64_t ns = clock_now ? clock_now() : 0;
    size_t n = format(line, sizeof(line), "(HV) [%5llu.%06llu] %s", static_cast<unsigned long long>(ns / 1000000000),
                      static_cast<unsigned long long>(ns / 1000 % 1000000),
                      level == LogLevel::Error     ? "error: "
                      : level == LogLevel::Warning ? "warning: "
                                                   : "");
    va_list ap;
    va_start(ap, fmt);
    if (n < sizeof(line))
        n += vformat(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;  // truncated: keep room for the newline
    if (n == 0 || line[n - 1] != '\n')
        line[n++] = '\n';
    line[n] = 0;

    with_console([&] {
        if (level <= console_level || panic_mode) {
            emit(line, n);
        } else {
            ring.append({line, n});
        }
    });
}

void log_raw(const char* text, size_t length) {
    with_console([&] { emit(text, length); });
}

void log_set_console_level(LogLevel level) { console_level = level; }
LogLevel log_console_level() { return console_level; }
void log_set_clock(uint64_t (*now_ns)()) { clock_now = now_ns; }
void log_attach_uart(Uart16550* u) { uart = u; }
void log_enter_panic_mode() { panic_mode = true; }

size_t log_snapshot(char* out, size_t size) {
    size_t n = 0;
    with_console([&] { n = ring.snapshot({out, size}); });
    return n;
}

}  // namespace hv
