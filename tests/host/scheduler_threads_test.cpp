// The scheduler's locking under real concurrency: one thread per fake CPU calling schedule() and
// tick() (CPU 0 also account()), plus one thread delivering events (wake, block, pause, unpause,
// vCPU down/up, yield, remove and re-add), all racing on the runqueue and accounting locks. Nothing may deadlock, no unit may be lost or
// duplicated (the invariant check at the end), and ASan/UBSan watch the rest.
#include "sched/credit_scheduler.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace hv::sched {
namespace {

TEST(SchedulerThreads, ConcurrentCpusAndEvents) {
    constexpr uint32_t kCpus = 4;
    Scheduler s(kCpus, {1, 100});
    SchedDomain d1;
    SchedDomain d2;
    ASSERT_EQ(s.add_domain(d1, 256), Status::Ok);
    ASSERT_EQ(s.add_domain(d2, 512, 150), Status::Ok);
    std::vector<std::unique_ptr<SchedUnit>> units;
    for (uint32_t i = 0; i < 12; ++i) {
        units.push_back(std::make_unique<SchedUnit>());
        ASSERT_EQ(s.add_unit(*units.back(), i % 3 ? d1 : d2, i % kCpus, 0), Status::Ok);
        (void)s.vcpu_up(*units.back(), 0);
    }
    std::atomic<uint64_t> clock{1};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (uint32_t c = 0; c < kCpus; ++c) {
        threads.emplace_back([&, c] {
            uint64_t n = 0;
            while (!stop.load()) {
                const uint64_t now = clock.fetch_add(1000);
                (void)s.schedule(c, now);
                if (++n % 3 == 0)
                    s.tick(c, now);
                if (c == 0 && n % 30 == 0)
                    (void)s.account(now);
            }
        });
    }
    threads.emplace_back([&] {
        std::mt19937 rng(5);
        std::vector<uint32_t> pauses(units.size(), 0);
        while (!stop.load()) {
            const uint64_t now = clock.fetch_add(1000);
            const size_t i = rng() % units.size();
            switch (rng() % 9) {
            case 0: (void)s.block(*units[i], now); break;
            case 1: case 2: (void)s.wake(*units[i], now); break;
            case 3: (void)s.pause(*units[i], now); ++pauses[i]; break;
            case 4:
                if (pauses[i] > 0) {
                    (void)s.unpause(*units[i], now);
                    --pauses[i];
                }
                break;
            case 5: (void)s.vcpu_down(*units[i], now); break;
            case 6: (void)s.vcpu_up(*units[i], now); break;
            case 7: (void)s.yield(*units[i]); break;
            case 8:
                // Domain destruction and re-creation of one vCPU, while the CPUs keep going.
                (void)s.remove_unit(*units[i], now);
                pauses[i] = 0;
                if (s.add_unit(*units[i], i % 3 ? d1 : d2, static_cast<uint32_t>(rng() % kCpus), now) == Status::Ok)
                    (void)s.vcpu_up(*units[i], now);
                break;
            }
        }
        for (size_t i = 0; i < units.size(); ++i)
            for (; pauses[i] > 0; --pauses[i])
                (void)s.unpause(*units[i], clock.fetch_add(1000));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    stop.store(true);
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(s.check_invariants(), nullptr);
    const uint64_t end = clock.load();
    for (auto& u : units) {
        EXPECT_EQ(u->runstate().total_until(end), end - u->runstate().start_time());
        (void)s.remove_unit(*u, end);
    }
    EXPECT_EQ(s.check_invariants(), nullptr);
    EXPECT_EQ(s.remove_domain(d1), Status::Ok);
    EXPECT_EQ(s.remove_domain(d2), Status::Ok);
}

}  // namespace
}  // namespace hv::sched
