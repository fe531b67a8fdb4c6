#include "arch/x86_64/ioapic.hpp"

#include "arch/x86_64/paging.hpp"
#include "lib/spinlock.hpp"

namespace hv::arch {
namespace {

constexpr unsigned kMaxIoApics = 16;
constexpr uint32_t kRegisterSelect = 0x00, kWindow = 0x10;  // byte offsets

struct IoApic {
    uint64_t phys = 0;
    uint32_t gsi_base = 0;
    volatile uint32_t* mmio = nullptr;
    TicketLock lock;  // IOREGSEL then IOWIN must not interleave
};
IoApic ioapics[kMaxIoApics];
unsigned count = 0;

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
    return Status::Ok;
}

Result<uint32_t> ioapic_read(uint64_t phys_base, uint32_t reg) {
    for (unsigned i = 0; i < count; ++i) {
        IoApic& a = ioapics[i];
        if (a.phys != phys_base)
            continue;
        LockGuard guard(a.lock);
        a.mmio[kRegisterSelect / 4] = reg & 0xff;
        return static_cast<uint32_t>(a.mmio[kWindow / 4]);
    }
    return Status::InvalidArgument;
}

}  // namespace hv::arch
