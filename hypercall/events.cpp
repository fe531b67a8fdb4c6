// event_channel_op: the argument struct is copied in, decoded and run by the
// event-channel core (evtchn/evtchn_op), and copied back out on success.
#include "domain/events_glue.hpp"
#include "hypercall/handlers.hpp"

namespace hv {

HV_HYPERCALL(event_channel_op) {
    return events_hypercall(ctx.domain(), static_cast<uint32_t>(args.a[0]), args.a[1]);
}

}  // namespace hv
