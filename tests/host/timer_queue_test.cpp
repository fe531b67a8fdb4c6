// TimerQueue: deadline order, FIFO among equal deadlines, re-arm, cancel, callbacks that re-arm
// themselves or cancel/arm others during a run, misuse death tests, and a two-thread stress with exact
// accounting.
#include "time/timer_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace hv {
namespace {

// Records the order in which timers fire; each timer's data points at its Recorder entry.
struct Recorder {
    std::vector<int> fired;
};

struct Tagged {
    Recorder* recorder;
    int id;
};

void record(Timer& t) {
    auto* tag = static_cast<Tagged*>(t.data);
    tag->recorder->fired.push_back(tag->id);
}

struct RecordingTimer {
    RecordingTimer(Recorder& r, int id) : tag{&r, id}, timer(record, &tag) {}
    Tagged tag;
    Timer timer;
};

TEST(TimerQueue, EmptyQueue) {
    TimerQueue q;
    EXPECT_EQ(q.size(), 0u);
    EXPECT_FALSE(q.next_deadline().has_value());
    EXPECT_EQ(q.run_expired(~0ull), 0u);
}

TEST(TimerQueue, FiresInDeadlineOrder) {
    Recorder r;
    std::vector<std::unique_ptr<RecordingTimer>> timers;
    TimerQueue q;
    const uint64_t deadlines[] = {500, 100, 400, 200, 300, 50, 1000};
    for (int i = 0; i < 7; ++i) {
        timers.push_back(std::make_unique<RecordingTimer>(r, i));
        q.arm(timers.back()->timer, deadlines[i]);
        EXPECT_TRUE(timers.back()->timer.armed());
        EXPECT_EQ(timers.back()->timer.deadline(), deadlines[i]);
        EXPECT_EQ(timers.back()->timer.queue(), &q);
    }
    EXPECT_EQ(q.size(), 7u);
    EXPECT_EQ(q.next_deadline(), 50u);
    EXPECT_EQ(q.run_expired(49), 0u);
    EXPECT_EQ(q.run_expired(300), 4u);  // 50, 100, 200, 300: "deadline <= now" is inclusive
    EXPECT_EQ(r.fired, (std::vector<int>{5, 1, 3, 4}));
    EXPECT_EQ(q.next_deadline(), 400u);
    EXPECT_FALSE(timers[1]->timer.armed());
    EXPECT_EQ(timers[1]->timer.queue(), nullptr);
    EXPECT_EQ(q.run_expired(~0ull), 3u);
    EXPECT_EQ(r.fired, (std::vector<int>{5, 1, 3, 4, 2, 0, 6}));
    EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueue, EqualDeadlinesFireInArmOrder) {
    Recorder r;
    std::vector<std::unique_ptr<RecordingTimer>> timers;
    TimerQueue q;
    for (int i = 0; i < 20; ++i) {
        timers.push_back(std::make_unique<RecordingTimer>(r, i));
        q.arm(timers.back()->timer, i % 2 == 0 ? 100 : 200);
    }
    EXPECT_EQ(q.run_expired(1000), 20u);
    std::vector<int> expected;
    for (int i = 0; i < 20; i += 2)
        expected.push_back(i);
    for (int i = 1; i < 20; i += 2)
        expected.push_back(i);
    EXPECT_EQ(r.fired, expected);
}

TEST(TimerQueue, ReArmMovesTheTimer) {
    Recorder r;
    RecordingTimer a(r, 1), b(r, 2), c(r, 3);
    TimerQueue q;
    q.arm(a.timer, 100);
    q.arm(b.timer, 100);
    q.arm(c.timer, 300);
    q.arm(a.timer, 100);  // same deadline again: now behind b
    EXPECT_EQ(q.size(), 3u);
    q.arm(c.timer, 10);   // earlier
    EXPECT_EQ(q.size(), 3u);
    EXPECT_EQ(q.next_deadline(), 10u);
    EXPECT_EQ(c.timer.deadline(), 10u);
    EXPECT_EQ(q.run_expired(1000), 3u);
    EXPECT_EQ(r.fired, (std::vector<int>{3, 2, 1}));
}

TEST(TimerQueue, Cancel) {
    Recorder r;
    RecordingTimer a(r, 1), b(r, 2);
    TimerQueue q;
    EXPECT_FALSE(q.cancel(a.timer));
    q.arm(a.timer, 100);
    q.arm(b.timer, 200);
    EXPECT_TRUE(q.cancel(a.timer));
    EXPECT_FALSE(a.timer.armed());
    EXPECT_FALSE(q.cancel(a.timer));
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.next_deadline(), 200u);
    EXPECT_EQ(q.run_expired(1000), 1u);
    EXPECT_EQ(r.fired, (std::vector<int>{2}));
    EXPECT_FALSE(q.cancel(b.timer)) << "a fired timer is no longer armed";
    // Cancelled timers can be armed again.
    q.arm(a.timer, 5);
    EXPECT_EQ(q.run_expired(5), 1u);
    EXPECT_EQ(r.fired, (std::vector<int>{2, 1}));
}

