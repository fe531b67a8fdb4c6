// callback_op and the legacy set_callbacks (spec §4.19): which callback types register,
// which may be unregistered, and what the hypervisor refuses.
#include "cases.hpp"

using namespace guest;
using namespace pvtest;

namespace {

int64_t register_callback(uint16_t type, uint64_t address, uint16_t flags = xen::callbackf_mask_events) {
    xen::CallbackRegister reg{type, flags, 0, address};
    return callback_op(xen::CallbackOp::register_callback, &reg);
}

int64_t unregister_callback(uint16_t type) {
    xen::CallbackUnregister unreg{type, 0};
    return callback_op(xen::CallbackOp::unregister_callback, &unreg);
}

uint64_t address_of(void (*fn)()) {
    return reinterpret_cast<uint64_t>(fn);
}

}  // namespace

GUEST_TEST(callback_op_register_event_and_failsafe) {
    EXPECT_EQ(register_callback(xen::raw(xen::CallbackType::event), address_of(&guest_event_callback)), 0);
    EXPECT_EQ(register_callback(xen::raw(xen::CallbackType::failsafe), address_of(&guest_failsafe_callback)), 0);
}

GUEST_TEST(callback_op_register_non_canonical) {
    EXPECT_ERRNO(register_callback(xen::raw(xen::CallbackType::event), 0x8000000000000000ull), einval);
    EXPECT_ERRNO(register_callback(xen::raw(xen::CallbackType::failsafe), 0x0000800000000000ull), einval);
    EXPECT_EQ(register_event_callback(), 0);
}

GUEST_TEST(callback_op_register_unknown_type) {
    EXPECT_ERRNO(register_callback(6, address_of(&guest_event_callback)), enosys);
    EXPECT_ERRNO(register_callback(99, address_of(&guest_event_callback)), enosys);
}

GUEST_TEST(callback_op_register_and_unregister_nmi) {
    EXPECT_EQ(register_callback(xen::raw(xen::CallbackType::nmi), address_of(&guest_event_callback)), 0);
    EXPECT_EQ(unregister_callback(xen::raw(xen::CallbackType::nmi)), 0);
    // The NMI callback is trap-table vector 2: unregistering cleared our handler.
    EXPECT_EQ(install_trap_table(), 0);
}

GUEST_TEST(callback_op_unregister_only_nmi) {
    EXPECT_ERRNO(unregister_callback(xen::raw(xen::CallbackType::event)), einval);
    EXPECT_ERRNO(unregister_callback(xen::raw(xen::CallbackType::failsafe)), einval);
    EXPECT_ERRNO(unregister_callback(xen::raw(xen::CallbackType::syscall)), einval);
    EXPECT_ERRNO(unregister_callback(99), enosys);
}

GUEST_TEST(callback_op_unknown_cmd) {
    xen::CallbackRegister reg{0, 0, 0, address_of(&guest_event_callback)};
    EXPECT_ERRNO(hypercall2(Hypercall::callback_op, 2, &reg), enosys);
}

GUEST_TEST(callback_op_unreadable_argument) {
    EXPECT_ERRNO(hypercall2(Hypercall::callback_op, 0, 0xffff830000000000ull), efault);
}

GUEST_TEST(set_callbacks_legacy_triple) {
    // set_callbacks(event, failsafe, syscall); Linux uses callback_op, but the call exists.
    EXPECT_EQ(hypercall3(Hypercall::set_callbacks, address_of(&guest_event_callback),
                         address_of(&guest_failsafe_callback), 0),
              0);
    EXPECT_EQ(register_event_callback(), 0);
}
