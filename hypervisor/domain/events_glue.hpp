// The bridge between domains and the event-channel core (evtchn/).
#pragma once

#include <cstdint>
#include <span>

#include "lib/status.hpp"

namespace hv {

class Vcpu;
class Domain;

void raise_virq(Vcpu& v, uint32_t virq);
[[nodiscard]] Result<bool> events_any_pending(Domain& d, std::span<const uint32_t> ports);
void events_poll_begin(Vcpu& v, std::span<const uint32_t> ports);

}  // namespace hv
