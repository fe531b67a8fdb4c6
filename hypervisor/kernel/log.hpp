// The hypervisor log: leveled messages, kept in a ring (dmesg) and printed on the console
// when at or above the console threshold (`loglvl=`). Lines look like Xen's, with our tag:
//   (HV) [    1.234567] message
// Interrupt-safe; during a panic the lock is bypassed so the last words always get out.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hv {

enum class LogLevel : uint8_t { Error = 0, Warning = 1, Info = 2, Debug = 3 };

void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// Unprefixed text straight to ring and console (panic dumps, the boot banner).
void log_raw(const char* text, size_t length);
void log_set_console_level(LogLevel level);
LogLevel log_console_level();
// Called once time is calibrated; until then timestamps read 0.
void log_set_clock(uint64_t (*now_ns)());
// Copies the retained log into `out`; returns the byte count.
size_t log_snapshot(char* out, size_t size);
// Panic path: stop honouring the console lock (another CPU may hold it forever).
void log_enter_panic_mode();

class Uart16550;
void log_attach_uart(Uart16550* uart);

}  // namespace hv

#define LOG_ERROR(...) ::hv::log(::hv::LogLevel::Error, __VA_ARGS__)
#define LOG_WARN(...) ::hv::log(::hv::LogLevel::Warning, __VA_ARGS__)
#define LOG_INFO(...) ::hv::log(::hv::LogLevel::Info, __VA_ARGS__)
#define LOG_DEBUG(...) ::hv::log(::hv::LogLevel::Debug, __VA_ARGS__)
