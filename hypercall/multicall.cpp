// multicall: a batch of hypercalls in one guest entry (spec §3.5). Each entry runs as if
// it were issued on its own; its result goes back into the entry and the batch goes on
// whatever the result. A preempted entry stores its continuation arguments in place and
// the multicall itself continues from that entry (Xen's encoding).
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/mmu.hpp"

namespace hv {

HV_HYPERCALL(multicall) {
    if (ctx.in_multicall())
        return to_guest_errno(Status::InvalidArgument);
    GuestInOut<xen::MulticallEntry> list(args.a[0]);
    const uint32_t count = static_cast<uint32_t>(args.a[1]);
    for (uint32_t i = 0; i < count; ++i) {
        if (i != 0 && ctx.should_preempt()) {
            auto rest = list.at(i);
            if (!rest.ok())
                return to_guest_errno(rest.status());
            return ctx.continue_with({{rest->address(), uint64_t{count - i}}});
        }
        xen::MulticallEntry call;
        if (Status s = list.read(i, call); s != Status::Ok)
            return to_guest_errno(s);
        HypercallContext inner(ctx.vcpu(), ctx.frame(), true);
        const HypercallArgs call_args{{call.args[0], call.args[1], call.args[2], call.args[3], call.args[4], call.args[5]}};
        int64_t result;
        if (call.op == xen::raw(xen::Hypercall::multicall) || call.op == xen::raw(xen::Hypercall::iret))
            result = to_guest_errno(Status::InvalidArgument);  // no nesting; iret cannot return mid-batch
        else
            result = hypercall_dispatch(inner, call.op, call_args);
        if (result == kContinuation) {
            // Resume this very entry with the arguments the handler left for it.
            for (unsigned a = 0; a < 6; ++a)
                call.args[a] = inner.continuation().a[a];
            if (Status s = list.write(i, call); s != Status::Ok)
                return to_guest_errno(s);
            auto rest = list.at(i);
            return rest.ok() ? ctx.continue_with({{rest->address(), uint64_t{count - i}}}) : to_guest_errno(rest.status());
        }
        call.result = static_cast<uint64_t>(result);
        if (Status s = list.write(i, call); s != Status::Ok)
            return to_guest_errno(s);
    }
    return 0;
}

}  // namespace hv
