#include "sched/runstate.hpp"

namespace hv::sched {

void RunstateAccount::start(RunState initial, uint64_t now) {
    state_ = initial;
    start_time_ = now;
    entry_time_ = now;
    for (uint64_t& t : time_)
        t = 0;
}

void RunstateAccount::change(RunState next, uint64_t now) {
    if (next == state_)
        return;
    const uint64_t at = now > entry_time_ ? now : entry_time_;
    time_[static_cast<uint32_t>(state_)] += at - entry_time_;
    entry_time_ = at;
    state_ = next;
}

uint64_t RunstateAccount::time_until(RunState s, uint64_t now) const {
    uint64_t t = time_[static_cast<uint32_t>(s)];
    if (s == state_ && now > entry_time_)
        t += now - entry_time_;
    return t;
}

uint64_t RunstateAccount::total_until(uint64_t now) const {
    uint64_t sum = 0;
    for (uint32_t i = 0; i < kRunStateCount; ++i)
        sum += time_until(static_cast<RunState>(i), now);
    return sum;
}

xen::VcpuRunstateInfo RunstateAccount::area_view() const {
    xen::VcpuRunstateInfo info{};
    info.state = static_cast<int32_t>(state_);
    info.state_entry_time = entry_time_;
    for (uint32_t i = 0; i < kRunStateCount; ++i)
        info.time[i] = time_[i];
    return info;
}

xen::VcpuRunstateInfo RunstateAccount::guest_view(uint64_t now) const {
    xen::VcpuRunstateInfo info = area_view();
    info.time[static_cast<uint32_t>(state_)] = time_until(state_, now);
    return info;
}

}  // namespace hv::sched
