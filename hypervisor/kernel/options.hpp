// Hypervisor boot options (GRUB passes them on the `multiboot2` line).
//
//   console=com1|com2|none[,...]   where hypervisor output goes (default com1)
//   com1=<baud>[,8n1]  com2=...    UART settings (baud must divide 115200)
//   loglvl=none|error|warning|info|debug|all[/...]   console threshold (default info)
//   dom0_mem=<size>                 memory for dom0 (K/M/G suffix; no suffix = KiB, as Xen)
//   maxcpus=<n>                     bring up at most n CPUs (1..64)
//   dom0_max_vcpus=<n>              dom0's vCPUs (1..64; default: one per CPU online, as Xen)
//   selftest                        run the in-hypervisor self-tests after boot
//   noreboot                        halt instead of rebooting on a fatal error
//   domu=<mod>:<size>[:<vcpus>][,...]  (ours, for testing without a toolstack) build an
//                                   unprivileged PV domain from multiboot2 module <mod>
//                                   (its string is the domain's command line) with <size>
//                                   of memory; domids 1, 2, ... in the order given. Up to
//                                   4. Module 0 is dom0's kernel; a module named here is
//                                   not dom0's initrd.
// An unknown option is reported and ignored; a malformed value is reported with the option
// and the option keeps its default.
#pragma once

#include <cstdint>
#include <string_view>

#include "kernel/log.hpp"

namespace hv {

struct BootDomu {
    uint32_t module = 0;
    uint64_t memory = 0;  // bytes
    uint32_t vcpus = 1;
};

struct BootOptions {
    static constexpr unsigned kMaxDomus = 4;
    bool console_com1 = true;
    bool console_com2 = false;
    uint32_t com1_baud = 115200;
    uint32_t com2_baud = 115200;
    LogLevel loglvl = LogLevel::Info;
    uint64_t dom0_mem = 0;  // bytes; 0 = default policy
    uint64_t maxcpus = 64;
    uint64_t dom0_max_vcpus = 0;  // 0 = one per online CPU
    bool selftest = false;
    bool noreboot = false;
    BootDomu domus[kMaxDomus];
    unsigned domu_count = 0;
    // Whether module i is a boot-time domU's kernel (so not dom0's initrd).
    bool module_is_domu(uint32_t module) const {
        for (unsigned i = 0; i < domu_count; ++i)
            if (domus[i].module == module)
                return true;
        return false;
    }
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
