#include "evtchn/two_level_delivery.hpp"

#include "evtchn/delivery.hpp"
#include "evtchn/guest_atomic.hpp"

namespace hv::evtchn::two_level {
namespace {

constexpr unsigned kBitsPerWord = 64;

// Sets the vCPU's selector bit for the port's word; on a 0->1 change the vCPU must learn
// about it through its upcall flag.
void select_word(EventDomain& d, unsigned vcpu, uint32_t port) {
    xen::VcpuInfo* info = d.memory().vcpu_info(vcpu);
    if (info == nullptr)
        return;
    if (!guest::test_and_set_bit(&info->evtchn_pending_sel, port / kBitsPerWord))
        delivery::mark_events_pending(d, vcpu);
}

}  // namespace

void raise(EventDomain& d, unsigned vcpu, const EventChannel& channel) {
    const uint32_t port = channel.port;
    xen::SharedInfo* shared = d.memory().shared_info();
    if (shared == nullptr || port >= kTwoLevelPorts)
        return;
    // Pending first: a guest that sees the selector must find the pending bit.
    if (guest::test_and_set_bit(guest::bitmap_word(shared->evtchn_pending, port), port % kBitsPerWord))
        return;
    if (!guest::test_bit(guest::bitmap_word(shared->evtchn_mask, port), port % kBitsPerWord))
        select_word(d, vcpu, port);
    delivery::check_pollers(d, port);
}

void clear_pending(EventDomain& d, const EventChannel& channel) {
    xen::SharedInfo* shared = d.memory().shared_info();
    if (shared == nullptr || channel.port >= kTwoLevelPorts)
        return;
    guest::clear_bit(guest::bitmap_word(shared->evtchn_pending, channel.port), channel.port % kBitsPerWord);
}

void unmask(EventDomain& d, const EventChannel& channel) {
    const uint32_t port = channel.port;
    xen::SharedInfo* shared = d.memory().shared_info();
    if (shared == nullptr || port >= kTwoLevelPorts)
        return;
    // Only the hypercall's own 1->0 transition may re-raise, so a pending event is
    // selected at most once per unmask.
    if (guest::test_and_clear_bit(guest::bitmap_word(shared->evtchn_mask, port), port % kBitsPerWord) &&
        guest::test_bit(guest::bitmap_word(shared->evtchn_pending, port), port % kBitsPerWord))
        select_word(d, channel.notify_vcpu.load(std::memory_order_relaxed), port);
}

bool is_pending(EventDomain& d, const EventChannel& channel) {
    xen::SharedInfo* shared = d.memory().shared_info();
    return shared != nullptr && channel.port < kTwoLevelPorts &&
           guest::test_bit(guest::bitmap_word(shared->evtchn_pending, channel.port), channel.port % kBitsPerWord);
}

bool is_masked(EventDomain& d, const EventChannel& channel) {
    xen::SharedInfo* shared = d.memory().shared_info();
    return shared == nullptr || channel.port >= kTwoLevelPorts ||
           guest::test_bit(guest::bitmap_word(shared->evtchn_mask, channel.port), channel.port % kBitsPerWord);
}

}  // namespace hv::evtchn::two_level
