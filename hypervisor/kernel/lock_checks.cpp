// The audit build's lock checks (lib/spinlock.hpp, HV_LOCK_CHECKS). Empty otherwise.
#include "lib/spinlock.hpp"

#if defined(HV_LOCK_CHECKS)
#include "kernel/percpu.hpp"
#include "seam/panic.hpp"

namespace hv::lock_checks {
namespace {

unsigned interrupt_depth[kMaxCpus];  // each CPU writes and reads its own slot only

}  // namespace

bool armed = false;

bool in_interrupt() { return interrupt_depth[this_cpu().id] != 0; }
void interrupt_enter() { ++interrupt_depth[this_cpu().id]; }
void interrupt_exit() { --interrupt_depth[this_cpu().id]; }

void inconsistent(const void* lock) {
    armed = false;  // panic's own output takes the console lock
    panic("lock %p is taken in an interrupt handler and elsewhere with interrupts on", lock);
}

}  // namespace hv::lock_checks
#endif
