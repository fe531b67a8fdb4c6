// Temporary: no event channels bound yet, so nothing is pending and VIRQs go nowhere.
// Replaced by the evtchn/ core wiring.
#include "domain/events_glue.hpp"

namespace hv {

void raise_virq(Vcpu&, uint32_t) {}
Result<bool> events_any_pending(Domain&, std::span<const uint32_t>) { return false; }
void events_poll_begin(Vcpu&, std::span<const uint32_t>) {}

}  // namespace hv
