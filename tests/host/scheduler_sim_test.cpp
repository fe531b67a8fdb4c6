// Scheduler behaviour over simulated time (scheduler_sim.hpp): proportional fairness, caps, wake-up
// boost latency, work conservation across CPUs, idle machines doing no periodic work, and a seeded
// random stress with the invariants checked after every step.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "scheduler_sim.hpp"

namespace hv::sched::test {
namespace {

double share(uint64_t part, uint64_t whole) { return static_cast<double>(part) / static_cast<double>(whole); }

TEST(SchedulerSim, WeightsShareOneCpuProportionally) {
    Machine m(1);
    SimVcpu& light = m.vcpu(m.domain(256), 0);
    SimVcpu& heavy = m.vcpu(m.domain(512), 0);
    m.run_until(ms(10'000), [&] { ASSERT_EQ(m.sched.check_invariants(), nullptr); });

    const uint64_t a = m.run_time(light);
    const uint64_t b = m.run_time(heavy);
    EXPECT_EQ(a + b, ms(10'000));  // a CPU-bound pair leaves no idle time
    const double ratio = share(b, a);
    std::printf("256:512 -> %.3f s : %.3f s, ratio %.4f\n", a / 1e9, b / 1e9, ratio);
    EXPECT_NEAR(ratio, 2.0, 2.0 * 0.02);
}

TEST(SchedulerSim, EqualWeightsShareEqually) {
    Machine m(1);
    SchedDomain& d = m.domain();
    SimVcpu& a = m.vcpu(d, 0);
    SimVcpu& b = m.vcpu(d, 0);
    SimVcpu& c = m.vcpu(m.domain(), 0);
    m.run_until(ms(9'000));
    for (SimVcpu* v : {&a, &b, &c})
        EXPECT_NEAR(share(m.run_time(*v), ms(9'000)), 1.0 / 3, 0.02);
}

TEST(SchedulerSim, CapLimitsAnOtherwiseIdleMachine) {
    Machine m(1);
    SimVcpu& capped = m.vcpu(m.domain(256, 50), 0);
    m.run_until(ms(10'000), [&] { ASSERT_EQ(m.sched.check_invariants(), nullptr); });
    const double got = share(m.run_time(capped), ms(10'000));
    std::printf("cap 50 alone -> %.4f\n", got);
    EXPECT_NEAR(got, 0.50, 0.03);
    // The parked time is Offline (Xen counts it as stolen time: runnable + offline).
    EXPECT_GT(capped.unit.runstate().time_until(RunState::Offline, m.now), ms(4'000));
}

TEST(SchedulerSim, CapHoldsUnderCompetitionAndTheRestGoesToOthers) {
    Machine m(2);
    SimVcpu& capped = m.vcpu(m.domain(1024, 30), 0);
    SimVcpu& other1 = m.vcpu(m.domain(256), 0);
    SimVcpu& other2 = m.vcpu(m.domain(256), 1);
    m.run_until(ms(10'000), [&] { ASSERT_FALSE(m.idle_while_work_waits()); });
    const double got = share(m.run_time(capped), ms(10'000));
    std::printf("cap 30 with competition -> %.4f, others %.4f %.4f\n", got,
                share(m.run_time(other1), ms(10'000)), share(m.run_time(other2), ms(10'000)));
    EXPECT_LE(got, 0.33);
    EXPECT_GE(got, 0.25);
    // Work-conserving: two CPUs, three CPU-bound units, nobody idles.
    EXPECT_EQ(m.run_time(capped) + m.run_time(other1) + m.run_time(other2), 2 * ms(10'000) - m.idle_time(0) - m.idle_time(1));
    EXPECT_LT(m.idle_time(0) + m.idle_time(1), ms(10'000) * 2 * 3 / 10);
}

TEST(SchedulerSim, WokenIoUnitRunsWithinOneSliceDespiteCpuHogs) {
    Machine m(1);
    SchedDomain& hogs = m.domain();
    m.vcpu(hogs, 0);
    m.vcpu(hogs, 0);
    SimVcpu& io = m.vcpu(m.domain(), 0, Workload{us(300), ms(4)});
    m.run_until(ms(5'000), [&] { ASSERT_EQ(m.sched.check_invariants(), nullptr); });
    ASSERT_GT(io.wakeups, 500u);
    std::printf("io: %u wake-ups, mean latency %.1f us, max %.1f us\n", io.wakeups,
                io.latency_total / 1e3 / io.wakeups, io.max_latency / 1e3);
    EXPECT_LT(io.max_latency, m.sched.timeslice_ns());
    // Boosted, it only waits for the hog's rate-limit window (1 ms) at worst.
    EXPECT_LE(io.max_latency, us(1'000));
}

TEST(SchedulerSim, FourCpusSixBusyUnitsNoCpuIdlesWhileUnitsWait) {
    Machine m(4);
    SchedDomain& d = m.domain();
    std::vector<SimVcpu*> units;
    for (uint32_t i = 0; i < 6; ++i)
        units.push_back(&m.vcpu(d, i % 2));  // all start crowded on CPUs 0 and 1
    uint64_t checks = 0;
    m.run_until(ms(10'000), [&] {
        ++checks;
        ASSERT_FALSE(m.idle_while_work_waits()) << "at " << m.now;
        ASSERT_EQ(m.sched.check_invariants(), nullptr);
    });
    ASSERT_GE(checks, 1000u);
    for (uint32_t c = 0; c < 4; ++c)
        EXPECT_EQ(m.idle_time(c), 0u) << "cpu " << c;
    uint64_t total = 0;
    for (SimVcpu* v : units) {
        total += m.run_time(*v);
        std::printf("share %.4f ", share(m.run_time(*v), ms(10'000)));
    }
    std::printf("\nmigrations %lu\n", static_cast<unsigned long>(m.migrations));
    EXPECT_EQ(total, 4 * ms(10'000));
    for (SimVcpu* v : units)
        EXPECT_NEAR(share(m.run_time(*v), ms(10'000)), 4.0 / 6, 0.05);
}

TEST(SchedulerSim, MixedLoadIsWorkConservingOnEveryStep) {
    Machine m(4);
    SchedDomain& batch = m.domain(512);
    SchedDomain& interactive = m.domain(256);
    for (uint32_t i = 0; i < 3; ++i)
        m.vcpu(batch, 0);
    for (uint32_t i = 0; i < 5; ++i)
        m.vcpu(interactive, i % 4, Workload{us(200 + 300 * i), ms(1 + i)});
    m.run_until(ms(5'000), [&] {
        ASSERT_FALSE(m.idle_while_work_waits()) << "at " << m.now;
        ASSERT_EQ(m.sched.check_invariants(), nullptr);
    });
}

TEST(SchedulerSim, IdleMachineHasNoPeriodicWorkAndLeavesTheAccounting) {
    Machine m(2);
    SchedDomain& d = m.domain();
    SimVcpu& v = m.vcpu(d, 0);
    m.run_until(ms(100));
    EXPECT_TRUE(v.unit.active());
    EXPECT_EQ(d.active_count(), 1u);
    m.deliver(m.sched.block(v.unit, m.now));
    EXPECT_FALSE(m.sched.needs_tick(0));
    EXPECT_FALSE(m.sched.needs_tick(1));
    const uint64_t ticks = m.ticks;
    const uint64_t schedules = m.schedules;
    m.run_until(ms(100'000));
    EXPECT_EQ(m.ticks, ticks) << "an idle machine must not tick";
    EXPECT_EQ(m.schedules, schedules);
    // Woken again, it runs at once, ticks resume, and after a few accounting periods of blocking
    // with credit to spare it drops out of the accounting.
    m.deliver(m.sched.wake(v.unit, m.now));
    EXPECT_EQ(&m.sched.current(0), &v.unit);
    EXPECT_TRUE(m.sched.needs_tick(0));
    m.run_until(m.now + ms(5));
    m.deliver(m.sched.block(v.unit, m.now));
    SimVcpu& other = m.vcpu(m.domain(), 1);  // keeps one CPU ticking so accounting runs
    m.run_until(m.now + ms(500));
    EXPECT_FALSE(v.unit.active());
    EXPECT_EQ(d.active_count(), 0u);
    EXPECT_TRUE(other.unit.active());
}

TEST(SchedulerSim, WeightChangeTakesEffect) {
    Machine m(1);
    SchedDomain& a = m.domain(256);
    SimVcpu& va = m.vcpu(a, 0);
    SimVcpu& vb = m.vcpu(m.domain(256), 0);
    m.run_until(ms(3'000));
    const uint64_t a0 = m.run_time(va);
    const uint64_t b0 = m.run_time(vb);
    ASSERT_EQ(m.sched.set_domain_params(a, 768, 0), Status::Ok);
    m.run_until(ms(9'000));
    EXPECT_NEAR(share(m.run_time(va) - a0, m.run_time(vb) - b0), 3.0, 0.15);
}

// Seeded random operations on a 4-CPU machine, invariants after every step, and work
// conservation after the IPIs of every step have been delivered.
TEST(SchedulerSim, SeededRandomStress) {
    for (uint32_t seed = 1; seed <= 20; ++seed) {
        std::mt19937_64 rng(seed);
        Machine m(4);
        std::vector<SchedDomain*> domains;
        for (uint32_t i = 0; i < 3; ++i)
            domains.push_back(&m.domain(static_cast<uint16_t>(64 << i), i == 2 ? 80 : 0));
        std::vector<std::unique_ptr<SchedUnit>> units;
        std::vector<SchedDomain*> owner;
        std::vector<uint32_t> pauses;
        auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };

        for (uint32_t step = 0; step < 3000; ++step) {
            m.now += rng() % us(3000);
            const uint32_t op = static_cast<uint32_t>(rng() % 13);
            if (op == 0 || units.empty()) {
                units.push_back(std::make_unique<SchedUnit>());
                owner.push_back(domains[pick(domains.size())]);
                pauses.push_back(0);
                ASSERT_EQ(m.sched.add_unit(*units.back(), *owner.back(), static_cast<uint32_t>(pick(4)), m.now),
                          Status::Ok);
                continue;
            }
            const size_t i = pick(units.size());
            SchedUnit& u = *units[i];
            switch (op) {
            case 1: m.deliver(m.sched.vcpu_up(u, m.now)); break;
            case 2: m.deliver(m.sched.vcpu_down(u, m.now)); break;
            case 3: case 4: m.deliver(m.sched.wake(u, m.now)); break;
            case 5: case 6: m.deliver(m.sched.block(u, m.now)); break;
            case 7: m.deliver(m.sched.yield(u)); break;
            case 8: m.deliver(m.sched.pause(u, m.now)); ++pauses[i]; break;
            case 9:
                if (pauses[i] > 0) {
                    m.deliver(m.sched.unpause(u, m.now));
                    --pauses[i];
                }
                break;
            case 10: {
                const uint32_t c = static_cast<uint32_t>(pick(4));
                m.sched.tick(c, m.now);
                break;
            }
            case 11: m.reschedule(static_cast<uint32_t>(pick(4))); break;
            case 12:
                if (pick(8) == 0) {
                    m.deliver(m.sched.remove_unit(u, m.now));
                    units.erase(units.begin() + static_cast<long>(i));
                    owner.erase(owner.begin() + static_cast<long>(i));
                    pauses.erase(pauses.begin() + static_cast<long>(i));
                } else {
                    m.deliver(m.sched.account(m.now));
                }
                break;
            }
            ASSERT_EQ(m.sched.check_invariants(), nullptr) << "seed " << seed << " step " << step;
            ASSERT_FALSE(m.idle_while_work_waits()) << "seed " << seed << " step " << step;
            for (const auto& unit : units)
                ASSERT_EQ(unit->runstate().total_until(m.now), m.now - unit->runstate().start_time());
        }
        for (auto& u : units)
            m.deliver(m.sched.remove_unit(*u, m.now));
        ASSERT_EQ(m.sched.check_invariants(), nullptr);
        for (uint32_t c = 0; c < 4; ++c)
            EXPECT_TRUE(m.sched.cpu_idle(c));
    }
}

}  // namespace
}  // namespace hv::sched::test