TEST(TimerQueue, CancelOnAnotherQueueIsFalse) {
    Recorder r;
    RecordingTimer a(r, 1);
    TimerQueue q1, q2;
    q1.arm(a.timer, 10);
    EXPECT_FALSE(q2.cancel(a.timer));
    EXPECT_TRUE(a.timer.armed());
    EXPECT_TRUE(q1.cancel(a.timer));
    q2.arm(a.timer, 10);  // may move once disarmed
    EXPECT_EQ(q2.run_expired(10), 1u);
}

// A periodic timer: the callback re-arms itself one period later.
struct Periodic {
    TimerQueue* queue;
    uint64_t period;
    int fired = 0;
    std::vector<uint64_t> deadlines;
};

void periodic_tick(Timer& t) {
    auto* p = static_cast<Periodic*>(t.data);
    ++p->fired;
    p->deadlines.push_back(t.deadline());
    EXPECT_FALSE(t.armed()) << "a timer is unlinked before its callback runs";
    p->queue->arm(t, t.deadline() + p->period);
}

TEST(TimerQueue, PeriodicTimerReArmsItself) {
    TimerQueue q;
    Periodic p{&q, 100};
    Timer t(periodic_tick, &p);
    q.arm(t, 100);
    for (uint64_t now = 0; now <= 1000; now += 50)
        q.run_expired(now);
    EXPECT_EQ(p.fired, 10);
    EXPECT_EQ(p.deadlines, (std::vector<uint64_t>{100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}));
    EXPECT_TRUE(t.armed());
    EXPECT_EQ(q.next_deadline(), 1100u);
    EXPECT_TRUE(q.cancel(t));
}

TEST(TimerQueue, ATimerArmedDuringARunWaitsForTheNextRun) {
    // Far behind: each run fires the overdue periodic timer once, so a callback can never livelock it.
    TimerQueue q;
    Periodic p{&q, 10};
    Timer t(periodic_tick, &p);
    q.arm(t, 0);
    EXPECT_EQ(q.run_expired(1000), 1u);
    EXPECT_EQ(p.fired, 1);
    EXPECT_EQ(q.next_deadline(), 10u) << "re-armed, overdue, left for the next call";
    size_t runs = 1;
    while (q.run_expired(1000) != 0)
        ++runs;
    EXPECT_EQ(runs, 101u);  // deadlines 0, 10, ..., 1000
    EXPECT_EQ(q.next_deadline(), 1010u);
    q.cancel(t);
}

struct Canceller {
    TimerQueue* queue;
    Timer* victim;
    bool result = true;
    int fired = 0;
};

void cancel_victim(Timer& t) {
    auto* c = static_cast<Canceller*>(t.data);
    ++c->fired;
    c->result = c->queue->cancel(*c->victim);
}

void count_fire(Timer& t) { ++*static_cast<int*>(t.data); }

