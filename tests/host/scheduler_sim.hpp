// A fake machine for the scheduler tests: N fake CPUs, a fake clock, and simulated vCPUs that are
// either CPU-bound or I/O-bound (run a burst, block, get an event after a sleep). It plays the
// kernel's part: delivers the reschedule IPIs the scheduler returns (by calling schedule() at the
// same instant), arms the per-CPU tick only while needs_tick(), runs account() every period while
// needs_accounting(), and ends slices on time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "sched/credit_scheduler.hpp"

namespace hv::sched::test {

constexpr uint64_t ms(uint64_t n) { return n * 1'000'000; }
constexpr uint64_t us(uint64_t n) { return n * 1'000; }
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

struct Workload {
    uint64_t burst_ns = 0;  // 0: CPU-bound, never blocks; else run this much CPU time, then block
    uint64_t sleep_ns = 0;  // how long until the event that wakes it
};

struct SimVcpu {
    explicit SimVcpu(Workload w) : work(w) {}
    SchedUnit unit{this};
    Workload work;
    uint64_t remaining = 0;      // CPU time left in the current burst
    uint64_t wake_at = kNever;   // when its pending event arrives
    uint64_t woke_at = kNever;   // when it was last woken, until it runs
    uint64_t max_latency = 0;
    uint64_t latency_total = 0;
    uint32_t wakeups = 0;
    bool io() const { return work.burst_ns != 0; }
};

struct SimCpu {
    SchedUnit* running = nullptr;
    uint64_t slice_end = kNever;
    uint64_t next_tick = kNever;
};

class Machine {
public:
    explicit Machine(uint32_t cpus, SchedulerConfig config = {}) : sched(cpus, config, 0), cpus_(cpus) {
        for (uint32_t c = 0; c < cpus; ++c)
            cpus_[c].running = &sched.current(c);
    }
    ~Machine() {
        for (auto& v : vcpus_)
            if (v->unit.registered())
                (void)sched.remove_unit(v->unit, now);
        for (auto& d : domains_)
            if (d->registered())
                (void)sched.remove_domain(*d);
    }

    SchedDomain& domain(uint16_t weight = kDefaultWeight, uint16_t cap = 0) {
        domains_.push_back(std::make_unique<SchedDomain>());
        SchedDomain& d = *domains_.back();
        if (sched.add_domain(d, weight, cap) != Status::Ok)
            std::abort();
        return d;
    }

    SimVcpu& vcpu(SchedDomain& d, uint32_t cpu, Workload work = {}, bool up = true) {
        vcpus_.push_back(std::make_unique<SimVcpu>(work));
        SimVcpu& v = *vcpus_.back();
        v.remaining = work.burst_ns;
        if (sched.add_unit(v.unit, d, cpu, now) != Status::Ok)
            std::abort();
        if (up)
            deliver(sched.vcpu_up(v.unit, now));
        return v;
    }

    // The kernel's side of an IPI: the CPU enters the scheduler right away.
    void deliver(CpuMask kicks) {
        for (uint32_t c : kicks)
            reschedule(c);
    }

    void reschedule(uint32_t c) {
        const Decision d = sched.schedule(c, now);
        ++schedules;
        SimCpu& cpu = cpus_[c];
        if (d.unit != cpu.running) {
            ++switches;
            if (auto* v = static_cast<SimVcpu*>(d.unit->owner); v != nullptr && v->woke_at != kNever) {
                const uint64_t latency = now - v->woke_at;
                v->max_latency = std::max(v->max_latency, latency);
                v->latency_total += latency;
                ++v->wakeups;
                v->woke_at = kNever;
            }
        }
        if (d.migrated)
            ++migrations;
        cpu.running = d.unit;
        cpu.slice_end = d.slice_ns != 0 ? now + d.slice_ns : kNever;
        arm_tick(c);
        arm_accounting();
        deliver(d.kick);
    }

    // Runs the machine until `end`, calling `after_each` after every instant at which something
    // happened (with all IPIs delivered).
    void run_until(uint64_t end, const std::function<void()>& after_each = {}) {
        for (;;) {
            const uint64_t t = next_event();
            if (t > end) {
                advance(end);
                return;
            }
            advance(t);
            process_events();
            if (after_each)
                after_each();
        }
    }

    // True if some CPU is idle while a runnable unit waits in a runqueue.
    bool idle_while_work_waits() const {
        bool some_idle = false;
        uint32_t waiting = 0;
        for (uint32_t c = 0; c < sched.cpu_count(); ++c) {
            some_idle |= sched.current(c).is_idle();
            waiting += sched.queued(c);
        }
        return some_idle && waiting != 0;
    }

    uint64_t run_time(const SimVcpu& v) const { return v.unit.runstate().time_until(RunState::Running, now); }
    uint64_t idle_time(uint32_t c) const {
        return sched.idle_unit(c).runstate().time_until(RunState::Running, now);
    }
    SimCpu& cpu(uint32_t c) { return cpus_[c]; }
    std::vector<std::unique_ptr<SimVcpu>>& vcpus() { return vcpus_; }

    Scheduler sched;
    uint64_t now = 0;
    uint64_t schedules = 0;
    uint64_t switches = 0;
    uint64_t migrations = 0;
    uint64_t ticks = 0;
    uint64_t accounts = 0;

private:
    void arm_accounting() {
        const uint64_t period = sched.accounting_period_ns();
        if (next_account_ == kNever && sched.needs_accounting())
            next_account_ = now + period - now % period;
    }

    void arm_tick(uint32_t c) {
        SimCpu& cpu = cpus_[c];
        const uint64_t period = sched.tick_period_ns();
        if (!sched.needs_tick(c))
            cpu.next_tick = kNever;  // an idle CPU has no periodic work
        else if (cpu.next_tick == kNever)
            cpu.next_tick = now + period - now % period;
    }

    SimVcpu* running_vcpu(uint32_t c) const { return static_cast<SimVcpu*>(cpus_[c].running->owner); }

    uint64_t next_event() const {
        uint64_t t = kNever;
        for (uint32_t c = 0; c < cpus_.size(); ++c) {
            t = std::min({t, cpus_[c].slice_end, cpus_[c].next_tick});
            if (SimVcpu* v = running_vcpu(c); v != nullptr && v->io() && v->unit.runnable())
                t = std::min(t, now + v->remaining);
        }
        for (const auto& v : vcpus_)
            t = std::min(t, v->wake_at);
        return std::min(t, next_account_);
    }

    void advance(uint64_t t) {
        for (uint32_t c = 0; c < cpus_.size(); ++c)
            if (SimVcpu* v = running_vcpu(c); v != nullptr && v->io())
                v->remaining -= std::min(v->remaining, t - now);
        now = t;
    }

    void process_events() {
        for (auto& v : vcpus_) {
            if (v->wake_at <= now) {
                v->wake_at = kNever;
                v->remaining = v->work.burst_ns;
                v->woke_at = now;
                deliver(sched.wake(v->unit, now));
            }
        }
        for (uint32_t c = 0; c < cpus_.size(); ++c) {
            SimVcpu* v = running_vcpu(c);
            if (v != nullptr && v->io() && v->remaining == 0 && v->unit.runnable()) {
                v->wake_at = now + v->work.sleep_ns;
                deliver(sched.block(v->unit, now));
            }
        }
        for (uint32_t c = 0; c < cpus_.size(); ++c) {
            if (cpus_[c].next_tick <= now) {
                ++ticks;
                cpus_[c].next_tick += sched.tick_period_ns();
                sched.tick(c, now);
                arm_tick(c);
                arm_accounting();
            }
        }
        if (next_account_ <= now) {
            ++accounts;
            next_account_ = sched.needs_accounting() ? next_account_ + sched.accounting_period_ns() : kNever;
            deliver(sched.account(now));
        }
        for (uint32_t c = 0; c < cpus_.size(); ++c)
            if (cpus_[c].slice_end <= now)
                reschedule(c);
    }

    std::vector<SimCpu> cpus_;
    uint64_t next_account_ = kNever;
    std::deque<std::unique_ptr<SchedDomain>> domains_;
    std::vector<std::unique_ptr<SimVcpu>> vcpus_;
};

}  // namespace hv::sched::test
