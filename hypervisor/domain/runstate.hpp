// Per-vCPU runstate accounting (spec §8.3): time spent running, runnable, blocked and
// offline, published to the guest's registered vcpu_runstate_info area.
#pragma once

#include "hypercall/public/vcpu.hpp"

namespace hv {

class Vcpu;

xen::VcpuRunstateInfo runstate_snapshot(const Vcpu& v);
void runstate_publish(Vcpu& v);                 // copy to the guest area (if registered)

}  // namespace hv
