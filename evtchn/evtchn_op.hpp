// event_channel_op (hypercall 32): decoding of the EVTCHNOP_* argument structs into
// the typed operations of evtchn/event_channels.hpp (STYLE.md rule 4).
//
// The dispatcher copies evtchn_op_arg_size(cmd) bytes in from the guest, calls
// decode_and_run, and on Ok copies the same bytes back out when evtchn_op_writes_back(cmd)
// (Xen copies the whole struct back, and only on success). decode_and_run reads the
// input fields once, into locals, and writes outputs into the same bytes only on
// success; bytes it does not define as outputs keep their input value, as on Xen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "evtchn/event_system.hpp"
#include "lib/status.hpp"

namespace hv::evtchn {

// EVTCHNOP_reset_cont: Xen-internal continuation number that Xen also accepts from guests.
inline constexpr uint32_t kEvtchnOpResetContinue = 14;

// Size of the argument struct of `cmd`; 0 for a command that does not exist.
size_t evtchn_op_arg_size(uint32_t cmd);
// Whether a successful `cmd` has outputs to copy back to the guest.
bool evtchn_op_writes_back(uint32_t cmd);

// NotSupported (-ENOSYS) for an unknown command; Fault if `arg` is shorter than the
// command's struct; otherwise the operation's own result.
[[nodiscard]] Status decode_and_run(EventSystem& system, EventDomain& caller, uint32_t cmd, std::span<uint8_t> arg);

}  // namespace hv::evtchn
