#include "domain/vcpu_timers.hpp"

#include "domain/domain.hpp"
#include "domain/events_glue.hpp"
#include "domain/scheduler.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "kernel/softirq.hpp"
#include "kernel/time.hpp"

namespace hv {

// Timer callbacks run in interrupt context: the VIRQ is raised at the next safe point.
void vcpu_timer_fired(Timer& t) {
    Vcpu& v = *static_cast<Vcpu*>(t.data);
    softirq_raise_virq(v, xen::raw(xen::Virq::timer));
}

void vcpu_periodic_fired(Timer& t) {
    Vcpu& v = *static_cast<Vcpu*>(t.data);
    softirq_raise_virq(v, xen::raw(xen::Virq::timer));
    if (v.periodic_period_ns != 0)
        timer_arm(t, t.deadline() + v.periodic_period_ns);
}

void vcpu_poll_fired(Timer& t) {
    Vcpu& v = *static_cast<Vcpu*>(t.data);
    events_poll_cancel(v);
    sched_wake(v);
}

void vcpu_set_singleshot(Vcpu& v, uint64_t deadline_ns) { timer_arm(v.singleshot_timer, deadline_ns); }
// The timers sit on the queue of the CPU that armed them, which need not be this one: a vCPU
// that moved to another CPU, or VCPUOP_set_periodic_timer on another vCPU. Stopping must
// reach them there (timer_cancel would only look at this CPU's queue and leave them armed).
void vcpu_stop_singleshot(Vcpu& v) { (void)timer_cancel(v.singleshot_timer); }

void vcpu_set_periodic(Vcpu& v, uint64_t period_ns) {
    v.periodic_period_ns = period_ns;
    if (period_ns == 0)
        (void)timer_cancel(v.periodic_timer);
    else
        timer_arm(v.periodic_timer, now_ns() + period_ns);
}

void vcpu_set_poll_timeout(Vcpu& v, uint64_t deadline_ns) { timer_arm(v.poll_timer, deadline_ns); }

void vcpu_timers_stop(Vcpu& v) {
    // Period first: a periodic callback running right now on another CPU then does not
    // re-arm after our cancel.
    __atomic_store_n(&v.periodic_period_ns, 0, __ATOMIC_SEQ_CST);
    (void)timer_cancel(v.singleshot_timer);
    (void)timer_cancel(v.periodic_timer);
    (void)timer_cancel(v.poll_timer);
}

}  // namespace hv
