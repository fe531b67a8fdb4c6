#include "kernel/quiesce.hpp"

#include <atomic>
#include <cstdint>

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/traps.hpp"
#include "kernel/percpu.hpp"
#include "lib/spinlock.hpp"

namespace hv {

void quiesce_wait_others() {
    const unsigned self = this_cpu().id;
    uint64_t seen[kMaxCpus] = {};
    for (unsigned c = 0; c < kMaxCpus; ++c)
        if (PerCpu* cpu = cpu_by_id(c))
            seen[c] = cpu->quiescent.load(std::memory_order_acquire);
    for (unsigned c = 0; c < kMaxCpus; ++c) {
        PerCpu* cpu = cpu_by_id(c);
        if (c == self || cpu == nullptr || !cpu->online.load())
            continue;
        cpu->need_resched = true;
        arch::lapic_send_ipi(cpu->apic_id, arch::kVectorWakeup);
        while (cpu->quiescent.load(std::memory_order_acquire) == seen[c])
            cpu_relax();
    }
}

}  // namespace hv
