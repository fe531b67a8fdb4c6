#include "kernel/debug_keys.hpp"

#include "domain/domain.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "kernel/power.hpp"

namespace hv {
namespace {

const char* state_of(const Domain& d) {
    if (d.dying.load())
        return "dying";
    if (d.shut_down.load())
        return shutdown_reason_name(d.shutdown_reason);
    if (d.pause_count.load() != 0)
        return "paused";
    return "running";
}

void list_domains() {
    domain_for_each([](Domain& d) {
        LOG_INFO("d%u: %s%s, %llu pages (max %llu), %u vCPUs", d.id(), state_of(d), d.privileged() ? ", privileged" : "",
                 static_cast<unsigned long long>(d.tot_pages),
                 static_cast<unsigned long long>(d.max_pages == ~0ull ? 0 : d.max_pages), d.vcpu_count());
        for (unsigned i = 0; i < d.vcpu_count(); ++i) {
            const Vcpu& v = *d.vcpu(i);
            const xen::VcpuInfo* info = v.vcpu_info();
            const int cpu = v.loaded_on.load();
            LOG_INFO("  d%uv%u: %s%s, %s, upcall pending %u mask %u", d.id(), i, v.online.load() ? "online" : "offline",
                     v.blocked.load() ? " blocked" : "", cpu >= 0 ? "on a CPU" : "not loaded",
                     info ? info->evtchn_upcall_pending : 0, info ? info->evtchn_upcall_mask : 1);
        }
    });
}

void print_guest_registers(const Vcpu& v, const arch::CpuRegs& r) {
    auto x = [](uint64_t value) { return static_cast<unsigned long long>(value); };
    LOG_INFO("  %s mode, rip %04x:%016llx rsp %04x:%016llx rflags %016llx", v.pv.kernel_mode ? "kernel" : "user",
             r.cs, x(r.rip), r.ss, x(r.rsp), x(r.rflags));
    LOG_INFO("  rax %016llx rbx %016llx rcx %016llx rdx %016llx", x(r.rax), x(r.rbx), x(r.rcx), x(r.rdx));
    LOG_INFO("  rsi %016llx rdi %016llx rbp %016llx r8  %016llx", x(r.rsi), x(r.rdi), x(r.rbp), x(r.r8));
    LOG_INFO("  r9  %016llx r10 %016llx r11 %016llx r12 %016llx", x(r.r9), x(r.r10), x(r.r11), x(r.r12));
    LOG_INFO("  r13 %016llx r14 %016llx r15 %016llx", x(r.r13), x(r.r14), x(r.r15));
    LOG_INFO("  cr3 (kernel L4) %llx, user L4 %llx, kernel stack %04x:%016llx", x(v.pv.guest_table << 12),
             x(v.pv.guest_table_user << 12), v.pv.kernel_ss, x(v.pv.kernel_sp));
}

// Saved state for vCPUs not on a CPU; this CPU's own vCPU from its live guest frame. The
// state of a vCPU running on another CPU is whatever it last saved (marked so).
void dump_vcpu_registers() {
    const Vcpu* here = this_cpu().current;
    domain_for_each([here](Domain& d) {
        for (unsigned i = 0; i < d.vcpu_count(); ++i) {
            const Vcpu& v = *d.vcpu(i);
            const bool live = &v == here;
            const bool stale = !live && v.loaded_on.load() >= 0;
            LOG_INFO("d%uv%u registers%s:", d.id(), i, live ? " (live)" : stale ? " (running elsewhere: last saved)" : "");
            print_guest_registers(v, live ? cpu_info()->guest_regs : v.pv.regs);
        }
    });
}

void help() {
    LOG_INFO("debug keys: h help, q domains and vCPUs, d vCPU registers, m memory use, R reboot");
}

}  // namespace

void debug_key(char key) {
    switch (key) {
    case 'h':
        help();
        break;
    case 'q':
        list_domains();
        break;
    case 'd':
        dump_vcpu_registers();
        break;
    case 'm':
        memory_print_stats();
        break;
    case 'R':
        LOG_INFO("debug key 'R': rebooting");
        machine_restart();
    default:
        LOG_INFO("debug key '%c' (%#x) unknown; 'h' lists them", key >= 0x20 && key < 0x7f ? key : '?', key & 0xff);
        break;
    }
}

}  // namespace hv
