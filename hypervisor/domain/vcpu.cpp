#include "domain/vcpu.hpp"

#include "domain/domain.hpp"

namespace hv {

void vcpu_timer_fired(Timer& t);
void vcpu_periodic_fired(Timer& t);
void vcpu_poll_fired(Timer& t);

Vcpu::Vcpu(Domain& domain, unsigned id)
    : singleshot_timer(vcpu_timer_fired, this),
      periodic_timer(vcpu_periodic_fired, this),
      poll_timer(vcpu_poll_fired, this),
      domain_(&domain),
      id_(id) {
    // FPU state after FNINIT, with SSE exceptions masked (FXSAVE layout: FCW at 0, MXCSR at 24).
    pv.fpu.bytes[0] = 0x7f;
    pv.fpu.bytes[1] = 0x03;
    pv.fpu.bytes[24] = 0x80;
    pv.fpu.bytes[25] = 0x1f;
}

}  // namespace hv
