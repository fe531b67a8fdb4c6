// Hypervisor boot options (GRUB passes them on the `multiboot2` line).
//
//   console=com1|com2|none[,...]   where hypervisor output goes (default com1)
//   com1=<baud>[,8n1]  com2=...    UART settings (baud must divide 115200)
//   loglvl=none|error|warning|info|debug|all[/...]   console threshold (default info)
//   dom0_mem=<size>                 memory for dom0 (K/M/G suffix; no suffix = KiB, as Xen)
//   maxcpus=<n>                     bring up at most n CPUs (1..64)
//   selftest                        run the in-hypervisor self-tests after boot
//   noreboot                        halt instead of rebooting on a fatal error
// An unknown option is reported and ignored; a malformed value is reported with the option
// and the option keeps its default.
#pragma once

#include <cstdint>
#include <string_view>

#include "kernel/log.hpp"

namespace hv {

struct BootOptions {
    bool console_com1 = true;
    bool console_com2 = false;
    uint32_t com1_baud = 115200;
    uint32_t com2_baud = 115200;
    LogLevel loglvl = LogLevel::Info;
    uint64_t dom0_mem = 0;  // bytes; 0 = default policy
    uint64_t maxcpus = 64;
    bool selftest = false;
    bool noreboot = false;
};

// Parses `cmdline` into `options`; problems are queued and printed by
// report_option_problems() once the console exists.
void parse_boot_options(std::string_view cmdline, BootOptions& options);
void report_option_problems();
unsigned option_problem_count();

const BootOptions& boot_options();
// The hypervisor command line as the boot loader gave it (NUL-terminated).
const char* boot_command_line();

}  // namespace hv
