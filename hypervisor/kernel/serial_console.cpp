#include "kernel/serial_console.hpp"

#include "console/uart16550.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "kernel/console_input.hpp"
#include "kernel/debug_keys.hpp"
#include "kernel/log.hpp"
#include "kernel/softirq.hpp"
#include "kernel/time.hpp"

namespace hv {
namespace {

constexpr uint64_t kPollNs = 10000000;  // 10 ms: fast enough for typing and pasting
constexpr char kSwitchKey = 0x01;       // Ctrl-A
constexpr unsigned kSwitchPresses = 3;

Uart16550* uart = nullptr;
// Owned by the timer callback on the boot CPU (interrupt context).
bool to_hypervisor = false;
unsigned switch_presses = 0;

void announce(uint64_t hypervisor) {
    LOG_INFO("*** Serial input to %s (type 'CTRL-a' three times to switch input)", hypervisor ? "the hypervisor" : "DOM0");
    if (hypervisor)
        LOG_INFO("*** Debug keys: 'h' lists them");
}

void key_to_hypervisor(uint64_t key) { debug_key(static_cast<char>(key)); }

// One typed byte, to whoever has the input now. Returns whether dom0 got it.
bool deliver(char c) {
    if (to_hypervisor) {
        (void)softirq_call(key_to_hypervisor, static_cast<uint8_t>(c));
        return false;
    }
    console_input_push(c);
    return true;
}

void poll(Timer& t) {
    bool to_dom0 = false;
    char c;
    while (uart->try_get(c)) {
        if (c == kSwitchKey) {
            if (++switch_presses == kSwitchPresses) {
                switch_presses = 0;
                to_hypervisor = !to_hypervisor;
                (void)softirq_call(announce, to_hypervisor);
            }
            continue;
        }
        // Fewer than three Ctrl-As were ordinary input after all.
        for (; switch_presses != 0; --switch_presses)
            to_dom0 |= deliver(kSwitchKey);
        to_dom0 |= deliver(c);
    }
    if (to_dom0)
        softirq_raise_global_virq(xen::raw(xen::Virq::console));
    timer_arm(t, t.deadline() + kPollNs);
}

Timer poll_timer{poll, nullptr};

}  // namespace

void serial_console_start(Uart16550& u) {
    uart = &u;
    timer_arm(poll_timer, now_ns() + kPollNs);
}

}  // namespace hv
