#include "irq/pirq_table.hpp"

namespace hv::irq {

PirqTable::PirqTable(IrqController& controller, uint32_t gsi_count)
    : controller_(controller), gsi_count_(gsi_count < kMaxGsis ? gsi_count : kMaxGsis) {
    for (int32_t& g : pirq_gsi_)
        g = kNone;
}

void PirqTable::set_default(uint32_t gsi, Trigger trigger, Polarity polarity) {
    if (gsi >= gsi_count_)
        return;
    gsis_[gsi].trigger = trigger;
    gsis_[gsi].polarity = polarity;
}

void PirqTable::reserve(uint32_t gsi) {
    if (gsi < gsi_count_) {
        gsis_[gsi].reserved = true;
        gsis_[gsi].programmed = true;
    }
}

void PirqTable::deny(uint32_t gsi) {
    if (gsi < gsi_count_)
        gsis_[gsi].denied = true;
}

PirqTable::Gsi* PirqTable::gsi_for(uint32_t pirq) {
    const int32_t gsi = gsi_of(pirq);
    return gsi == kNone ? nullptr : &gsis_[gsi];
}

Result<uint32_t> PirqTable::map_gsi(uint32_t gsi, int32_t pirq) {
    if (gsi >= gsi_count_ || pirq >= static_cast<int32_t>(kPirqCount))
        return Status::InvalidArgument;
    Gsi& g = gsis_[gsi];
    if (g.denied)
        return Status::Permission;
    if (pirq < 0) {
        if (g.pirq != kNone)
            return static_cast<uint32_t>(g.pirq);  // Xen: the existing mapping
        // Xen's get_free_pirq for GSIs: 16 and up within the GSI range, then top down.
        for (uint32_t p = 16; p < gsi_count_ && pirq < 0; ++p)
            if (pirq_gsi_[p] == kNone)
                pirq = static_cast<int32_t>(p);
        for (uint32_t p = kPirqCount - 1; p >= gsi_count_ && pirq < 0; --p)
            if (pirq_gsi_[p] == kNone)
                pirq = static_cast<int32_t>(p);
        if (pirq < 0)
            return Status::NoSpace;
    }
    if (g.pirq == pirq)
        return static_cast<uint32_t>(pirq);  // the same mapping again
    if (g.pirq != kNone || pirq_gsi_[pirq] != kNone)
        return Status::Exists;
    g.pirq = pirq;
    pirq_gsi_[pirq] = static_cast<int32_t>(gsi);
    return static_cast<uint32_t>(pirq);
}

Result<uint32_t> PirqTable::map_msi(int32_t pirq, uint32_t& line) {
    if (pirq >= static_cast<int32_t>(kPirqCount))
        return Status::InvalidArgument;
    if (pirq >= 0 && pirq_gsi_[pirq] != kNone)
        return Status::Exists;
    uint32_t free_line = kLines;
    for (uint32_t l = kMsiLineBase; l < kLines && free_line == kLines; ++l)
        if (!gsis_[l].msi)
            free_line = l;
    if (free_line == kLines)
        return Status::NoSpace;
    if (pirq < 0) {
        for (uint32_t p = kPirqCount - 1; p >= gsi_count_ && pirq < 0; --p)
            if (pirq_gsi_[p] == kNone)
                pirq = static_cast<int32_t>(p);
        if (pirq < 0)
            return Status::NoSpace;
    }
    Gsi& g = gsis_[free_line];
    g = Gsi{};
    g.msi = true;
    g.pirq = pirq;
    g.trigger = Trigger::Edge;
    g.polarity = Polarity::ActiveHigh;
    g.programmed = true;  // setup_gsi never applies to an MSI
    pirq_gsi_[pirq] = static_cast<int32_t>(free_line);
    line = free_line;
    return static_cast<uint32_t>(pirq);
}

Status PirqTable::unmap(uint32_t pirq) {
    Gsi* g = gsi_for(pirq);
    if (g == nullptr)
        return Status::InvalidArgument;
    unbind(pirq);
    g->pirq = kNone;
    g->msi = false;
    pirq_gsi_[pirq] = kNone;
    return Status::Ok;
}

Status PirqTable::setup_gsi(uint32_t gsi, Trigger trigger, Polarity polarity) {
    if (gsi >= gsi_count_)
        return Status::InvalidArgument;
    Gsi& g = gsis_[gsi];
    if (g.programmed)
        return Status::Exists;
    g.trigger = trigger;
    g.polarity = polarity;
    g.programmed = true;
    controller_.program(gsi, trigger, polarity, !g.bound || g.in_flight);
    return Status::Ok;
}

bool PirqTable::needs_eoi(uint32_t pirq) const {
    const int32_t gsi = gsi_of(pirq);
    return gsi != kNone && gsis_[gsi].trigger == Trigger::Level;
}

bool PirqTable::bound(uint32_t pirq) const {
    const int32_t gsi = gsi_of(pirq);
    return gsi != kNone && gsis_[gsi].bound;
}

Status PirqTable::bind(uint32_t pirq, uint32_t port) {
    Gsi* g = gsi_for(pirq);
    if (g == nullptr)
        return Status::InvalidArgument;
    if (g->reserved || g->bound)
        return Status::Busy;
    g->bound = true;
    g->port = port;
    g->in_flight = false;
    g->pending = false;
    // The whole entry: a pin dom0 never set up still gets its MADT/PCI default wiring.
    controller_.program(static_cast<uint32_t>(g - gsis_), g->trigger, g->polarity, false);
    return Status::Ok;
}

void PirqTable::unbind(uint32_t pirq) {
    Gsi* g = gsi_for(pirq);
    if (g == nullptr || !g->bound)
        return;
    controller_.set_masked(static_cast<uint32_t>(g - gsis_), true);
    g->bound = false;
    g->port = 0;
    g->in_flight = false;
    g->pending = false;
}

Status PirqTable::eoi(uint32_t pirq) {
    Gsi* g = gsi_for(pirq);
    if (g == nullptr)
        return Status::InvalidArgument;
    if (g->in_flight) {
        g->in_flight = false;
        if (g->bound)
            controller_.set_masked(static_cast<uint32_t>(g - gsis_), false);
    }
    return Status::Ok;
}

bool PirqTable::on_interrupt(uint32_t gsi) {
    if (gsi >= kLines || (gsi >= gsi_count_ && !gsis_[gsi].msi))
        return false;
    Gsi& g = gsis_[gsi];
    if (!g.bound || g.reserved) {
        controller_.set_masked(gsi, true);
        return false;
    }
    if (g.trigger == Trigger::Level) {
        controller_.set_masked(gsi, true);
        g.in_flight = true;
    }
    g.pending = true;
    return true;
}

size_t PirqTable::take_pending(std::span<uint32_t> out) {
    size_t n = 0;
    for (uint32_t gsi = 0; gsi < kLines && n < out.size(); ++gsi) {
        Gsi& g = gsis_[gsi];
        if (!g.pending)
            continue;
        g.pending = false;
        if (g.bound)
            out[n++] = g.port;
    }
    return n;
}

}  // namespace hv::irq
