// The raw EVTCHNOP_* decoding layer: struct sizes, outputs written only on success,
// untouched bytes preserved, unknown commands.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "evtchn/evtchn_op.hpp"
#include "evtchn_fakes.hpp"

namespace hv::evtchn {
namespace {

using testing::TestDomain;
using testing::World;
using Op = xen::EventChannelOp;

template <typename Struct>
Status run(World& world, TestDomain& caller, Op op, Struct& arg) {
    std::vector<uint8_t> bytes(sizeof(Struct));
    std::memcpy(bytes.data(), &arg, sizeof(Struct));
    Status s = decode_and_run(world.system, caller.domain, xen::raw(op), bytes);
    std::memcpy(&arg, bytes.data(), sizeof(Struct));
    return s;
}

class EvtchnOpTest : public ::testing::Test {
protected:
    World world;
    TestDomain& dom0 = world.add(0, 2, true);
    TestDomain& domu = world.add(1, 1);
};

TEST_F(EvtchnOpTest, ArgumentSizes) {
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::bind_interdomain)), 12u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::bind_virq)), 12u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::bind_pirq)), 12u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::close)), 4u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::send)), 4u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::status)), 24u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::alloc_unbound)), 8u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::bind_ipi)), 8u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::bind_vcpu)), 8u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::unmask)), 4u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::reset)), 2u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::init_control)), 24u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::expand_array)), 8u);
    EXPECT_EQ(evtchn_op_arg_size(xen::raw(Op::set_priority)), 8u);
    EXPECT_EQ(evtchn_op_arg_size(kEvtchnOpResetContinue), 2u);
    EXPECT_EQ(evtchn_op_arg_size(15), 0u);
    EXPECT_TRUE(evtchn_op_writes_back(xen::raw(Op::status)));
    EXPECT_FALSE(evtchn_op_writes_back(xen::raw(Op::send)));
}

TEST_F(EvtchnOpTest, UnknownCommandIsEnosys) {
    std::vector<uint8_t> bytes(64);
    EXPECT_EQ(decode_and_run(world.system, dom0.domain, 15, bytes), Status::NotSupported);
    EXPECT_EQ(decode_and_run(world.system, dom0.domain, 0xffffffff, bytes), Status::NotSupported);
}

TEST_F(EvtchnOpTest, ShortArgumentIsAFault) {
    std::vector<uint8_t> bytes(3);
    EXPECT_EQ(decode_and_run(world.system, dom0.domain, xen::raw(Op::close), bytes), Status::Fault);
}

TEST_F(EvtchnOpTest, AllocUnboundThenBindInterdomainThroughStructs) {
    xen::EventChannelAllocUnbound alloc{.dom = xen::domid_self, .remote_dom = 0, .port = 0xdeadbeef};
    ASSERT_EQ(run(world, domu, Op::alloc_unbound, alloc), Status::Ok);
    EXPECT_EQ(alloc.port, 1u);
    EXPECT_EQ(alloc.dom, xen::domid_self);  // inputs are written back unchanged

    xen::EventChannelBindInterdomain bind{.remote_dom = 1, .pad = 0x5a5a, .remote_port = alloc.port, .local_port = 0};
    ASSERT_EQ(run(world, dom0, Op::bind_interdomain, bind), Status::Ok);
    EXPECT_EQ(bind.local_port, 1u);
    EXPECT_EQ(bind.pad, 0x5a5a);

    xen::EventChannelStatus st{};
    st.dom = xen::domid_self;
    st.port = bind.local_port;
    ASSERT_EQ(run(world, dom0, Op::status, st), Status::Ok);
    EXPECT_EQ(st.status, xen::raw(xen::EventChannelState::interdomain));
    EXPECT_EQ(st.u.interdomain.dom, 1);
    EXPECT_EQ(st.u.interdomain.port, alloc.port);

    xen::EventChannelSend snd{.port = bind.local_port};
    EXPECT_EQ(run(world, dom0, Op::send, snd), Status::Ok);
    EXPECT_TRUE(domu.pending(alloc.port));
    xen::EventChannelClose cls{.port = bind.local_port};
    EXPECT_EQ(run(world, dom0, Op::close, cls), Status::Ok);
}

