// The hypervisor's debug keys (Xen's keyhandlers, with Xen's letters where they exist):
//   h  list the keys          q  domains and their vCPUs     d  vCPU registers
//   m  memory use             R  reboot the machine
// Called at a safe point (softirq): no lock held, interrupts off.
#pragma once

namespace hv {

void debug_key(char key);

}  // namespace hv
