#include "kernel/pv_time.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/rtc.hpp"
#include "domain/domain.hpp"
#include "kernel/log.hpp"
#include "kernel/percpu.hpp"
#include "kernel/time.hpp"
#include "seam/guest_memory.hpp"

namespace hv {
namespace {
uint64_t boot_wallclock_ns = 0;  // wall time (UTC ns since the epoch) at system time 0
}

void pv_time_init() {
    const uint64_t seconds = arch::rtc_read_unix_seconds();
    const uint64_t now = now_ns();
    boot_wallclock_ns = seconds * 1000000000ull - (now < seconds * 1000000000ull ? now : 0);
    LOG_INFO("time: RTC says %llu s since the epoch", static_cast<unsigned long long>(seconds));
}

uint64_t wallclock_at_boot_ns() { return boot_wallclock_ns; }

void pv_time_update(Vcpu& v) {
    xen::VcpuInfo* info = v.vcpu_info();
    if (info == nullptr)
        return;
    xen::VcpuTimeInfo& t = info->time;
    const ClockScale scale = tsc_scale();
    const uint64_t tsc = arch::rdtsc();
    // Odd version while updating; the guest retries until it reads the same even version.
    __atomic_store_n(&t.version, t.version + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t.tsc_timestamp = tsc;
    t.system_time = scale_ticks(tsc - tsc_at_boot(), scale);
    t.tsc_to_system_mul = scale.mul_frac;
    t.tsc_shift = scale.shift;
    t.flags = 0;  // Xen 4.17 under TCG does not claim a stable TSC either
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&t.version, t.version + 1, __ATOMIC_RELEASE);
    // The secondary copy (VCPUOP_register_vcpu_time_memory_area) lives at a guest VA:
    // only written while v's page tables are loaded, i.e. v runs here.
    if (v.time_area != 0 && this_cpu().current == &v) {
        xen::VcpuTimeInfo copy = t;
        (void)copy_to_guest(v.time_area, &copy, sizeof(copy));
    }
}

void pv_settime(uint64_t wall_ns, uint64_t system_ns) {
    __atomic_store_n(&boot_wallclock_ns, wall_ns - system_ns, __ATOMIC_RELAXED);
    domain_for_each([](Domain& d) { pv_wallclock_update(d); });
}

void pv_wallclock_update(Domain& d) {
    xen::SharedInfo* s = d.shared_info();
    __atomic_store_n(&s->wc_version, s->wc_version + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    const uint64_t base = __atomic_load_n(&boot_wallclock_ns, __ATOMIC_RELAXED);
    const uint64_t seconds = base / 1000000000ull;
    s->wc_sec = static_cast<uint32_t>(seconds);
    s->wc_sec_hi = static_cast<uint32_t>(seconds >> 32);
    s->wc_nsec = static_cast<uint32_t>(base % 1000000000ull);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&s->wc_version, s->wc_version + 1, __ATOMIC_RELEASE);
}

}  // namespace hv
