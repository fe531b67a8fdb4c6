// Hypercalls whose implementation lands with the next pieces of work; until then they
// answer exactly what an unimplemented hypercall answers on Xen: -ENOSYS.
#include "hypercall/errno.hpp"
#include "hypercall/handlers.hpp"

namespace hv {

HV_HYPERCALL(platform_op) { return to_guest_errno(Status::NotSupported); }

}  // namespace hv
