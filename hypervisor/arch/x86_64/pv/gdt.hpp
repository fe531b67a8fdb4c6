// The per-CPU GDT window: 16 pages of virtual address space per CPU in L4 slot 260.
//
//   pages 0-13  the running vCPU's GDT frames (set_gdt), or a shared zero page
//   page 14     this CPU's reserved GDT page (hypervisor selectors 0xe008.., TSS)
//   page 15     unused
//
// GDTR.base is the window's start, so guest selectors index the guest's frames and
// selectors >= 0xe000 reach ours, exactly as on Xen. Guest frames are mapped writable
// here (the CPU sets accessed bits); the guest's own mappings of them are read-only.
#pragma once

#include <cstdint>

#include "lib/status.hpp"
#include "memory/frame.hpp"

namespace hv {

class Vcpu;
struct PerCpu;

inline constexpr unsigned kGuestGdtFrames = 14;
inline constexpr unsigned kGuestGdtEntries = kGuestGdtFrames * 512;  // 7168

// Switches this CPU from its boot GDT to the window (once, when PV support starts).
void gdt_window_init(PerCpu& cpu);
// Maps v's GDT frames (or the zero page) into this CPU's window.
void gdt_load_guest(PerCpu& cpu, const Vcpu& v);

// set_gdt: takes SegDesc references on the new frames first (validating them), then
// drops the old ones. InvalidArgument for too many entries or an invalid frame.
[[nodiscard]] Status gdt_set(Vcpu& v, const Pfn* frames, unsigned entries);

}  // namespace hv
