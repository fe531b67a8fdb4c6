// Fuzzer for the credit scheduler: each input is a program of scheduler operations on a small
// machine (1-8 CPUs, 3 domains, 8 vCPU slots). The reschedule IPIs an operation returns are held
// as pending and delivered when the program says so (or at the end), so states in which a CPU has
// not yet reacted are explored too. After every operation the scheduler's own invariant check
// must pass; at the end, with every IPI delivered, no CPU may idle while a unit waits, and every
// unit's runstate times must add up to its lifetime exactly.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "sched/credit_scheduler.hpp"

namespace {

using namespace hv::sched;

class Bytes {
public:
    Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    uint8_t next() { return pos_ < size_ ? data_[pos_++] : 0; }
    uint16_t next16() { return static_cast<uint16_t>(next() | (next() << 8)); }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

[[noreturn]] void fail(const char* what, const char* detail) {
    std::fprintf(stderr, "scheduler_fuzz: %s: %s\n", what, detail ? detail : "");
    std::abort();
}

constexpr uint32_t kDomains = 3;
constexpr uint32_t kUnits = 8;

struct World {
    explicit World(uint32_t cpus, const SchedulerConfig& config) : sched(cpus, config, 0) {}
    ~World() {
        for (SchedUnit& u : units)
            if (u.registered())
                (void)sched.remove_unit(u, now);
        for (SchedDomain& d : domains)
            if (d.registered())
                (void)sched.remove_domain(d);
    }

    void deliver() {
        // Delivering can produce more IPIs (Decision::kick); loop until quiet.
        for (int round = 0; round < 64 && !pending.empty(); ++round) {
            const CpuMask now_pending = pending;
            pending = CpuMask{};
            for (uint32_t c : now_pending)
                pending |= sched.schedule(c, now).kick;
        }
        if (!pending.empty())
            fail("IPIs never settle", nullptr);
    }

    Scheduler sched;
    SchedDomain domains[kDomains];
    SchedUnit units[kUnits];
    CpuMask pending;
    uint64_t now = 0;
};

void check(World& w) {
    if (const char* error = w.sched.check_invariants())
        fail("invariant", error);
    for (const SchedUnit& u : w.units)
        if (u.registered() && u.runstate().total_until(w.now) != w.now - u.runstate().start_time())
            fail("runstate", "times do not add up to the unit's lifetime");
    for (uint32_t c = 0; c < w.sched.cpu_count(); ++c)
        if (w.sched.idle_unit(c).runstate().total_until(w.now) != w.now)
            fail("runstate", "idle unit times do not add up");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Bytes in(data, size);
    const uint32_t cpus = 1 + in.next() % 8;
    SchedulerConfig config;
    config.timeslice_ms = 1 + in.next() % 60;
    config.ratelimit_us = (in.next() & 1) ? 0 : 100 + in.next() % 200;
    if (Scheduler::validate(config) != hv::Status::Ok)
        config.ratelimit_us = 0;
    auto world = std::make_unique<World>(cpus, config);
    World& w = *world;
    Scheduler& s = w.sched;
    for (uint32_t d = 0; d < kDomains; ++d)
        if (s.add_domain(w.domains[d], static_cast<uint16_t>(1 + in.next16() % 1024),
                         static_cast<uint16_t>(d == 2 ? in.next() % 150 : 0)) != hv::Status::Ok)
            fail("setup", "add_domain");

    uint32_t steps = 0;
    while (!in.empty() && steps++ < 128) {
        const uint8_t op = in.next();
        const uint8_t arg = in.next();
        SchedUnit& u = w.units[arg % kUnits];
        const uint32_t cpu = (arg >> 3) % cpus;
        w.now += uint64_t{in.next()} * 37'000;  // up to ~9.4 ms per step
        switch (op % 16) {
        case 0:
            if (!u.registered())
                (void)s.add_unit(u, w.domains[arg % kDomains], cpu, w.now);
            break;
        case 1:
            if (u.registered())
                w.pending |= s.remove_unit(u, w.now);
            break;
        case 2: if (u.registered()) w.pending |= s.vcpu_up(u, w.now); break;
        case 3: if (u.registered()) w.pending |= s.vcpu_down(u, w.now); break;
        case 4: case 5: if (u.registered()) w.pending |= s.wake(u, w.now); break;
        case 6: if (u.registered()) w.pending |= s.block(u, w.now); break;
        case 7: if (u.registered()) w.pending |= s.yield(u); break;
        case 8: if (u.registered() && u.pause_count() < 4) w.pending |= s.pause(u, w.now); break;
        case 9: if (u.registered() && u.pause_count() > 0) w.pending |= s.unpause(u, w.now); break;
        case 10: s.tick(cpu, w.now); break;
        case 11: w.pending |= s.account(w.now); break;
        case 12: w.pending |= s.schedule(cpu, w.now).kick; break;
        case 13: case 14: w.deliver(); break;
        case 15: {
            SchedDomain& d = w.domains[arg % kDomains];
            (void)s.set_domain_params(d, static_cast<uint16_t>(in.next16() % 2048), static_cast<uint16_t>(in.next() % 120));
            break;
        }
        }
        check(w);
    }

    w.deliver();
    check(w);
    bool some_idle = false;
    uint32_t waiting = 0;
    for (uint32_t c = 0; c < cpus; ++c) {
        some_idle |= s.current(c).is_idle();
        waiting += s.queued(c);
    }
    if (some_idle && waiting != 0)
        fail("work conservation", "a CPU is idle while units wait");
    return 0;
}
