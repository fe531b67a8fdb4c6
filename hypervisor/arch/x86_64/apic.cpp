#include "arch/x86_64/apic.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/paging.hpp"
#include "arch/x86_64/traps.hpp"

namespace hv::arch {
namespace {

// Register offsets (SDM vol. 3, table 10-1).
enum Register : uint32_t {
    kId = 0x20, kVersion = 0x30, kTpr = 0x80, kEoi = 0xb0, kSpuriousVector = 0xf0, kErrorStatus = 0x280,
    kIcrLow = 0x300, kIcrHigh = 0x310, kLvtTimer = 0x320, kLvtThermal = 0x330, kLvtPerfCounter = 0x340,
    kLvtLint0 = 0x350, kLvtLint1 = 0x360, kLvtError = 0x370, kTimerInitialCount = 0x380,
    kTimerCurrentCount = 0x390, kTimerDivide = 0x3e0,
};
// ICR fields (SDM 10.6.1).
constexpr uint32_t kDeliveryInit = 5u << 8, kDeliveryStartup = 6u << 8, kDeliveryNmi = 4u << 8;
constexpr uint32_t kLevelAssert = 1u << 14, kTriggerLevel = 1u << 15, kDeliveryPending = 1u << 12;
constexpr uint32_t kShorthandAllButSelf = 3u << 18;
constexpr uint32_t kLvtMasked = 1u << 16;
constexpr uint32_t kLvtTimerTscDeadline = 2u << 17;
constexpr uint32_t kSoftwareEnable = 1u << 8;
constexpr uint32_t kDivideBy16 = 0x3;

volatile uint32_t* apic = nullptr;
bool tsc_deadline = false;
uint64_t timer_hz = 0;   // APIC timer ticks per second (divide by 16)
uint64_t tsc_hz_cached = 0;

uint32_t read(Register r) { return apic[r / 4]; }
void write(Register r, uint32_t v) { apic[r / 4] = v; }

void wait_icr_idle() {
    for (unsigned i = 0; i < 1000000 && (read(kIcrLow) & kDeliveryPending); ++i)
        __builtin_ia32_pause();
}

void send_icr(uint32_t apic_id, uint32_t low) {
    IrqSave irq;
    wait_icr_idle();
    write(kIcrHigh, apic_id << 24);
    write(kIcrLow, low);
    wait_icr_idle();
}

}  // namespace

Status lapic_init_bsp(uint64_t phys_base) {
    auto mapped = ioremap(phys_base, 4096);
    if (!mapped.ok())
        return mapped.status();
    apic = static_cast<volatile uint32_t*>(*mapped);
    tsc_deadline = (cpuid(1).ecx >> 24) & 1;
    return Status::Ok;
}

void lapic_init_this_cpu() {
    wrmsr(msr::kApicBase, rdmsr(msr::kApicBase) | msr::kApicBaseEnable);
    write(kTpr, 0);
    write(kLvtTimer, kLvtMasked | kVectorTimer);
    write(kLvtThermal, kLvtMasked);
    write(kLvtPerfCounter, kLvtMasked);
    write(kLvtLint0, kLvtMasked);
    write(kLvtLint1, kLvtMasked);
    write(kLvtError, kLvtMasked);
    write(kErrorStatus, 0);
    write(kSpuriousVector, kSoftwareEnable | kVectorSpurious);
    write(kTimerDivide, kDivideBy16);
    write(kLvtTimer, kVectorTimer | (tsc_deadline ? kLvtTimerTscDeadline : 0));
}

uint32_t lapic_id() { return read(kId) >> 24; }
void lapic_eoi() { write(kEoi, 0); }

void lapic_send_init(uint32_t apic_id) {
    send_icr(apic_id, kDeliveryInit | kLevelAssert | kTriggerLevel);
}
void lapic_send_startup(uint32_t apic_id, uint8_t page) { send_icr(apic_id, kDeliveryStartup | page); }
void lapic_send_ipi(uint32_t apic_id, uint8_t vector) { send_icr(apic_id, vector); }
void lapic_send_nmi_all_but_self() {
    // No IrqSave/wait loop that could deadlock in a panic: fire and go.
    if (apic == nullptr)
        return;
    write(kIcrHigh, 0);
    write(kIcrLow, kDeliveryNmi | kLevelAssert | kShorthandAllButSelf);
}

void lapic_timer_calibrate(uint64_t tsc_hz) {
    tsc_hz_cached = tsc_hz;
    if (tsc_deadline)
        return;
    // Count APIC timer ticks over ~10 ms of TSC time, with the timer masked.
    write(kLvtTimer, kLvtMasked | kVectorTimer);
    write(kTimerDivide, kDivideBy16);
    write(kTimerInitialCount, 0xffffffff);
    const uint64_t start = rdtsc_ordered();
    const uint64_t window = tsc_hz / 100;
    while (rdtsc_ordered() - start < window)
        __builtin_ia32_pause();
    const uint32_t elapsed = 0xffffffff - read(kTimerCurrentCount);
    const uint64_t tsc_elapsed = rdtsc_ordered() - start;
    write(kTimerInitialCount, 0);
    timer_hz = static_cast<uint64_t>(elapsed) * tsc_hz / tsc_elapsed;
    write(kLvtTimer, kVectorTimer);
}

bool lapic_timer_uses_tsc_deadline() { return tsc_deadline; }
uint64_t lapic_timer_frequency() { return timer_hz; }

void lapic_timer_arm(uint64_t deadline) {
    if (tsc_deadline) {
        wrmsr(msr::kTscDeadline, deadline);
        return;
    }
    if (deadline == 0) {
        write(kTimerInitialCount, 0);
        return;
    }
    const uint64_t now = rdtsc();
    uint64_t ticks = 1;
    if (deadline > now) {
        const unsigned __int128 t = static_cast<unsigned __int128>(deadline - now) * timer_hz / tsc_hz_cached;
        ticks = t > 0xffffffffu ? 0xffffffffu : (t == 0 ? 1 : static_cast<uint64_t>(t));
    }
    // A too-long wait just fires early; the timer code re-arms for the remainder.
    write(kTimerInitialCount, static_cast<uint32_t>(ticks));
}

}  // namespace hv::arch
