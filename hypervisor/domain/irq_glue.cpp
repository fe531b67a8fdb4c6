#include "domain/irq_glue.hpp"

#include <atomic>
#include <new>

#include "acpi/tables.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/ioapic.hpp"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/traps.hpp"
#include "domain/domain.hpp"
#include "domain/events_glue.hpp"
#include "domain/msix.hpp"
#include "domain/page_types_glue.hpp"
#include "evtchn/event_seams.hpp"
#include "irq/pirq_table.hpp"
#include "kernel/log.hpp"
#include "kernel/percpu.hpp"
#include "kernel/softirq.hpp"
#include "lib/spinlock.hpp"

namespace hv {
namespace {

using irq::PirqTable;

// An MSI line's table entry and the function/entry it belongs to.
struct MsiLine {
    MsixEntry entry;
    uint32_t key = 0;  // (seg << 16 | bus << 8 | devfn) + 1, 0 when the line is free
    uint32_t entry_nr = 0;
};
MsiLine msi_lines[PirqTable::kMaxMsis];  // under `lock`

uint8_t vector_of(uint32_t line) {
    return PirqTable::is_msi_line(line) ? static_cast<uint8_t>(kMsiVectorBase + (line - PirqTable::kMsiLineBase))
                                        : static_cast<uint8_t>(kGsiVectorBase + line);
}

// Every line goes to the boot CPU (fixed delivery, physical mode): the event channel,
// not the interrupt, follows dom0's vCPU (raise_pirq kicks it wherever it runs).
class IoApicController final : public irq::IrqController {
public:
    void program(uint32_t gsi, irq::Trigger trigger, irq::Polarity polarity, bool masked) override {
        if (PirqTable::is_msi_line(gsi)) {
            msix_program(msi_lines[gsi - PirqTable::kMsiLineBase].entry, vector_of(gsi), destination, masked);
            return;
        }
        const arch::IoApicRoute route{static_cast<uint8_t>(kGsiVectorBase + gsi), trigger == irq::Trigger::Level,
                                      polarity == irq::Polarity::ActiveLow, masked, destination};
        if (arch::ioapic_program(gsi, route) != Status::Ok)
            LOG_WARN("irq: no IOAPIC serves GSI %u", gsi);
    }
    void set_masked(uint32_t gsi, bool masked) override {
        if (PirqTable::is_msi_line(gsi))
            msix_set_masked(msi_lines[gsi - PirqTable::kMsiLineBase].entry, masked);
        else
            (void)arch::ioapic_set_masked(gsi, masked);
    }

