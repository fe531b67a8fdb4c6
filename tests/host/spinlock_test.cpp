// TicketLock and LockGuard: mutual exclusion under contention (a non-atomic counter), try_lock,
// is_locked, hand-over to a spinning waiter, and the 16-bit ticket wrap.
#include "lib/spinlock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace hv {
namespace {

TEST(TicketLock, FourThreadsCountExactly) {
    TicketLock lock;
    uint64_t counter = 0;  // deliberately not atomic: only the lock keeps the increments whole
    constexpr int kThreads = 4;
    constexpr int kIncrements = 100000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kIncrements; ++i) {
                lock.lock();
                const uint64_t seen = counter;
                counter = seen + 1;
                lock.unlock();
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(counter, uint64_t{kThreads} * kIncrements);
    EXPECT_FALSE(lock.is_locked());
}

TEST(TicketLock, FourThreadsWithLockGuardAndTryLock) {
    TicketLock lock;
    uint64_t counter = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 100000; ++i) {
                if (t % 2 == 0) {
                    LockGuard guard(lock);
                    ++counter;
                } else {
                    while (!lock.try_lock())
                        cpu_relax();
                    ++counter;
                    lock.unlock();
                }
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(counter, 400000u);
}

TEST(TicketLock, TryLock) {
    TicketLock lock;
    EXPECT_FALSE(lock.is_locked());
    EXPECT_TRUE(lock.try_lock());
    EXPECT_TRUE(lock.is_locked());
    EXPECT_FALSE(lock.try_lock()) << "not recursive";
    lock.unlock();
    EXPECT_FALSE(lock.is_locked());
    EXPECT_TRUE(lock.try_lock());
    lock.unlock();
}

TEST(TicketLock, TryLockFailsWhileAnotherCpuHoldsIt) {
    TicketLock lock;
    lock.lock();
    bool acquired = true;
    std::thread other([&] { acquired = lock.try_lock(); });
    other.join();
    EXPECT_FALSE(acquired);
    lock.unlock();
    std::thread again([&] {
        acquired = lock.try_lock();
        if (acquired)
            lock.unlock();
    });
    again.join();
    EXPECT_TRUE(acquired);
}

TEST(TicketLock, HandOverToAWaiter) {
    TicketLock lock;
    lock.lock();
    std::atomic<bool> waiter_in{false};
    std::atomic<bool> release{false};
    std::thread waiter([&] {
        lock.lock();  // spins until we unlock
        waiter_in = true;
        while (!release.load())
            cpu_relax();
        lock.unlock();
    });
    for (int i = 0; i < 100000; ++i)
        cpu_relax();
    EXPECT_FALSE(waiter_in.load()) << "got in while the lock was held";
    lock.unlock();
    while (!waiter_in.load())
        cpu_relax();
    EXPECT_TRUE(lock.is_locked());
    EXPECT_FALSE(lock.try_lock());
    release = true;
    waiter.join();
    EXPECT_FALSE(lock.is_locked());
}

TEST(TicketLock, TicketsWrapAround) {
    TicketLock lock;
    for (int i = 0; i < 70000; ++i) {  // past 2^16 tickets
        if (i % 2 == 0) {
            lock.lock();
        } else {
            ASSERT_TRUE(lock.try_lock()) << i;
        }
        ASSERT_TRUE(lock.is_locked());
        lock.unlock();
        ASSERT_FALSE(lock.is_locked());
    }
}

TEST(TicketLock, LockGuardScopes) {
    TicketLock lock;
    {
        LockGuard guard(lock);
        EXPECT_TRUE(lock.is_locked());
        EXPECT_FALSE(lock.try_lock());
    }
    EXPECT_FALSE(lock.is_locked());
    {
        LockGuard guard(lock);
    }
    EXPECT_TRUE(lock.try_lock());
    lock.unlock();
}

}  // namespace
}  // namespace hv
