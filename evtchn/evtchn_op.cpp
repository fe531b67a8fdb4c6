#include "evtchn/evtchn_op.hpp"

#include "evtchn/event_channels.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "seam/panic.hpp"

namespace hv::evtchn {
namespace {

using Op = xen::EventChannelOp;

template <typename Struct>
Struct read_arg(std::span<const uint8_t> arg) {
    Struct value;
    __builtin_memcpy(&value, arg.data(), sizeof(Struct));
    return value;
}

template <typename Struct>
void write_arg(std::span<uint8_t> arg, const Struct& value) {
    __builtin_memcpy(arg.data(), &value, sizeof(Struct));
}

Status run_alloc_unbound(EventDomain& caller, std::span<uint8_t> arg) {
    auto in = read_arg<xen::EventChannelAllocUnbound>(arg);
    Result<uint32_t> port = alloc_unbound(caller, in.dom, in.remote_dom);
    if (!port.ok())
        return port.status();
    in.port = *port;
    write_arg(arg, in);
    return Status::Ok;
}

Status run_bind_interdomain(EventDomain& caller, std::span<uint8_t> arg) {
    auto in = read_arg<xen::EventChannelBindInterdomain>(arg);
    Result<uint32_t> port = bind_interdomain(caller, in.remote_dom, in.remote_port);
    if (!port.ok())
        return port.status();
    in.local_port = *port;
    write_arg(arg, in);
    return Status::Ok;
}

Status run_bind_virq(EventDomain& caller, std::span<uint8_t> arg) {
    auto in = read_arg<xen::EventChannelBindVirq>(arg);
    Result<uint32_t> port = bind_virq(caller, in.virq, in.vcpu);
    if (!port.ok())
        return port.status();
    in.port = *port;
    write_arg(arg, in);
    return Status::Ok;
}

Status run_bind_pirq(EventDomain& caller, std::span<uint8_t> arg) {
    auto in = read_arg<xen::EventChannelBindPirq>(arg);
    Result<uint32_t> port = bind_pirq(caller, in.pirq, (in.flags & xen::bind_pirq_will_share) != 0);
    if (!port.ok())
        return port.status();
    in.port = *port;
    write_arg(arg, in);
    return Status::Ok;
}

Status run_bind_ipi(EventDomain& caller, std::span<uint8_t> arg) {
    auto in = read_arg<xen::EventChannelBindIpi>(arg);
    Result<uint32_t> port = bind_ipi(caller, in.vcpu);
    if (!port.ok())
        return port.status();
    in.port = *port;
    write_arg(arg, in);
    return Status::Ok;
}

Status run_status(EventDomain& caller, std::span<uint8_t> arg) {
    auto in = read_arg<xen::EventChannelStatus>(arg);
    Result<ChannelStatus> result = status(caller, in.dom, in.port);
    if (!result.ok())
        return result.status();
    const ChannelStatus& s = *result;
    in.status = xen::raw(s.state);
    in.vcpu = s.vcpu;
    switch (s.state) {
    case xen::EventChannelState::unbound:
        in.u.unbound.dom = s.remote_dom;
        break;
    case xen::EventChannelState::interdomain:
        in.u.interdomain.dom = s.remote_dom;
        in.u.interdomain.port = s.remote_port;
        break;
    case xen::EventChannelState::pirq:
        in.u.pirq = s.pirq;
        break;
    case xen::EventChannelState::virq:
        in.u.virq = s.virq;
        break;
    case xen::EventChannelState::closed:
    case xen::EventChannelState::ipi:
        break;
    }
    write_arg(arg, in);
    return Status::Ok;
}

Status run_init_control(EventDomain& caller, std::span<uint8_t> arg) {
    auto in = read_arg<xen::EventChannelInitControl>(arg);
    Result<uint8_t> link_bits = init_control(caller, in.vcpu, in.control_gfn, in.offset);
    if (!link_bits.ok())
        return link_bits.status();
    in.link_bits = *link_bits;
    write_arg(arg, in);
    return Status::Ok;
}

}  // namespace

size_t evtchn_op_arg_size(uint32_t cmd) {
    if (cmd == kEvtchnOpResetContinue)
        return sizeof(xen::EventChannelReset);
    switch (static_cast<Op>(cmd)) {
    case Op::bind_interdomain: return sizeof(xen::EventChannelBindInterdomain);
    case Op::bind_virq: return sizeof(xen::EventChannelBindVirq);
    case Op::bind_pirq: return sizeof(xen::EventChannelBindPirq);
    case Op::close: return sizeof(xen::EventChannelClose);
    case Op::send: return sizeof(xen::EventChannelSend);
    case Op::status: return sizeof(xen::EventChannelStatus);
    case Op::alloc_unbound: return sizeof(xen::EventChannelAllocUnbound);
    case Op::bind_ipi: return sizeof(xen::EventChannelBindIpi);
    case Op::bind_vcpu: return sizeof(xen::EventChannelBindVcpu);
    case Op::unmask: return sizeof(xen::EventChannelUnmask);
    case Op::reset: return sizeof(xen::EventChannelReset);
    case Op::init_control: return sizeof(xen::EventChannelInitControl);
    case Op::expand_array: return sizeof(xen::EventChannelExpandArray);
    case Op::set_priority: return sizeof(xen::EventChannelSetPriority);
    }
    return 0;
}

bool evtchn_op_writes_back(uint32_t cmd) {
    switch (static_cast<Op>(cmd)) {
    case Op::bind_interdomain:
    case Op::bind_virq:
    case Op::bind_pirq:
    case Op::status:
    case Op::alloc_unbound:
    case Op::bind_ipi:
    case Op::init_control:
        return true;
    default:
        return false;
    }
}

Status decode_and_run(EventSystem& system, EventDomain& caller, uint32_t cmd, std::span<uint8_t> arg) {
    HV_ASSERT(&system == &caller.system());
    const size_t size = evtchn_op_arg_size(cmd);
    if (size == 0)
        return Status::NotSupported;
    if (arg.size() < size)
        return Status::Fault;

    if (cmd == kEvtchnOpResetContinue)
        return reset_continue(caller, read_arg<xen::EventChannelReset>(arg).dom);
    switch (static_cast<Op>(cmd)) {
    case Op::alloc_unbound: return run_alloc_unbound(caller, arg);
    case Op::bind_interdomain: return run_bind_interdomain(caller, arg);
    case Op::bind_virq: return run_bind_virq(caller, arg);
    case Op::bind_pirq: return run_bind_pirq(caller, arg);
    case Op::bind_ipi: return run_bind_ipi(caller, arg);
    case Op::close: return close(caller, read_arg<xen::EventChannelClose>(arg).port);
    case Op::send: return send(caller, read_arg<xen::EventChannelSend>(arg).port);
    case Op::status: return run_status(caller, arg);
    case Op::bind_vcpu: {
        const auto in = read_arg<xen::EventChannelBindVcpu>(arg);
        return bind_vcpu(caller, in.port, in.vcpu);
    }
    case Op::unmask: return unmask(caller, read_arg<xen::EventChannelUnmask>(arg).port);
    case Op::reset: return reset(caller, read_arg<xen::EventChannelReset>(arg).dom);
    case Op::init_control: return run_init_control(caller, arg);
    case Op::expand_array: return expand_array(caller, read_arg<xen::EventChannelExpandArray>(arg).array_gfn);
    case Op::set_priority: {
        const auto in = read_arg<xen::EventChannelSetPriority>(arg);
        return set_priority(caller, in.port, in.priority);
    }
    }
    return Status::NotSupported;
}

}  // namespace hv::evtchn