TEST(TimerQueue, CallbackCancelsAnotherExpiredTimer) {
    TimerQueue q;
    int victim_fired = 0;
    Timer victim(count_fire, &victim_fired);
    Canceller c{&q, &victim};
    Timer killer(cancel_victim, &c);
    q.arm(killer, 10);
    q.arm(victim, 20);  // expired at now = 100, but the killer fires first
    EXPECT_EQ(q.run_expired(100), 1u);
    EXPECT_EQ(c.fired, 1);
    EXPECT_TRUE(c.result);
    EXPECT_EQ(victim_fired, 0);
    EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueue, CallbackCancelsItselfAndArmsAnother) {
    TimerQueue q;
    int other_fired = 0;
    Timer other(count_fire, &other_fired);
    struct Context {
        TimerQueue* queue;
        Timer* other;
        Timer* self;
        bool cancelled_self = true;
    } context{&q, &other, nullptr};
    Timer self(
        [](Timer& t) {
            auto* ctx = static_cast<Context*>(t.data);
            ctx->cancelled_self = ctx->queue->cancel(t);
            ctx->queue->arm(*ctx->other, 0);  // already expired, armed during the run
        },
        &context);
    context.self = &self;
    q.arm(self, 5);
    EXPECT_EQ(q.run_expired(10), 1u);
    EXPECT_FALSE(context.cancelled_self) << "it was no longer armed when its callback ran";
    EXPECT_EQ(other_fired, 0);
    EXPECT_EQ(q.run_expired(10), 1u);
    EXPECT_EQ(other_fired, 1);
}

TEST(TimerQueue, DestroyingTheQueueDisarms) {
    int fired = 0;
    Timer t(count_fire, &fired);
    {
        TimerQueue q;
        q.arm(t, 10);
    }
    EXPECT_FALSE(t.armed());
    EXPECT_EQ(fired, 0);
}

TEST(TimerQueue, LargeRandomOrder) {
    TimerQueue q;
    std::vector<std::unique_ptr<Timer>> timers;
    std::vector<uint64_t> fired;
    std::mt19937_64 rng(5);
    for (int i = 0; i < 5000; ++i) {
        timers.push_back(std::make_unique<Timer>([](Timer& t) { static_cast<std::vector<uint64_t>*>(t.data)->push_back(t.deadline()); },
                                                 &fired));
        q.arm(*timers.back(), rng() % 100000);
    }
    for (int i = 0; i < 1000; ++i)
        q.cancel(*timers[rng() % timers.size()]);
    const size_t armed = q.size();
    size_t total = 0;
    for (uint64_t now = 0; now <= 100000; now += 777)
        total += q.run_expired(now);
    total += q.run_expired(~0ull);
    EXPECT_EQ(total, armed);
    EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
}

using TimerQueueDeathTest = ::testing::Test;

TEST(TimerQueueDeathTest, DestroyingAnArmedTimer) {
    TimerQueue q;
    EXPECT_DEATH(
        {
            Timer t(count_fire, nullptr);
            q.arm(t, 10);
        },
        "timer destroyed while armed");
}

TEST(TimerQueueDeathTest, ArmingOnTwoQueues) {
    TimerQueue q1, q2;
    int fired = 0;
    Timer t(count_fire, &fired);
    q1.arm(t, 10);
    EXPECT_DEATH(q2.arm(t, 10), "timer armed on two queues");
    q1.cancel(t);
}

// Thread A arms and cancels a pool of timers; thread B runs the queue with a moving clock. Every arm()
// of a disarmed timer starts an "arming" that ends exactly once, by firing or by a successful cancel.
TEST(TimerQueue, TwoThreadStress) {
    TimerQueue q;
    std::atomic<uint64_t> fired{0};
    constexpr int kTimers = 64;
    std::vector<std::unique_ptr<Timer>> timers;
    for (int i = 0; i < kTimers; ++i)
        timers.push_back(std::make_unique<Timer>(
            [](Timer& t) { static_cast<std::atomic<uint64_t>*>(t.data)->fetch_add(1); },
            &fired));
    std::atomic<uint64_t> clock{0};
    std::atomic<bool> done{false};
    uint64_t armings = 0, cancelled = 0;

    std::thread runner([&] {
        while (!done.load()) {
            q.run_expired(clock.fetch_add(3));
            (void)q.next_deadline();
        }
    });
    std::mt19937_64 rng(11);
    for (int op = 0; op < 200000; ++op) {
        Timer& t = *timers[rng() % kTimers];
        if (q.cancel(t))
            ++cancelled;
        if (rng() % 4 != 0) {
            q.arm(t, clock.load() + rng() % 200);
            ++armings;
        }
    }
    done = true;
    runner.join();
    for (auto& t : timers) {
        if (q.cancel(*t))
            ++cancelled;
    }
    EXPECT_EQ(q.size(), 0u);
    EXPECT_EQ(armings, fired.load() + cancelled);
    EXPECT_GT(fired.load(), 0u);
    EXPECT_GT(cancelled, 0u);
}

}  // namespace
}  // namespace hv
