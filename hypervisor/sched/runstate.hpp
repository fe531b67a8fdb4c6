// Per-vCPU runstate accounting (spec §8.3): the current state, when it was entered, and the time
// accumulated in each state.
//
// Invariants:
//  - time[] only grows, and time[0]+time[1]+time[2]+time[3] + (t - entry_time) equals
//    t - start_time for every t >= entry_time: no nanosecond is lost or counted twice.
//  - entry_time never goes backwards: a transition stamped earlier than entry_time (two CPUs'
//    clocks a few ns apart) is taken as happening at entry_time.
// The guest-visible struct (xen::VcpuRunstateInfo) is a snapshot of these fields; copying it to a
// registered runstate area (with the update flag protocol) is the caller's job.
#pragma once

#include <cstdint>

#include "hypercall/public/vcpu.hpp"

namespace hv::sched {

enum class RunState : uint8_t { Running = 0, Runnable = 1, Blocked = 2, Offline = 3 };
static_assert(static_cast<int>(RunState::Running) == static_cast<int>(xen::RunState::running));
static_assert(static_cast<int>(RunState::Runnable) == static_cast<int>(xen::RunState::runnable));
static_assert(static_cast<int>(RunState::Blocked) == static_cast<int>(xen::RunState::blocked));
static_assert(static_cast<int>(RunState::Offline) == static_cast<int>(xen::RunState::offline));

inline constexpr uint32_t kRunStateCount = 4;

class RunstateAccount {
public:
    // Starts accounting at `now` in state `initial`, with all accumulated times zero.
    void start(RunState initial, uint64_t now);
    // Closes the current state at `now` (clamped to entry_time) and enters `next`. A change to the
    // same state is a no-op, so entry_time marks the last real transition.
    void change(RunState next, uint64_t now);

    RunState state() const { return state_; }
    uint64_t entry_time() const { return entry_time_; }
    uint64_t start_time() const { return start_time_; }
    // Accumulated time in `s`, up to entry_time (the running interval is not included).
    uint64_t time(RunState s) const { return time_[static_cast<uint32_t>(s)]; }
    // Accumulated time in `s` including the open interval up to `now`.
    uint64_t time_until(RunState s, uint64_t now) const;
    // Sum over all states of time_until(now): equals now - start_time (see the invariant).
    uint64_t total_until(uint64_t now) const;

    // What the guest sees at `now` (Xen's vcpu_runstate_get): the current state's open
    // interval is included in its time, so the times sum to now - start_time.
    xen::VcpuRunstateInfo guest_view(uint64_t now) const;
    // What a registered runstate area holds (Xen's update_runstate_area copies the record
    // as last updated): times up to entry_time, the open interval not included, so they
    // sum to entry_time - start_time.
    xen::VcpuRunstateInfo area_view() const;

private:
    RunState state_ = RunState::Offline;
    uint64_t start_time_ = 0;
    uint64_t entry_time_ = 0;
    uint64_t time_[kRunStateCount] = {};
};

}  // namespace hv::sched