TEST_F(EvtchnOpTest, OutputsUntouchedOnFailure) {
    xen::EventChannelBindVirq virq{.virq = 99, .vcpu = 0, .port = 0x12345678};
    EXPECT_EQ(run(world, dom0, Op::bind_virq, virq), Status::InvalidArgument);
    EXPECT_EQ(virq.port, 0x12345678u);

    xen::EventChannelBindIpi ipi{.vcpu = 7, .port = 0x12345678};
    EXPECT_EQ(run(world, dom0, Op::bind_ipi, ipi), Status::NotFound);
    EXPECT_EQ(ipi.port, 0x12345678u);

    xen::EventChannelInitControl init{};
    init.control_gfn = 0xdead;
    init.link_bits = 0x77;
    EXPECT_EQ(run(world, dom0, Op::init_control, init), Status::InvalidArgument);
    EXPECT_EQ(init.link_bits, 0x77);
}

TEST_F(EvtchnOpTest, StatusLeavesTheUnionAloneForIpi) {
    xen::EventChannelBindIpi ipi{.vcpu = 1, .port = 0};
    ASSERT_EQ(run(world, dom0, Op::bind_ipi, ipi), Status::Ok);
    xen::EventChannelStatus st{};
    st.dom = xen::domid_self;
    st.port = ipi.port;
    st.u.virq = 0xabcdef01;
    ASSERT_EQ(run(world, dom0, Op::status, st), Status::Ok);
    EXPECT_EQ(st.status, xen::raw(xen::EventChannelState::ipi));
    EXPECT_EQ(st.vcpu, 1u);
    EXPECT_EQ(st.u.virq, 0xabcdef01u);
}

TEST_F(EvtchnOpTest, VirqIpiPirqVcpuUnmaskPriorityReset) {
    xen::EventChannelBindVirq virq{.virq = xen::raw(xen::Virq::timer), .vcpu = 1, .port = 0};
    ASSERT_EQ(run(world, dom0, Op::bind_virq, virq), Status::Ok);
    EXPECT_EQ(run(world, dom0, Op::bind_virq, virq), Status::Exists);

    world.pirqs.mapped = {12};
    xen::EventChannelBindPirq pirq{.pirq = 12, .flags = xen::bind_pirq_will_share, .port = 0};
    ASSERT_EQ(run(world, dom0, Op::bind_pirq, pirq), Status::Ok);
    EXPECT_TRUE(world.pirqs.last_will_share);

    xen::EventChannelBindVcpu bv{.port = pirq.port, .vcpu = 1};
    EXPECT_EQ(run(world, dom0, Op::bind_vcpu, bv), Status::Ok);
    xen::EventChannelUnmask um{.port = pirq.port};
    EXPECT_EQ(run(world, dom0, Op::unmask, um), Status::Ok);
    xen::EventChannelSetPriority sp{.port = pirq.port, .priority = 0};
    EXPECT_EQ(run(world, dom0, Op::set_priority, sp), Status::NotSupported);
    xen::EventChannelExpandArray ea{.array_gfn = 5};
    EXPECT_EQ(run(world, dom0, Op::expand_array, ea), Status::OperationNotSupported);

    xen::EventChannelReset rs{.dom = xen::domid_self};
    EXPECT_EQ(run(world, dom0, Op::reset, rs), Status::Ok);
    EXPECT_EQ(dom0.domain.active_channels(), 0u);
    std::vector<uint8_t> bytes(2);
    std::memcpy(bytes.data(), &rs, 2);
    EXPECT_EQ(decode_and_run(world.system, dom0.domain, kEvtchnOpResetContinue, bytes), Status::Busy);
}

TEST_F(EvtchnOpTest, InitControlWritesLinkBits) {
    dom0.memory.add_frame(0x1000);
    xen::EventChannelInitControl init{};
    init.control_gfn = 0x1000;
    init.offset = 64;
    init.vcpu = 0;
    ASSERT_EQ(run(world, dom0, Op::init_control, init), Status::Ok);
    EXPECT_EQ(init.link_bits, 17);
    dom0.memory.add_frame(0x2000);
    xen::EventChannelExpandArray ea{.array_gfn = 0x2000};
    EXPECT_EQ(run(world, dom0, Op::expand_array, ea), Status::Ok);
}

}  // namespace
}  // namespace hv::evtchn
