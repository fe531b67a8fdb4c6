// memory_op: the memory-reservation and address-map queries PV guests make; the balloon
// operations (increase/decrease_reservation, populate_physmap, exchange) are in
// memory_reservation.cpp; add_to_physmap is refused for PV guests as Xen does
// (docs/abi-compatibility.md lists each subop).
#include "arch/x86_64/ioapic.hpp"
#include "domain/domain.hpp"
#include "hypercall/errno.hpp"
#include "hypercall/guest_ptr.hpp"
#include "hypercall/handlers.hpp"
#include "hypercall/memory_reservation.hpp"
#include "hypercall/public/hypercalls.hpp"
#include "hypercall/public/memory.hpp"
#include "kernel/boot_info.hpp"
#include "kernel/m2p.hpp"
#include "kernel/memory.hpp"

namespace hv {
namespace {

using xen::MemoryOp;

// The domain a domid_t argument names: the caller itself, or (hardware domain only) any.
Result<Domain*> target_domain(HypercallContext& ctx, uint64_t arg) {
    uint16_t domid;
    if (Status s = copy_from_guest(&domid, arg, sizeof(domid)); s != Status::Ok)
        return s;
    if (domid == kDomidSelf || domid == ctx.domain().id())
        return &ctx.domain();
    Domain* d = domain_by_id(domid);
    if (d == nullptr)
        return Status::NoSuchDomain;
    if (!ctx.domain().privileged())
        return Status::Permission;
    return d;
}

// The host E820 for the hardware domain. Xen requires room for one more entry than the
// map has (it may split holes); the buffer must hold nr_map + 1 entries.
// Ranges of the machine dom0 may not map, reported as E820_RESERVED when they fall in a
// hole of the firmware map (Xen: handle_iomem_range over the denied iomem ranges): each
// IOAPIC page and the local APIC/MSI window. A range overlapping a firmware entry is
// left out (the firmware already describes that address).
constexpr uint32_t kE820Reserved = 2;
constexpr size_t kMaxHiddenRanges = 17;  // 16 IOAPICs + the APIC window

size_t hidden_ranges(const mb2::BootInfo& info, xen::E820Entry (&out)[kMaxHiddenRanges]) {
    size_t n = 0;
    auto add = [&](uint64_t base, uint64_t size) {
        for (size_t i = 0; i < info.region_count; ++i)
            if (base < info.regions[i].base + info.regions[i].length && info.regions[i].base < base + size)
                return;
        for (size_t i = 0; i < n; ++i)
            if (out[i].addr == base)
                return;
        if (n < kMaxHiddenRanges)
            out[n++] = xen::E820Entry{base, size, kE820Reserved};
    };
    for (unsigned i = 0; i < arch::ioapic_count(); ++i)
        add(arch::ioapic_base(i) & ~uint64_t{kPageSize - 1}, kPageSize);
    add(0xfee00000, 0x100000);  // local APIC and MSI address window (Xen: MSI range)
    return n;
}

int64_t machine_memory_map(HypercallContext& ctx, uint64_t arg) {
    if (!ctx.domain().privileged())
        return to_guest_errno(Status::Permission);
    xen::MemoryMap map;
    if (Status s = GuestInOut<xen::MemoryMap>(arg).read(map); s != Status::Ok)
        return to_guest_errno(s);
    const mb2::BootInfo& info = boot_info();
    xen::E820Entry hidden[kMaxHiddenRanges];
    const size_t hidden_count = hidden_ranges(info, hidden);
    const size_t total = info.region_count + hidden_count;
    if (map.buffer != 0 && map.nr_entries < total + 1)
        return to_guest_errno(Status::InvalidArgument);
    // Merge by address: the firmware map is sorted (multiboot2 hands it so), the hidden
    // ranges are inserted where they belong.
    GuestOut<xen::E820Entry> buffer(map.buffer);
    size_t region = 0, out = 0;
    bool used[kMaxHiddenRanges] = {};
    while (map.buffer != 0 && out < total) {
        size_t pick = kMaxHiddenRanges;
        for (size_t h = 0; h < hidden_count; ++h)
            if (!used[h] && (pick == kMaxHiddenRanges || hidden[h].addr < hidden[pick].addr))
                pick = h;
        xen::E820Entry e{};
        if (region < info.region_count &&
            (pick == kMaxHiddenRanges || info.regions[region].base < hidden[pick].addr)) {
            e = xen::E820Entry{info.regions[region].base, info.regions[region].length, info.regions[region].type};
            ++region;
        } else {
            e = hidden[pick];
            used[pick] = true;
        }
        if (Status s = buffer.write(out++, e); s != Status::Ok)
            return to_guest_errno(s);
    }
    map.nr_entries = static_cast<uint32_t>(total);
    return to_guest_errno(GuestInOut<xen::MemoryMap>(arg).write(map));
}

}  // namespace

HV_HYPERCALL(memory_op) {
    const uint64_t cmd = args.a[0] & xen::memop_cmd_mask;
    const uint64_t arg = args.a[1];
    switch (static_cast<MemoryOp>(cmd)) {
    case MemoryOp::increase_reservation:
    case MemoryOp::decrease_reservation:
    case MemoryOp::populate_physmap:
    case MemoryOp::exchange:
        return memory_reservation_op(ctx, args.a[0], arg);
    case MemoryOp::machphys_mapping: {
        const xen::MachphysMapping m{kM2pVirtStart, kM2pVirtEnd, m2p_max_mfn()};
        return to_guest_errno(GuestOut<xen::MachphysMapping>(arg).write(m));
    }
    case MemoryOp::maximum_ram_page:
        return static_cast<int64_t>(max_pfn());
    case MemoryOp::current_reservation:
    case MemoryOp::maximum_reservation:
    case MemoryOp::maximum_gpfn: {
        auto d = target_domain(ctx, arg);
        if (!d.ok())
            return to_guest_errno(d.status());
        if (static_cast<MemoryOp>(cmd) == MemoryOp::current_reservation)
            return static_cast<int64_t>((*d)->tot_pages);
        if (static_cast<MemoryOp>(cmd) == MemoryOp::maximum_reservation)
            return static_cast<int64_t>((*d)->max_pages == ~0ull ? 0xffffffffull : (*d)->max_pages);
        return static_cast<int64_t>((*d)->tot_pages - 1);  // PV: the p2m is the guest's; Xen reports its size
    }
    case MemoryOp::machphys_mfn_list: {
        // The MFNs of the M2P table's 2 MiB chunks, for tools that map it themselves.
        GuestInOut<xen::MachphysMfnList> uop(arg);
        xen::MachphysMfnList list;
        if (Status s = uop.read(list); s != Status::Ok)
            return to_guest_errno(s);
        GuestOut<uint64_t> out(list.extent_start);
        const uint64_t chunks = m2p_chunk_count();
        uint32_t i = 0;
        for (; i < list.max_extents && i < chunks; ++i)
            if (Status s = out.write(i, m2p_chunk_mfn(i)); s != Status::Ok)
                return to_guest_errno(s);
        list.nr_extents = i;
        return to_guest_errno(uop.write(list));
    }
    case MemoryOp::add_to_physmap: {
        // Xen 4.17 lets only translated (HVM/PVH) guests add frames to their physmap; a
        // PV guest maps grant frames by the MFNs GNTTABOP_setup_table lists. What it
        // checks before saying so: the struct, the foreign space (-ENOSYS), the domain.
        // (A start extent beyond 16 bits would be -EDOM, which Status cannot express.)
        xen::AddToPhysmap xatp;
        if (Status s = GuestIn<xen::AddToPhysmap>(arg).read(xatp); s != Status::Ok)
            return to_guest_errno(s);
        if (xatp.space == static_cast<uint32_t>(xen::MapSpace::gmfn_foreign))
            return to_guest_errno(Status::NotSupported);
        if (xatp.domid != kDomidSelf && domain_by_id(xatp.domid) == nullptr)
            return to_guest_errno(Status::NoSuchDomain);
        return to_guest_errno(Status::AccessDenied);
    }
    case MemoryOp::memory_map:
        return to_guest_errno(Status::NotSupported);  // no toolstack-set map: Xen says -ENOSYS too
    case MemoryOp::machine_memory_map:
        return machine_memory_map(ctx, arg);
    default:
        break;
    }
    return to_guest_errno(Status::NotSupported);
}

}  // namespace hv
