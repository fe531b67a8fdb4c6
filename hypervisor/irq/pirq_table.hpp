// The hardware domain's physical IRQs: which GSI each PIRQ names, how each GSI is wired
// (trigger, polarity), which event channel it is bound to, and the "guest EOI" state of
// level-triggered lines. Pure logic: the IOAPIC is reached through IrqController, and
// the caller serializes every call (the kernel glue holds one lock with interrupts off,
// because on_interrupt runs in the interrupt handler).
//
// Facts (Xen 4.17 physdev.c, irq.c, io_apic.c; spec §4.21, §7):
//   - PHYSDEVOP_map_pirq(GSI): Linux asks pirq = gsi; pirq < 0 asks for a free one (GSI
//     pirqs from 16 up, then from the top down). A GSI already mapped to another pirq is
//     -EEXIST; the same mapping again is 0.
//   - PHYSDEVOP_setup_gsi programs a pin once: a second time is -EEXIST ("Already setup
//     the GSI"), as is a pin the hypervisor keeps for itself (COM1's GSI under Xen).
//   - Level-triggered lines are acknowledged by masking (Xen ACKTYPE_UNMASK): the handler
//     masks the pin and EOIs the local APIC at once; the pin is unmasked when the domain
//     EOIs the pirq (PHYSDEVOP_eoi). Edge lines need no guest EOI (ACKTYPE_NONE). Only
//     level pirqs have their bit set in the domain's EOI bitmap.
//
// MSI-X vectors are "lines" too, numbered from kMsiLineBase: always edge (Xen: a maskable
// MSI is ACKTYPE_NONE), masked at the device's table entry instead of an IOAPIC pin.
//
// Invariants:
//   - a GSI is mapped to at most one pirq and a pirq names at most one GSI;
//   - a pin is unmasked at the controller only while its pirq is bound to a port and no
//     level interrupt is awaiting the guest's EOI, so an unbound or unacknowledged line
//     can never storm;
//   - a hypervisor-reserved GSI (the PIT's, COM1's) can be mapped (Linux maps every
//     legacy IRQ at boot) but never bound or programmed on the domain's behalf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/status.hpp"

namespace hv::irq {

enum class Trigger : uint8_t { Edge, Level };
enum class Polarity : uint8_t { ActiveHigh, ActiveLow };

// The interrupt controller seam (the IOAPICs in the kernel, a recorder in host tests).
class IrqController {
public:
    // Writes the whole redirection entry of `gsi` (vector chosen by the implementation).
    virtual void program(uint32_t gsi, Trigger trigger, Polarity polarity, bool masked) = 0;
    virtual void set_masked(uint32_t gsi, bool masked) = 0;

protected:
    ~IrqController() = default;
};

class PirqTable {
public:
    static constexpr uint32_t kPirqCount = 256;  // the domain's pirq numbers (Xen: nr_pirqs)
    static constexpr uint32_t kMaxGsis = 80;     // GSIs the hypervisor routes
    static constexpr uint32_t kMaxMsis = 64;     // MSI-X vectors the hypervisor routes
    static constexpr uint32_t kMsiLineBase = kMaxGsis;
    static constexpr uint32_t kLines = kMaxGsis + kMaxMsis;
    static constexpr int32_t kNone = -1;

    // `gsi_count` GSIs exist (clamped to kMaxGsis). Every GSI starts as a PCI line
    // (level, active low) until set_default says otherwise.
    PirqTable(IrqController& controller, uint32_t gsi_count);

    uint32_t gsi_count() const { return gsi_count_; }
    // Boot-time wiring from the MADT (ISA defaults and interrupt source overrides).
    void set_default(uint32_t gsi, Trigger trigger, Polarity polarity);
    // The hypervisor keeps this GSI: mappable, never bound/programmed for the domain.
    void reserve(uint32_t gsi);
    // The domain may not even map this GSI (Xen: IRQ 0 is not in dom0's IRQ range).
    void deny(uint32_t gsi);

