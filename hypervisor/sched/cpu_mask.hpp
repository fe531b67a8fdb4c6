// A set of physical CPU ids, one bit each, in a single 64-bit word.
//
// Invariant: only bits below kMaxSchedCpus are ever set (the hypervisor brings up at most 64
// CPUs, kernel/percpu.hpp kMaxCpus). The scheduler returns a CpuMask from every operation that may
// need another CPU to run schedule(): "send these CPUs a reschedule IPI" is a value, not a call.
#pragma once

#include <bit>
#include <cstdint>

#include "seam/panic.hpp"

namespace hv::sched {

inline constexpr uint32_t kMaxSchedCpus = 64;
inline constexpr uint32_t kNoCpu = ~0u;

class CpuMask {
public:
    constexpr CpuMask() = default;
    static constexpr CpuMask from_bits(uint64_t bits) {
        CpuMask m;
        m.bits_ = bits;
        return m;
    }
    static constexpr CpuMask of(uint32_t cpu) {
        CpuMask m;
        m.set(cpu);
        return m;
    }

    constexpr void set(uint32_t cpu) {
        HV_ASSERT(cpu < kMaxSchedCpus);
        bits_ |= uint64_t{1} << cpu;
    }
    constexpr void clear(uint32_t cpu) {
        HV_ASSERT(cpu < kMaxSchedCpus);
        bits_ &= ~(uint64_t{1} << cpu);
    }
    constexpr bool test(uint32_t cpu) const { return cpu < kMaxSchedCpus && ((bits_ >> cpu) & 1) != 0; }
    constexpr bool empty() const { return bits_ == 0; }
    constexpr uint32_t count() const { return static_cast<uint32_t>(std::popcount(bits_)); }
    constexpr uint64_t bits() const { return bits_; }

    // Lowest set CPU, or kNoCpu.
    constexpr uint32_t first() const {
        return bits_ == 0 ? kNoCpu : static_cast<uint32_t>(std::countr_zero(bits_));
    }
    // First set CPU after `cpu` going round (cpu itself last), or kNoCpu: spreads choices.
    constexpr uint32_t cycle_after(uint32_t cpu) const {
        if (bits_ == 0)
            return kNoCpu;
        const uint32_t start = (cpu + 1) % kMaxSchedCpus;
        const uint64_t rotated = std::rotr(bits_, static_cast<int>(start));
        return (start + static_cast<uint32_t>(std::countr_zero(rotated))) % kMaxSchedCpus;
    }

    constexpr CpuMask& operator|=(CpuMask other) {
        bits_ |= other.bits_;
        return *this;
    }
    friend constexpr CpuMask operator|(CpuMask a, CpuMask b) { return a |= b; }
    friend constexpr bool operator==(CpuMask a, CpuMask b) { return a.bits_ == b.bits_; }

    // Iteration: for (uint32_t cpu : mask).
    class Iterator {
    public:
        constexpr explicit Iterator(uint64_t bits) : bits_(bits) {}
        constexpr uint32_t operator*() const { return static_cast<uint32_t>(std::countr_zero(bits_)); }
        constexpr Iterator& operator++() {
            bits_ &= bits_ - 1;
            return *this;
        }
        constexpr bool operator!=(const Iterator& o) const { return bits_ != o.bits_; }

    private:
        uint64_t bits_;
    };
    constexpr Iterator begin() const { return Iterator(bits_); }
    constexpr Iterator end() const { return Iterator(0); }

private:
    uint64_t bits_ = 0;
};

}  // namespace hv::sched
