// Scheduler semantics, one operation at a time, with the fake clock as a plain number: the
// configuration, domain/unit registration, block/wake/yield, boost, rate limiting, pause/unpause,
// vCPU up/down, runstate accounting, removal in every state, stealing, caps, leaving the
// accounting and misuse death tests. The multi-threaded stress is scheduler_threads_test.cpp.
#include "sched/credit_scheduler.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

namespace hv::sched {
namespace {

constexpr uint64_t ms(uint64_t n) { return n * 1'000'000; }
constexpr uint64_t us(uint64_t n) { return n * 1'000; }

// A scheduler plus helpers that keep the test bodies about semantics.
struct Fixture {
    explicit Fixture(uint32_t cpus, SchedulerConfig config = {}) : sched(cpus, config, 0) {
        EXPECT_EQ(sched.add_domain(dom), Status::Ok);
    }
    ~Fixture() {
        for (auto& u : units)
            if (u->registered())
                (void)sched.remove_unit(*u, now);
        for (auto& d : extra_domains)
            (void)sched.remove_domain(*d);
        (void)sched.remove_domain(dom);
    }
    SchedUnit& unit(uint32_t cpu, SchedDomain* d = nullptr) {
        units.push_back(std::make_unique<SchedUnit>());
        EXPECT_EQ(sched.add_unit(*units.back(), d ? *d : dom, cpu, now), Status::Ok);
        return *units.back();
    }
    SchedDomain& domain(uint16_t weight = kDefaultWeight, uint16_t cap = 0) {
        extra_domains.push_back(std::make_unique<SchedDomain>());
        EXPECT_EQ(sched.add_domain(*extra_domains.back(), weight, cap), Status::Ok);
        return *extra_domains.back();
    }
    // A unit brought up and running on `cpu` (which must be idle).
    SchedUnit& running(uint32_t cpu, SchedDomain* d = nullptr) {
        SchedUnit& u = unit(cpu, d);
        EXPECT_EQ(sched.vcpu_up(u, now), CpuMask::of(cpu));
        EXPECT_EQ(sched.schedule(cpu, now).unit, &u);
        return u;
    }
    void ok() { ASSERT_EQ(sched.check_invariants(), nullptr); }

    Scheduler sched;
    SchedDomain dom;
    uint64_t now = 0;
    std::vector<std::unique_ptr<SchedUnit>> units;
    std::vector<std::unique_ptr<SchedDomain>> extra_domains;
};

TEST(SchedulerConfig, XenDefaultsAndRanges) {
    EXPECT_EQ(Scheduler::validate({}), Status::Ok);
    EXPECT_EQ(Scheduler::validate({0, 0}), Status::Range);
    EXPECT_EQ(Scheduler::validate({1001, 0}), Status::Range);
    EXPECT_EQ(Scheduler::validate({30, 99}), Status::Range);
    EXPECT_EQ(Scheduler::validate({1, 1001}), Status::Range);  // ratelimit above the slice
    EXPECT_EQ(Scheduler::validate({30, 0}), Status::Ok);
    Scheduler s(2);
    EXPECT_EQ(s.timeslice_ns(), ms(30));
    EXPECT_EQ(s.tick_period_ns(), ms(10));
    EXPECT_EQ(s.accounting_period_ns(), ms(30));
    EXPECT_EQ(s.credits_per_slice(), 300);
    Scheduler small(1, {2, 0});
    EXPECT_EQ(small.tick_period_ns(), ms(2));  // under 3 ms: one tick per slice
    EXPECT_EQ(s.check_invariants(), nullptr);
    for (uint32_t c = 0; c < 2; ++c) {
        EXPECT_TRUE(s.cpu_idle(c));
        EXPECT_TRUE(s.current(c).is_idle());
        EXPECT_FALSE(s.needs_tick(c));
    }
    EXPECT_FALSE(s.needs_accounting());
}

TEST(SchedulerRegistration, DomainsAndUnits) {
    Scheduler s(2);
    SchedDomain d;
    EXPECT_EQ(s.add_domain(d, 0), Status::InvalidArgument);
    EXPECT_EQ(s.add_domain(d, 256, kMaxCap + 1), Status::InvalidArgument);
    SchedUnit u;
    EXPECT_EQ(s.add_unit(u, d, 0, 0), Status::NotFound);
    EXPECT_EQ(s.set_domain_params(d, 100, 0), Status::NotFound);
    ASSERT_EQ(s.add_domain(d, 512, 50), Status::Ok);
    EXPECT_EQ(s.add_domain(d), Status::Exists);
    EXPECT_EQ(d.weight(), 512);
    EXPECT_EQ(d.cap(), 50);
    EXPECT_EQ(s.add_unit(u, d, 2, 0), Status::InvalidArgument);
    ASSERT_EQ(s.add_unit(u, d, 1, 0), Status::Ok);
    EXPECT_EQ(s.add_unit(u, d, 1, 0), Status::Exists);
    EXPECT_EQ(d.unit_count(), 1u);
    // A new unit is down: Offline, in no runqueue, not runnable.
    EXPECT_FALSE(u.runnable());
    EXPECT_EQ(u.location(), Location::None);
    EXPECT_EQ(u.runstate().state(), RunState::Offline);
    EXPECT_EQ(u.cpu(), 1u);
    EXPECT_EQ(s.remove_domain(d), Status::Busy);
    EXPECT_EQ(s.check_invariants(), nullptr);
    EXPECT_TRUE(s.remove_unit(u, 5).empty());
    EXPECT_FALSE(u.registered());
    EXPECT_EQ(s.remove_domain(d), Status::Ok);
    EXPECT_EQ(s.remove_domain(d), Status::NotFound);
}

TEST(SchedulerBasics, UpRunBlockWake) {
    Fixture f(1);
    SchedUnit& u = f.unit(0);
    EXPECT_EQ(f.sched.vcpu_up(u, f.now), CpuMask::of(0));
    EXPECT_EQ(u.location(), Location::Queued);
    EXPECT_EQ(u.runstate().state(), RunState::Runnable);
    EXPECT_EQ(u.priority(), Priority::Boost);  // waking from Under is boosted
    f.ok();

    f.now = us(10);
    Decision d = f.sched.schedule(0, f.now);
    EXPECT_EQ(d.unit, &u);
    EXPECT_EQ(d.slice_ns, ms(30));
    EXPECT_FALSE(d.migrated);
    EXPECT_TRUE(d.kick.empty());
    EXPECT_EQ(u.location(), Location::Current);
    EXPECT_EQ(u.runstate().state(), RunState::Running);
    EXPECT_TRUE(f.sched.needs_tick(0));
    EXPECT_TRUE(f.sched.is_running(u));
    f.ok();

    // SCHEDOP_block: the CPU must reschedule; until it does, the unit is still current.
    f.now = ms(3);
    EXPECT_EQ(f.sched.block(u, f.now), CpuMask::of(0));
    EXPECT_TRUE(u.blocked());
    EXPECT_EQ(u.location(), Location::Current);
    EXPECT_EQ(u.runstate().state(), RunState::Running);
    f.ok();
    d = f.sched.schedule(0, f.now);
    EXPECT_TRUE(d.unit->is_idle());
    EXPECT_EQ(d.slice_ns, 0u);
    EXPECT_EQ(u.runstate().state(), RunState::Blocked);
    EXPECT_EQ(u.runstate().time(RunState::Running), ms(3) - us(10));
    EXPECT_EQ(u.runstate().time(RunState::Runnable), us(10));
    EXPECT_FALSE(f.sched.needs_tick(0));
    EXPECT_TRUE(f.sched.cpu_idle(0));
    f.ok();

    // Blocking twice is harmless; waking an unblocked unit is a no-op.
    EXPECT_TRUE(f.sched.block(u, f.now).empty());
    f.now = ms(7);
    EXPECT_EQ(f.sched.wake(u, f.now), CpuMask::of(0));
    EXPECT_TRUE(f.sched.wake(u, f.now).empty());
    EXPECT_EQ(u.runstate().time(RunState::Blocked), ms(4));
    EXPECT_EQ(f.sched.schedule(0, f.now).unit, &u);
    f.ok();
}

TEST(SchedulerBasics, WakeBeforeTheCpuReschedulesKeepsTheUnitRunning) {
    Fixture f(1);
    SchedUnit& u = f.running(0);
    f.now = ms(1);
    EXPECT_EQ(f.sched.block(u, f.now), CpuMask::of(0));
    f.now = ms(1) + 5;
    EXPECT_TRUE(f.sched.wake(u, f.now).empty());  // an event arrived before it was switched out
    const Decision d = f.sched.schedule(0, ms(2));
    EXPECT_EQ(d.unit, &u);
    EXPECT_EQ(u.runstate().state(), RunState::Running);
    EXPECT_EQ(u.runstate().time(RunState::Blocked), 0u);
    f.ok();
}

TEST(SchedulerPlacement, WakePrefersLastCpuThenAnIdleCpuThenLastCpu) {
    Fixture f(3);
    SchedUnit& a = f.running(0);
    SchedUnit& b = f.unit(0);
    // Last CPU busy, CPU 1 idle: b goes to CPU 1 and only CPU 1 is kicked.
    EXPECT_EQ(f.sched.vcpu_up(b, f.now), CpuMask::of(1));
    EXPECT_EQ(b.cpu(), 1u);
    EXPECT_EQ(f.sched.schedule(1, f.now).unit, &b);
    SchedUnit& c = f.running(2);
    f.ok();

    // b blocks and wakes while its CPU is idle: it stays on CPU 1.
    f.now = ms(1);
    f.sched.block(b, f.now);
    EXPECT_TRUE(f.sched.schedule(1, f.now).unit->is_idle());
    EXPECT_EQ(f.sched.wake(b, f.now), CpuMask::of(1));
    EXPECT_EQ(b.cpu(), 1u);
    EXPECT_EQ(f.sched.schedule(1, f.now).unit, &b);

    // No idle CPU: a woken unit goes back to its last CPU and, boosted, preempts the Under unit
    // running there (after that unit's rate-limit window).
    SchedUnit& d = f.unit(2);
    f.now = ms(2);
    f.sched.tick(2, f.now);  // c was boosted by its wake-up; a tick ends that
    EXPECT_EQ(c.priority(), Priority::Under);
    EXPECT_EQ(f.sched.vcpu_up(d, f.now), CpuMask::of(2));
    EXPECT_EQ(d.cpu(), 2u);
    EXPECT_EQ(d.priority(), Priority::Boost);
    const Decision dec = f.sched.schedule(2, f.now);
    EXPECT_EQ(dec.unit, &d);
    EXPECT_EQ(c.location(), Location::Queued);
    EXPECT_EQ(c.runstate().state(), RunState::Runnable);
    (void)a;
    f.ok();
}

TEST(SchedulerPlacement, EqualPriorityWakeDoesNotPreempt) {
    Fixture f(1);
    SchedUnit& a = f.running(0);  // Boost
    SchedUnit& b = f.unit(0);
    EXPECT_TRUE(f.sched.vcpu_up(b, f.now).empty());  // Boost does not preempt Boost
    EXPECT_EQ(b.location(), Location::Queued);
    EXPECT_EQ(f.sched.schedule(0, ms(30)).unit, &b);  // end of a's slice
    EXPECT_EQ(a.location(), Location::Queued);
    f.ok();
}

TEST(SchedulerBoost, OverUnitsAreNotBoostedAndTicksEndTheBoost) {
    Fixture f(1);
    SchedUnit& u = f.running(0);
    EXPECT_EQ(u.priority(), Priority::Boost);
    f.now = ms(10);
    f.sched.tick(0, f.now);  // found running: boost over, and it joins the accounting
    EXPECT_EQ(u.priority(), Priority::Under);
    EXPECT_TRUE(u.active());
    EXPECT_TRUE(f.sched.needs_accounting());
    EXPECT_EQ(u.credit(), -100);  // 10 ms at 10 credits/ms
    f.now = ms(50);
    f.sched.tick(0, f.now);
    EXPECT_EQ(u.credit(), -500);
    f.sched.account(f.now);  // alone on the CPU: gets the whole 300
    EXPECT_EQ(u.credit(), -200);
    EXPECT_EQ(u.priority(), Priority::Over);
    f.sched.block(u, f.now);
    f.sched.schedule(0, f.now);
    EXPECT_EQ(f.sched.wake(u, f.now + 1), CpuMask::of(0));
    EXPECT_EQ(u.priority(), Priority::Over);  // no boost for a unit that overspent
    f.ok();
}

TEST(SchedulerBoost, CreditsAreClippedAndIdleUnitsLeaveTheAccounting) {
    Fixture f(1);
    SchedUnit& u = f.running(0);
    f.now = ms(10);
    f.sched.tick(0, f.now);
    f.now = ms(1000);
    f.sched.tick(0, f.now);  // ran a second without accounting: -10000 credits
    f.sched.account(f.now);
    EXPECT_EQ(u.credit(), -300);  // clipped at one slice's worth
    f.sched.block(u, f.now);
    f.sched.schedule(0, f.now);
    // Blocked, it earns its share each period, plus the system-wide deficit it ran up (Xen lets
    // a negative balance converge back to zero): -300 -> +300 -> 600 > 300: it leaves the
    // accounting, keeping half.
    int periods = 0;
    while (f.sched.needs_accounting() && periods < 10) {
        f.now += ms(30);
        f.sched.account(f.now);
        ++periods;
    }
    EXPECT_EQ(periods, 2);
    EXPECT_FALSE(u.active());
    EXPECT_EQ(u.credit(), 300);
    EXPECT_FALSE(f.sched.needs_accounting());
    f.ok();
}

TEST(SchedulerYield, YieldGoesBehindEqualsOnly) {
    Fixture f(1, {30, 0});
    SchedUnit& a = f.running(0);
    SchedUnit& b = f.unit(0);
    f.sched.vcpu_up(b, f.now);
    f.now = us(200);  // no rate limit here; a yield would bypass it anyway
    EXPECT_EQ(f.sched.yield(a), CpuMask::of(0));
    EXPECT_TRUE(f.sched.yield(b).empty());  // not running: nothing to yield
    EXPECT_EQ(f.sched.schedule(0, f.now).unit, &b);
    EXPECT_EQ(a.location(), Location::Queued);
    f.ok();

    // Only a lower-priority unit waiting: the yielder runs again.
    f.now = ms(10);
    f.sched.tick(0, f.now);  // b: Boost -> Under; a is still Boost in the queue
    EXPECT_EQ(f.sched.schedule(0, f.now).unit, &a);
    f.sched.tick(0, ms(20));  // a -> Under
    f.now = ms(20);
    // Make b Over by accounting: give it a large burn first.
    EXPECT_EQ(f.sched.schedule(0, f.now).unit, &b);
    f.now = ms(200);
    f.sched.tick(0, f.now);
    f.sched.account(f.now);
    EXPECT_EQ(b.priority(), Priority::Over);
    EXPECT_EQ(f.sched.schedule(0, f.now).unit, &a);
    EXPECT_EQ(a.priority(), Priority::Under);
    f.now += us(10);
    f.sched.yield(a);
    EXPECT_EQ(f.sched.schedule(0, f.now).unit, &a);
    f.ok();
}

TEST(SchedulerRateLimit, AWokenUnitWaitsOutTheRateLimitWindowOnly) {
    for (const uint32_t limit_us : {1000u, 0u}) {
        Fixture f(1, {30, limit_us});
        SchedUnit& a = f.running(0);
        f.sched.tick(0, us(200));  // a: Under
        SchedUnit& b = f.unit(0);
        f.now = us(300);
        EXPECT_EQ(f.sched.vcpu_up(b, f.now), CpuMask::of(0));
        Decision d = f.sched.schedule(0, f.now);
        if (limit_us == 0) {
            EXPECT_EQ(d.unit, &b);
        } else {
            EXPECT_EQ(d.unit, &a);
            EXPECT_EQ(d.slice_ns, us(700));  // until a has run 1 ms since it was switched in
            f.now += d.slice_ns;
            EXPECT_EQ(f.sched.schedule(0, f.now).unit, &b);
        }
        f.ok();
    }
}

TEST(SchedulerPause, CountedPauseAndTheRunstateRules) {
    Fixture f(2);
    SchedUnit& a = f.running(0);
    // Running: its CPU must switch it out; then it is Offline.
    f.now = ms(1);
    EXPECT_EQ(f.sched.pause(a, f.now), CpuMask::of(0));
    EXPECT_EQ(f.sched.pause(a, f.now), CpuMask::of(0));  // still current: asks again
    EXPECT_TRUE(f.sched.schedule(0, f.now).unit->is_idle());
    EXPECT_EQ(a.runstate().state(), RunState::Offline);
    EXPECT_EQ(a.pause_count(), 2u);
    EXPECT_TRUE(f.sched.unpause(a, ms(2)).empty());
    EXPECT_EQ(a.runstate().state(), RunState::Offline);
    EXPECT_EQ(f.sched.unpause(a, ms(3)), CpuMask::of(0));
    EXPECT_EQ(a.runstate().state(), RunState::Runnable);
    EXPECT_EQ(a.runstate().time(RunState::Offline), ms(2));
    f.ok();

    // Queued: leaves its runqueue at once.
    SchedUnit& b = f.running(1);
    SchedUnit& c = f.unit(1);
    f.sched.schedule(0, f.now);  // a runs on CPU 0 again
    f.sched.vcpu_up(c, f.now);
    ASSERT_EQ(c.location(), Location::Queued);
    EXPECT_TRUE(f.sched.pause(c, ms(4)).empty());
    EXPECT_EQ(c.location(), Location::None);
    EXPECT_EQ(c.runstate().state(), RunState::Offline);
    EXPECT_EQ(f.sched.queued(1), 0u);
    f.ok();

    // Blocked and paused stays Blocked (Xen); woken while paused becomes Offline; unpaused, runs.
    f.sched.block(b, ms(5));
    f.sched.schedule(1, ms(5));
    f.sched.pause(b, ms(6));
    EXPECT_EQ(b.runstate().state(), RunState::Blocked);
    EXPECT_TRUE(f.sched.wake(b, ms(7)).empty());
    EXPECT_EQ(b.runstate().state(), RunState::Offline);
    EXPECT_FALSE(b.runnable());
    EXPECT_FALSE(f.sched.unpause(b, ms(8)).empty());
    EXPECT_TRUE(b.runnable());
    EXPECT_EQ(b.location(), Location::Queued);
    f.ok();
}

TEST(SchedulerPause, UnpauseWithoutPauseDies) {
    Fixture f(1);
    SchedUnit& u = f.unit(0);
    EXPECT_DEATH(f.sched.unpause(u, 0), "unpause without pause");
}

TEST(SchedulerUpDown, DownIsOfflineAndUpAgainRuns) {
    Fixture f(1);
    SchedUnit& u = f.running(0);
    f.now = ms(4);
    EXPECT_EQ(f.sched.vcpu_down(u, f.now), CpuMask::of(0));
    EXPECT_TRUE(f.sched.schedule(0, f.now).unit->is_idle());
    EXPECT_EQ(u.runstate().state(), RunState::Offline);
    EXPECT_TRUE(f.sched.wake(u, ms(5)).empty());  // not blocked, and down anyway
    EXPECT_EQ(f.sched.vcpu_up(u, ms(6)), CpuMask::of(0));
    EXPECT_EQ(f.sched.schedule(0, ms(6)).unit, &u);
    f.ok();
}

TEST(SchedulerRunstate, SumsToElapsedTimeExactlyAndMatchesTheGuestView) {
    Fixture f(2);
    SchedUnit& a = f.unit(0);
    SchedUnit& b = f.unit(0);
    std::mt19937_64 rng(99);
    for (int i = 0; i < 2000; ++i) {
        f.now += rng() % us(777) + 1;
        SchedUnit& u = rng() & 1 ? a : b;
        CpuMask kicks;
        switch (rng() % 7) {
        case 0: kicks = f.sched.vcpu_up(u, f.now); break;
        case 1: kicks = f.sched.block(u, f.now); break;
        case 2: kicks = f.sched.wake(u, f.now); break;
        case 3: kicks = f.sched.pause(u, f.now); kicks |= f.sched.unpause(u, f.now + 3); f.now += 3; break;
        case 4: f.sched.tick(static_cast<uint32_t>(rng() % 2), f.now); break;
        case 5: kicks = f.sched.vcpu_down(u, f.now); break;
        case 6: kicks = f.sched.account(f.now); break;
        }
        for (uint32_t c : kicks)
            f.sched.schedule(c, f.now);
        for (SchedUnit* x : {&a, &b}) {
            ASSERT_EQ(x->runstate().total_until(f.now), f.now);  // added at time 0
            const xen::VcpuRunstateInfo g = x->runstate().guest_view(f.now);
            ASSERT_EQ(g.state, static_cast<int32_t>(x->runstate().state()));
            ASSERT_EQ(g.time[0] + g.time[1] + g.time[2] + g.time[3], f.now);  // open interval included
            const xen::VcpuRunstateInfo at_entry = x->runstate().guest_view(g.state_entry_time);
            ASSERT_EQ(at_entry.time[0] + at_entry.time[1] + at_entry.time[2] + at_entry.time[3], g.state_entry_time);
        }
        for (uint32_t c = 0; c < 2; ++c)
            ASSERT_EQ(f.sched.idle_unit(c).runstate().total_until(f.now), f.now);
        f.ok();
    }
}

TEST(SchedulerRunstate, ClockSkewBetweenCpusIsClamped) {
    RunstateAccount r;
    r.start(RunState::Offline, 100);
    r.change(RunState::Runnable, 150);
    r.change(RunState::Running, 140);  // another CPU's clock, 10 ns behind
    EXPECT_EQ(r.entry_time(), 150u);
    EXPECT_EQ(r.time(RunState::Runnable), 0u);
    EXPECT_EQ(r.total_until(200), 100u);
    r.change(RunState::Running, 300);  // same state: no-op
    EXPECT_EQ(r.entry_time(), 150u);
}

TEST(SchedulerRunstate, TheAreaRecordStopsAtTheLastTransitionAsOnXen) {
    // Xen copies its runstate record into a registered area as last updated, so time[]
    // there holds only closed intervals; VCPUOP_get_runstate_info adds the open one.
    RunstateAccount r;
    r.start(RunState::Running, 100);
    r.change(RunState::Blocked, 300);
    r.change(RunState::Running, 400);
    const xen::VcpuRunstateInfo area = r.area_view();
    EXPECT_EQ(area.state, static_cast<int32_t>(xen::RunState::running));
    EXPECT_EQ(area.state_entry_time, 400u);
    EXPECT_EQ(area.time[0], 200u);
    EXPECT_EQ(area.time[2], 100u);
    EXPECT_EQ(area.time[0] + area.time[1] + area.time[2] + area.time[3], 400u - 100u);
    const xen::VcpuRunstateInfo now = r.guest_view(450);
    EXPECT_EQ(now.time[0], 250u);
    EXPECT_EQ(now.time[2], 100u);
}

TEST(SchedulerRemove, RemoveInEveryState) {
    Fixture f(1);
    SchedUnit& running = f.running(0);
    SchedUnit& queued = f.unit(0);
    SchedUnit& blocked = f.unit(0);
    f.sched.vcpu_up(queued, 0);
    f.sched.vcpu_up(blocked, 0);
    f.sched.block(blocked, 0);
    f.sched.tick(0, ms(10));
    f.ok();

    EXPECT_TRUE(f.sched.remove_unit(queued, ms(11)).empty());
    EXPECT_EQ(f.sched.queued(0), 0u);
    EXPECT_FALSE(queued.registered());
    f.ok();
    EXPECT_TRUE(f.sched.remove_unit(blocked, ms(11)).empty());
    f.ok();
    // Running: the scheduler forgets it at once and asks its CPU to reschedule.
    EXPECT_TRUE(running.active());
    EXPECT_EQ(f.sched.remove_unit(running, ms(12)), CpuMask::of(0));
    EXPECT_TRUE(f.sched.current(0).is_idle());
    EXPECT_FALSE(f.sched.needs_accounting());
    EXPECT_EQ(f.dom.active_count(), 0u);
    f.ok();
    EXPECT_TRUE(f.sched.schedule(0, ms(12)).unit->is_idle());
    EXPECT_EQ(f.dom.unit_count(), 0u);
    f.ok();
}

TEST(SchedulerRemove, DestroyingRegisteredObjectsDies) {
    EXPECT_DEATH(
        {
            Scheduler s(1);
            SchedDomain d;
            (void)s.add_domain(d);
            auto* u = new SchedUnit;
            (void)s.add_unit(*u, d, 0, 0);
            delete u;
        },
        "unit destroyed while still in the scheduler");
    EXPECT_DEATH(
        {
            Scheduler s(1);
            auto* d = new SchedDomain;
            (void)s.add_domain(*d);
            delete d;
        },
        "domain destroyed while still in the scheduler");
}

TEST(SchedulerSteal, IdleCpuStealsAndPrefersTheBusiestPeer) {
    Fixture f(3, {30, 0});
    SchedUnit& r0 = f.running(0);
    SchedUnit& r1 = f.running(1);
    SchedUnit& r2 = f.running(2);
    for (SchedUnit* r : {&r0, &r1, &r2})
        f.sched.tick(r->cpu(), ms(1));  // all Under now
    // No idle CPU: new (boosted) units queue on their own CPU and preempt the Under unit there,
    // which then waits: r0 waits on CPU 0; r1 and y1 wait on CPU 1.
    SchedUnit& x = f.unit(0);
    SchedUnit& y1 = f.unit(1);
    SchedUnit& y2 = f.unit(1);
    EXPECT_EQ(f.sched.vcpu_up(x, ms(2)), CpuMask::of(0));
    EXPECT_EQ(f.sched.schedule(0, ms(2)).unit, &x);
    EXPECT_EQ(f.sched.vcpu_up(y1, ms(2)), CpuMask::of(1));
    EXPECT_EQ(f.sched.schedule(1, ms(2)).unit, &y1);
    f.sched.tick(1, ms(3));  // y1: Under
    EXPECT_EQ(f.sched.vcpu_up(y2, ms(3)), CpuMask::of(1));
    EXPECT_EQ(f.sched.schedule(1, ms(3)).unit, &y2);
    ASSERT_EQ(f.sched.queued(0), 1u);
    ASSERT_EQ(f.sched.queued(1), 2u);
    f.ok();

    // CPU 2's unit blocks: CPU 2 steals from CPU 1, the busiest peer with equal head priority.
    f.sched.block(r2, ms(4));
    const Decision d = f.sched.schedule(2, ms(4));
    EXPECT_EQ(d.unit, &r1);  // the head of CPU 1's queue
    EXPECT_EQ(r1.cpu(), 2u);
    EXPECT_TRUE(d.migrated);
    EXPECT_EQ(f.sched.queued(1), 1u);
    EXPECT_EQ(f.sched.queued(0), 1u);
    f.ok();
}

TEST(SchedulerSteal, AnOverChoiceStealsABetterUnitFromAPeer) {
    Fixture f(2, {30, 0});
    SchedDomain& hog = f.domain(1);
    SchedUnit& a = f.running(0, &hog);
    SchedUnit& w = f.running(1);
    f.sched.tick(0, ms(10));
    f.sched.tick(1, ms(10));
    f.sched.tick(0, ms(300));
    f.sched.tick(1, ms(300));
    // No CPU is idle: b queues on its own CPU 1 (boosted; CPU 1 is asked to reschedule, later).
    SchedUnit& b = f.unit(1);
    EXPECT_EQ(f.sched.vcpu_up(b, ms(300)), CpuMask::of(1));
    f.sched.account(ms(300));  // a and w overspent: both Over
    ASSERT_EQ(a.priority(), Priority::Over);
    ASSERT_EQ(w.priority(), Priority::Over);
    ASSERT_EQ(b.location(), Location::Queued);
    ASSERT_EQ(b.priority(), Priority::Boost);
    // CPU 0's slice ends: its only local choice is a (Over), so it takes b from CPU 1.
    const Decision d = f.sched.schedule(0, ms(330));
    EXPECT_EQ(d.unit, &b);
    EXPECT_EQ(b.cpu(), 0u);
    EXPECT_EQ(a.location(), Location::Queued);
    EXPECT_TRUE(f.sched.schedule(1, ms(330)).unit == &w);  // nothing better left for CPU 1
    f.ok();
}

TEST(SchedulerCap, ParkedUnitLeavesItsCpuAndComesBackWithoutBoost) {
    Fixture f(1);
    SchedDomain& capped = f.domain(256, 10);  // 10% of a CPU: 30 credits per period
    SchedUnit& u = f.running(0, &capped);
    f.sched.tick(0, ms(10));
    f.sched.tick(0, ms(30));
    const CpuMask kicks = f.sched.account(ms(30));  // -300 + 30 < -30: parked
    EXPECT_TRUE(u.parked());
    EXPECT_EQ(kicks, CpuMask::of(0));
    EXPECT_TRUE(f.sched.schedule(0, ms(30)).unit->is_idle());
    EXPECT_EQ(u.runstate().state(), RunState::Offline);
    f.ok();
    uint64_t t = ms(30);
    CpuMask back;
    while (back.empty() && t < ms(1000)) {
        t += ms(30);
        back = f.sched.account(t);
    }
    EXPECT_EQ(back, CpuMask::of(0));
    EXPECT_FALSE(u.parked());
    EXPECT_EQ(u.priority(), Priority::Under);  // unparking is not a wake-up: no boost
    EXPECT_EQ(u.location(), Location::Queued);
    EXPECT_EQ(f.sched.schedule(0, t).unit, &u);
    f.ok();
}

}  // namespace
}  // namespace hv::sched