    // PHYSDEVOP_map_pirq, MAP_PIRQ_TYPE_GSI. Returns the pirq. InvalidArgument: gsi or
    // pirq out of range; Permission: a denied GSI; Exists: the GSI has another pirq or
    // the pirq names another GSI; NoSpace: no free pirq.
    [[nodiscard]] Result<uint32_t> map_gsi(uint32_t gsi, int32_t pirq);
    // PHYSDEVOP_map_pirq, MAP_PIRQ_TYPE_MSI(_SEG) for one MSI-X entry: a free MSI line
    // and a pirq (pirq < 0: from the top down, as Xen's get_free_pirq for MSIs). Returns
    // the pirq; `line` receives the line (controller calls name it). InvalidArgument
    // for a pirq out of range, Exists for a pirq already mapped, NoSpace when no line
    // or pirq is free.
    [[nodiscard]] Result<uint32_t> map_msi(int32_t pirq, uint32_t& line);
    // The line a mapped pirq uses (a GSI, or kMsiLineBase + n), kNone if unmapped.
    int32_t line_of(uint32_t pirq) const { return gsi_of(pirq); }
    static bool is_msi_line(uint32_t line) { return line >= kMsiLineBase && line < kLines; }

    // PHYSDEVOP_unmap_pirq: InvalidArgument if not mapped. A bound pirq is unbound first
    // (Xen forces the unbind); its pin is masked.
    [[nodiscard]] Status unmap(uint32_t pirq);
    // PHYSDEVOP_setup_gsi: InvalidArgument out of range, Exists if already programmed or
    // reserved. Programs the pin (masked unless its pirq is bound).
    [[nodiscard]] Status setup_gsi(uint32_t gsi, Trigger trigger, Polarity polarity);

    bool mapped(uint32_t pirq) const { return pirq < kPirqCount && pirq_gsi_[pirq] != kNone; }
    // The GSI a mapped pirq names, kNone otherwise.
    int32_t gsi_of(uint32_t pirq) const { return pirq < kPirqCount ? pirq_gsi_[pirq] : kNone; }
    // The pirq of a GSI, kNone if unmapped.
    int32_t pirq_of(uint32_t gsi) const { return gsi < gsi_count_ ? gsis_[gsi].pirq : kNone; }
    // Whether delivering this pirq leaves its line masked until the guest EOIs it.
    bool needs_eoi(uint32_t pirq) const;

    // EVTCHNOP_bind_pirq (via PirqHook): InvalidArgument unmapped, Busy when reserved or
    // already bound. Unmasks the pin.
    [[nodiscard]] Status bind(uint32_t pirq, uint32_t port);
    void unbind(uint32_t pirq);  // masks the pin; nothing if not bound
    bool bound(uint32_t pirq) const;

    // PHYSDEVOP_eoi: InvalidArgument unless mapped. Unmasks a level line whose
    // interrupt was waiting for it; otherwise nothing.
    [[nodiscard]] Status eoi(uint32_t pirq);

    // From the interrupt handler of `gsi`'s vector (any line, MSI lines included). Returns true when a port must be
    // raised (collected later by take_pending). An interrupt on an unbound pin masks it.
    bool on_interrupt(uint32_t gsi);
    // Ports with a delivered-but-not-raised interrupt, at most out.size() of them; each
    // is reported once. Returns how many were written.
    size_t take_pending(std::span<uint32_t> out);

private:
    struct Gsi {
        int32_t pirq = kNone;
        uint32_t port = 0;
        Trigger trigger = Trigger::Level;
        Polarity polarity = Polarity::ActiveLow;
        bool reserved = false;
        bool denied = false;
        bool programmed = false;  // setup_gsi done (or reserved by the hypervisor)
        bool bound = false;
        bool in_flight = false;   // level interrupt masked, waiting for the guest's EOI
        bool pending = false;     // port to raise at the next safe point
        bool msi = false;         // an MSI line in use (mapped)
    };
    Gsi* gsi_for(uint32_t pirq);

    IrqController& controller_;
    uint32_t gsi_count_;
    Gsi gsis_[kLines];  // [0, gsi_count_) GSIs, [kMsiLineBase, kLines) MSI lines
    int32_t pirq_gsi_[kPirqCount];
};

}  // namespace hv::irq