    uint32_t destination = 0;
};

// The hardware domain's needs-EOI bitmap (PHYSDEVOP_pirq_eoi_gmfn_v2), one per domain
// that registered one. The frame keeps a writable type reference while registered.
struct EoiMap {
    bool used = false;
    DomainId domain = 0;
    uint64_t mfn = 0;
    std::atomic<uint64_t>* bits = nullptr;  // PirqTable::kPirqCount bits at the page start
};
constexpr unsigned kMaxEoiMaps = 64;

IoApicController controller;
alignas(PirqTable) unsigned char table_storage[sizeof(PirqTable)];
PirqTable* table = nullptr;  // null until irq_init: no GSI can be mapped
// Lock order: event-channel locks < `lock` < IOAPIC register lock. Always taken with
// interrupts off (the interrupt handler takes it too). Never held across a call into the
// event-channel core.
TicketLock lock;
EoiMap eoi_maps[kMaxEoiMaps];
TicketLock eoi_lock;  // eoi_maps; may be taken under event locks, never under `lock`

// Only the hardware domain owns physical IRQs (Xen: irq_access_permitted for dom0 only
// without passthrough).
constexpr DomainId kOwner = 0;

void set_eoi_bit(DomainId domain, uint32_t pirq, bool needs_eoi) {
    arch::IrqSave irq;
    LockGuard guard(eoi_lock);
    for (EoiMap& m : eoi_maps) {
        if (!m.used || m.domain != domain)
            continue;
        const uint64_t bit = uint64_t{1} << (pirq % 64);
        if (needs_eoi)
            m.bits[pirq / 64].fetch_or(bit);
        else
            m.bits[pirq / 64].fetch_and(~bit);
    }
}

class Hook final : public evtchn::PirqHook {
public:
    uint32_t pirq_count(evtchn::DomainId) override { return PirqTable::kPirqCount; }
    bool pirq_permitted(evtchn::DomainId domain, uint32_t pirq) override {
        if (domain != kOwner || table == nullptr)
            return false;
        arch::IrqSave irq;
        LockGuard guard(lock);
        return table->mapped(pirq);
    }
    Status bind(evtchn::DomainId domain, uint32_t pirq, uint32_t port, bool) override {
        if (domain != kOwner || table == nullptr)
            return Status::Permission;
        bool needs_eoi = false;
        {
            arch::IrqSave irq;
            LockGuard guard(lock);
            HV_TRY(table->bind(pirq, port));
            needs_eoi = table->needs_eoi(pirq);
        }
        set_eoi_bit(domain, pirq, needs_eoi);
        return Status::Ok;
    }
    void unbind(evtchn::DomainId domain, uint32_t pirq) override {
        if (domain != kOwner || table == nullptr)
            return;
        arch::IrqSave irq;
        LockGuard guard(lock);
        table->unbind(pirq);
    }
    void set_affinity(evtchn::DomainId, uint32_t, unsigned) override {}
};
Hook hook;

void on_line(uint32_t line);

void on_gsi_vector(arch::CpuRegs& regs) { on_line(regs.entry_vector - kGsiVectorBase); }
void on_msi_vector(arch::CpuRegs& regs) {
    on_line(PirqTable::kMsiLineBase + (regs.entry_vector - kMsiVectorBase));
}

// Raising event channels takes event locks, which an interrupt handler may not: the
// handler marks the line pending in the table and queues one deferred delivery (softirq)
// that raises every pending line's port. `delivery_queued` keeps it to one queued call.
std::atomic<bool> delivery_queued{false};
void deliver_pending(uint64_t);

void on_line(uint32_t gsi) {
    bool deliver = false;
    {
        LockGuard guard(lock);  // interrupts are off in a handler
        deliver = table != nullptr && table->on_interrupt(gsi);
    }
    if (deliver && !delivery_queued.exchange(true) && !softirq_call(deliver_pending, 0))
        delivery_queued.store(false);  // queue full: the next interrupt queues it again
}

irq::Polarity polarity_of(uint16_t flags, irq::Polarity isa_default) {
    switch (flags & acpi::kPolarityMask) {
    case acpi::kPolarityActiveHigh: return irq::Polarity::ActiveHigh;
    case acpi::kPolarityActiveLow: return irq::Polarity::ActiveLow;
    default: return isa_default;
    }
}

irq::Trigger trigger_of(uint16_t flags, irq::Trigger isa_default) {
    switch (flags & acpi::kTriggerMask) {
    case acpi::kTriggerEdge: return irq::Trigger::Edge;
    case acpi::kTriggerLevel: return irq::Trigger::Level;
    default: return isa_default;
    }
}

// The GSI an ISA IRQ arrives on (identity unless an interrupt source override says).
uint32_t isa_gsi(const acpi::MadtInfo& madt, uint8_t isa_irq) {
    for (size_t i = 0; i < madt.override_count; ++i)
        if (madt.overrides[i].bus == 0 && madt.overrides[i].source_irq == isa_irq)
            return madt.overrides[i].gsi;
    return isa_irq;
}

}  // namespace

void irq_init(const acpi::MadtInfo& madt) {
    const uint32_t gsis = arch::ioapic_gsi_limit();
    if (gsis == 0) {
        LOG_WARN("irq: no IOAPIC: dom0 gets no device interrupts");
        return;
    }
    if (madt.pcat_compat) {
        // Dual 8259s: mask every line so only the IOAPIC delivers (ICW-free: OCW1 masks).
        arch::outb(0x21, 0xff);
        arch::outb(0xa1, 0xff);
    }
    controller.destination = this_cpu().apic_id;
    PirqTable* t = new (table_storage) PirqTable(controller, gsis);
    // ISA IRQs are edge/active-high on the ISA bus; overrides say otherwise. PCI GSIs
    // keep the table's level/active-low default.
    for (uint8_t isa = 0; isa < 16; ++isa)
        t->set_default(isa_gsi(madt, isa), irq::Trigger::Edge, irq::Polarity::ActiveHigh);
    for (size_t i = 0; i < madt.override_count; ++i) {
        const acpi::InterruptOverride& o = madt.overrides[i];
        t->set_default(o.gsi, trigger_of(o.flags, irq::Trigger::Edge), polarity_of(o.flags, irq::Polarity::ActiveHigh));
    }
    // The hypervisor's own lines, as Xen hides them: the PIT (ISA IRQ 0) and COM1 (IRQ 4).
    // GSI 0 itself is outside dom0's IRQ range under Xen (irqs_permit_access from 1).
    t->reserve(isa_gsi(madt, 0));
    t->reserve(isa_gsi(madt, 4));
    t->deny(0);
    for (uint32_t gsi = 0; gsi < t->gsi_count(); ++gsi)
        arch::set_interrupt_handler(static_cast<uint8_t>(kGsiVectorBase + gsi), on_gsi_vector);
    for (uint32_t m = 0; m < PirqTable::kMaxMsis; ++m)
        arch::set_interrupt_handler(static_cast<uint8_t>(kMsiVectorBase + m), on_msi_vector);
    {
        arch::IrqSave irq;
        LockGuard guard(lock);
        table = t;
    }
    LOG_INFO("irq: %u GSIs routed to APIC %u, vectors %#x-%#x", t->gsi_count(), controller.destination,
             kGsiVectorBase, kGsiVectorBase + t->gsi_count() - 1);
}

evtchn::PirqHook& irq_pirq_hook() { return hook; }

namespace {
void deliver_pending(uint64_t) {
    delivery_queued.store(false);  // before taking: a later interrupt queues a new call
    if (table == nullptr)
        return;
    uint32_t ports[PirqTable::kLines];
    size_t n = 0;
    {
        arch::IrqSave irq;
        LockGuard guard(lock);
        n = table->take_pending(ports);
    }
    if (n == 0)
        return;
    Domain* owner = domain_by_id(kOwner);
    if (owner == nullptr)
        return;
    for (size_t i = 0; i < n; ++i)
        events_raise_pirq(*owner, ports[i]);
}
}  // namespace

Result<uint32_t> irq_map_gsi(Domain& caller, uint32_t gsi, int32_t pirq) {
    if (caller.id() != kOwner || !caller.privileged())
        return Status::Permission;
    if (table == nullptr)
        return Status::InvalidArgument;  // Xen: a GSI beyond nr_irqs_gsi (none here)
    arch::IrqSave irq;
    LockGuard guard(lock);
    return table->map_gsi(gsi, pirq);
}

Result<uint32_t> irq_map_msix(Domain& caller, uint16_t seg, uint8_t bus, uint8_t devfn, uint32_t entry_nr,
                              int32_t pirq) {
    if (caller.id() != kOwner || !caller.privileged())
        return Status::Permission;
    if (table == nullptr)
        return Status::NoDevice;
    // Find and map the entry first (may allocate mappings): nothing changes on error.
    auto entry = msix_locate(seg, bus, devfn, entry_nr);
    if (!entry.ok())
        return entry.status();
    const uint32_t key = ((uint32_t{seg} << 16) | (uint32_t{bus} << 8) | devfn) + 1;
    arch::IrqSave irq;
    LockGuard guard(lock);
    for (const MsiLine& m : msi_lines)
        if (m.key == key && m.entry_nr == entry_nr)
            return Status::Exists;  // that entry already has a pirq
    uint32_t line = 0;
    auto mapped = table->map_msi(pirq, line);
    if (!mapped.ok())
        return mapped.status();
    msi_lines[line - PirqTable::kMsiLineBase] = MsiLine{*entry, key, entry_nr};
    controller.program(line, irq::Trigger::Edge, irq::Polarity::ActiveHigh, true);  // masked until bound
    LOG_INFO("irq: pirq %u -> MSI-X %04x:%02x:%02x.%u entry %u, vector %#x", *mapped, seg, bus, devfn >> 3, devfn & 7,
             entry_nr, vector_of(line));
    return *mapped;
}

Status irq_unmap_pirq(Domain& caller, uint32_t pirq) {
    if (caller.id() != kOwner || table == nullptr)
        return Status::InvalidArgument;
    {
        arch::IrqSave irq;
        LockGuard guard(lock);
        const int32_t line = table->line_of(pirq);
        HV_TRY(table->unmap(pirq));
        if (line != PirqTable::kNone && PirqTable::is_msi_line(static_cast<uint32_t>(line)))
            msi_lines[line - PirqTable::kMsiLineBase] = MsiLine{};
    }
    set_eoi_bit(caller.id(), pirq, false);
    return Status::Ok;
}

Status irq_setup_gsi(Domain& caller, int32_t gsi, bool level, bool active_low) {
    if (!caller.privileged() || caller.id() != kOwner)
        return Status::Permission;
    if (table == nullptr || gsi < 0)
        return Status::InvalidArgument;
    arch::IrqSave irq;
    LockGuard guard(lock);
    return table->setup_gsi(static_cast<uint32_t>(gsi), level ? irq::Trigger::Level : irq::Trigger::Edge,
                            active_low ? irq::Polarity::ActiveLow : irq::Polarity::ActiveHigh);
}

Status irq_eoi(Domain& caller, uint32_t pirq) {
    if (pirq >= PirqTable::kPirqCount || caller.id() != kOwner || table == nullptr)
        return Status::InvalidArgument;
    arch::IrqSave irq;
    LockGuard guard(lock);
    return table->eoi(pirq);
}

Result<uint32_t> irq_status(Domain&, uint32_t pirq) {
    if (pirq >= PirqTable::kPirqCount)
        return Status::InvalidArgument;
    // Xen answers needs_eoi for every pirq (a guest without the EOI bitmap must always
    // EOI); a pirq is never shared here (one domain owns the IRQs).
    return uint32_t{1};
}

Status irq_register_eoi_map(Domain& caller, uint64_t mfn) {
    // Check first: a frame of the caller's, typed writable for as long as it is used.
    {
        arch::IrqSave irq;
        LockGuard guard(eoi_lock);
        for (const EoiMap& m : eoi_maps)
            if (m.used && m.domain == caller.id())
                return Status::Busy;  // Xen: -EBUSY once a map is registered
    }
    if (page_types().get_page_and_type(mfn, pv::PageType::Writable, caller.id()) != Status::Ok)
        return Status::InvalidArgument;
    auto* bits = static_cast<std::atomic<uint64_t>*>(layout::phys_to_virt(mfn << kPageShift));
    bool stored = false, busy = false;
    {
        arch::IrqSave irq;
        LockGuard guard(eoi_lock);
        for (const EoiMap& m : eoi_maps)
            busy = busy || (m.used && m.domain == caller.id());
        for (EoiMap& m : eoi_maps) {
            if (busy || stored || m.used)
                continue;
            m = EoiMap{true, caller.id(), mfn, bits};
            stored = true;
        }
    }
    if (!stored) {
        page_types().put_page_and_type(mfn);
        return busy ? Status::Busy : Status::NoSpace;
    }
    // Pirqs bound before the map existed get their bits now.
    if (caller.id() == kOwner && table != nullptr) {
        for (uint32_t pirq = 0; pirq < PirqTable::kPirqCount; ++pirq) {
            bool set = false;
            {
                arch::IrqSave irq;
                LockGuard guard(lock);
                set = table->bound(pirq) && table->needs_eoi(pirq);
            }
            if (set)
                set_eoi_bit(caller.id(), pirq, true);
        }
    }
    return Status::Ok;
}

void irq_domain_destroyed(Domain& d) {
    uint64_t mfn = 0;
    bool found = false;
    {
        arch::IrqSave irq;
        LockGuard guard(eoi_lock);
        for (EoiMap& m : eoi_maps) {
            if (m.used && m.domain == d.id()) {
                mfn = m.mfn;
                found = true;
                m = EoiMap{};
            }
        }
    }
    if (found)
        page_types().put_page_and_type(mfn);
}

}  // namespace hv
