// Thin wrappers over privileged x86-64 instructions. Only arch/x86_64 and the kernel
// implementations of seams include this file (STYLE.md rule 1).
#pragma once

#include <cstdint>

namespace hv::arch {

inline uint8_t inb(uint16_t port) {
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline uint16_t inw(uint16_t port) {
    uint16_t v;
    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline uint32_t inl(uint16_t port) {
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (static_cast<uint64_t>(hi) << 32) | lo;
}
inline void wrmsr(uint32_t msr, uint64_t v) {
    asm volatile("wrmsr" : : "c"(msr), "a"(static_cast<uint32_t>(v)), "d"(static_cast<uint32_t>(v >> 32)) : "memory");
}

inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (static_cast<uint64_t>(hi) << 32) | lo;
}
// rdtsc ordered after all earlier loads (lfence is dispatch-serializing on Intel and on
// AMD with the usual MSR setting), for calibration and deadline reads.
inline uint64_t rdtsc_ordered() {
    asm volatile("lfence" ::: "memory");
    return rdtsc();
}

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0) {
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

#define HV_CR_ACCESSORS(n)                                                        \
    inline uint64_t read_cr##n() {                                                \
        uint64_t v;                                                               \
        asm volatile("mov %%cr" #n ", %0" : "=r"(v));                             \
        return v;                                                                 \
    }                                                                             \
    inline void write_cr##n(uint64_t v) { asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
HV_CR_ACCESSORS(0)
HV_CR_ACCESSORS(2)
HV_CR_ACCESSORS(3)
HV_CR_ACCESSORS(4)
#undef HV_CR_ACCESSORS

inline uint64_t read_rflags() {
    uint64_t v;
    asm volatile("pushfq; popq %0" : "=r"(v));
    return v;
}
inline void irq_disable() { asm volatile("cli" ::: "memory"); }
inline void irq_enable() { asm volatile("sti" ::: "memory"); }
inline bool irqs_enabled() { return (read_rflags() & (1u << 9)) != 0; }
// sti takes effect after the next instruction, so "sti; hlt" cannot lose a wake-up.
inline void safe_halt() { asm volatile("sti; hlt" ::: "memory"); }
inline void halt() { asm volatile("hlt" ::: "memory"); }
inline void invlpg(uint64_t va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }
inline void flush_tlb_local() { write_cr3(read_cr3()); }
inline uint64_t read_rbp() {
    uint64_t v;
    asm volatile("mov %%rbp, %0" : "=r"(v));
    return v;
}
inline uint64_t read_rsp() {
    uint64_t v;
    asm volatile("mov %%rsp, %0" : "=r"(v));
    return v;
}

struct [[gnu::packed]] DescriptorPointer {
    uint16_t limit;
    uint64_t base;
};
inline void lgdt(const DescriptorPointer& p) { asm volatile("lgdt %0" : : "m"(p)); }
inline void lidt(const DescriptorPointer& p) { asm volatile("lidt %0" : : "m"(p)); }
inline void ltr(uint16_t sel) { asm volatile("ltr %0" : : "r"(sel)); }
inline void lldt(uint16_t sel) { asm volatile("lldt %0" : : "r"(sel)); }

// Saves the interrupt flag, disables interrupts; restores on destruction.
class [[nodiscard]] IrqSave {
public:
    IrqSave() : was_enabled_(irqs_enabled()) { irq_disable(); }
    ~IrqSave() {
        if (was_enabled_)
            irq_enable();
    }
    IrqSave(const IrqSave&) = delete;
    IrqSave& operator=(const IrqSave&) = delete;

private:
    bool was_enabled_;
};

// A lock also taken from interrupt context: interrupts off while held.
template <typename Lock>
class [[nodiscard]] IrqSaveLockGuard {
public:
    explicit IrqSaveLockGuard(Lock& l) : lock_(l) { lock_.lock(); }
    ~IrqSaveLockGuard() { lock_.unlock(); }
    IrqSaveLockGuard(const IrqSaveLockGuard&) = delete;
    IrqSaveLockGuard& operator=(const IrqSaveLockGuard&) = delete;

private:
    IrqSave irq_;  // constructed first, destroyed last
    Lock& lock_;
};

}  // namespace hv::arch
