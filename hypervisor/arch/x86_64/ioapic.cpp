#include "arch/x86_64/ioapic.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/paging.hpp"
#include "lib/spinlock.hpp"

namespace hv::arch {
namespace {

constexpr unsigned kMaxIoApics = 16;
constexpr uint32_t kRegisterSelect = 0x00, kWindow = 0x10;  // byte offsets
constexpr uint32_t kVersionRegister = 0x01, kRedirectionBase = 0x10;
// Redirection entry, low dword (82093AA datasheet 3.2.4): vector 7:0, delivery mode
// 10:8 (0 fixed), destination mode 11 (0 physical), polarity 13 (1 low), trigger 15
// (1 level), mask 16. High dword: destination APIC ID in bits 31:24.
constexpr uint32_t kPolarityLow = 1u << 13, kTriggerLevel = 1u << 15, kMasked = 1u << 16;

struct IoApic {
    uint64_t phys = 0;
    uint32_t gsi_base = 0;
    uint32_t pins = 0;  // redirection entries (version register bits 23:16, plus one)
    volatile uint32_t* mmio = nullptr;
    TicketLock lock;  // IOREGSEL then IOWIN must not interleave
};
IoApic ioapics[kMaxIoApics];
unsigned count = 0;

// Interrupts off while the lock is held: the IRQ layer masks pins from interrupt
// handlers, which must never find this CPU already holding the lock.
uint32_t read_reg(IoApic& a, uint32_t reg) {
    IrqSave irq;
    LockGuard guard(a.lock);
    a.mmio[kRegisterSelect / 4] = reg & 0xff;
    return a.mmio[kWindow / 4];
}

void write_reg(IoApic& a, uint32_t reg, uint32_t value) {
    IrqSave irq;
    LockGuard guard(a.lock);
    a.mmio[kRegisterSelect / 4] = reg & 0xff;
    a.mmio[kWindow / 4] = value;
}

// The IOAPIC and pin of a GSI; nullptr if no IOAPIC serves it.
IoApic* find_gsi(uint32_t gsi, uint32_t& pin) {
    for (unsigned i = 0; i < count; ++i) {
        IoApic& a = ioapics[i];
        if (gsi >= a.gsi_base && gsi - a.gsi_base < a.pins) {
            pin = gsi - a.gsi_base;
            return &a;
        }
    }
    return nullptr;
}

}  // namespace

Status ioapic_register(uint64_t phys_base, uint32_t gsi_base) {
    if (count >= kMaxIoApics)
        return Status::NoSpace;
    auto va = ioremap(phys_base, 4096);
    if (!va.ok())
        return va.status();
    IoApic& a = ioapics[count++];
    a.phys = phys_base;
    a.gsi_base = gsi_base;
    a.mmio = static_cast<volatile uint32_t*>(*va);
    a.pins = ((read_reg(a, kVersionRegister) >> 16) & 0xff) + 1;
    // Firmware may leave entries live: every pin starts masked, the hypervisor unmasks
    // a pin only when a domain binds its GSI.
    for (uint32_t pin = 0; pin < a.pins; ++pin)
        write_reg(a, kRedirectionBase + 2 * pin, read_reg(a, kRedirectionBase + 2 * pin) | kMasked);
    return Status::Ok;
}

Result<uint32_t> ioapic_read(uint64_t phys_base, uint32_t reg) {
    for (unsigned i = 0; i < count; ++i) {
        IoApic& a = ioapics[i];
        if (a.phys != phys_base)
            continue;
        return read_reg(a, reg);
    }
    return Status::InvalidArgument;
}

unsigned ioapic_count() { return count; }
uint64_t ioapic_base(unsigned index) { return index < count ? ioapics[index].phys : 0; }

uint32_t ioapic_gsi_limit() {
    uint32_t limit = 0;
    for (unsigned i = 0; i < count; ++i)
        if (ioapics[i].gsi_base + ioapics[i].pins > limit)
            limit = ioapics[i].gsi_base + ioapics[i].pins;
    return limit;
}

Status ioapic_program(uint32_t gsi, const IoApicRoute& route) {
    uint32_t pin = 0;
    IoApic* a = find_gsi(gsi, pin);
    if (a == nullptr)
        return Status::NotFound;
    const uint32_t reg = kRedirectionBase + 2 * pin;
    uint32_t low = route.vector;
    if (route.active_low)
        low |= kPolarityLow;
    if (route.level)
        low |= kTriggerLevel;
    // Masked while the halves are inconsistent; the final write applies the mask wanted.
    write_reg(*a, reg, read_reg(*a, reg) | kMasked);
    write_reg(*a, reg + 1, route.destination << 24);
    write_reg(*a, reg, low | kMasked);
    if (!route.masked)
        write_reg(*a, reg, low);
    return Status::Ok;
}

Status ioapic_set_masked(uint32_t gsi, bool masked) {
    uint32_t pin = 0;
    IoApic* a = find_gsi(gsi, pin);
    if (a == nullptr)
        return Status::NotFound;
    const uint32_t reg = kRedirectionBase + 2 * pin;
    IrqSave irq;
    LockGuard guard(a->lock);  // read-modify-write as one step
    a->mmio[kRegisterSelect / 4] = reg;
    const uint32_t low = a->mmio[kWindow / 4];
    a->mmio[kWindow / 4] = masked ? (low | kMasked) : (low & ~kMasked);
    return Status::Ok;
}

}  // namespace hv::arch
