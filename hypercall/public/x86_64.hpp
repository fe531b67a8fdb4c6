// x86_64 specifics of the PV ABI: the flat selectors the hypervisor installs in its
// reserved GDT entries, the reserved virtual range, the read-only M2P window, and the
// vCPU context flag bits. Facts: shared/spec/xen-pv-abi.md §2.3, §2.6, §6.11, §9.5.
//
// Invariant: a 64-bit PV guest runs its kernel in ring 3, so every guest selector has
// RPL 3; the hypervisor owns GDT entries >= first_reserved_gdt_entry and L4 slots
// 256-271 (hypervisor_virt_start .. hypervisor_virt_end).
#pragma once

#include <cstdint>

namespace xen {

// Flat selectors (GDT entries 7172-7174, RPL 3). The 64-bit data selector is null.
inline constexpr uint16_t flat_ring3_cs32 = 0xe023;
inline constexpr uint16_t flat_ring3_ds32 = 0xe02b;
inline constexpr uint16_t flat_ring3_ss32 = 0xe02b;
inline constexpr uint16_t flat_ring3_ss64 = 0xe02b;
inline constexpr uint16_t flat_ring3_cs64 = 0xe033;
inline constexpr uint16_t flat_ring3_ds64 = 0x0000;
inline constexpr uint16_t flat_kernel_cs = flat_ring3_cs64;
inline constexpr uint16_t flat_kernel_ss = flat_ring3_ss64;
inline constexpr uint16_t flat_kernel_ds = flat_ring3_ds64;
inline constexpr uint16_t flat_kernel_cs32 = flat_ring3_cs32;
inline constexpr uint16_t flat_user_cs = flat_ring3_cs64;
inline constexpr uint16_t flat_user_ss = flat_ring3_ss64;
inline constexpr uint16_t flat_user_ds = flat_ring3_ds64;
inline constexpr uint16_t flat_user_cs32 = flat_ring3_cs32;

// Descriptor values behind the flat selectors (what the hypervisor's GDT holds).
inline constexpr uint64_t flat_cs32_descriptor = 0x00cffb000000ffffull;
inline constexpr uint64_t flat_ds_descriptor = 0x00cff3000000ffffull;
inline constexpr uint64_t flat_cs64_descriptor = 0x00affb000000ffffull;

// A guest GDT may use entries [0, first_reserved_gdt_entry) = 14 pages.
inline constexpr uint32_t first_reserved_gdt_page = 14;
inline constexpr uint32_t first_reserved_gdt_byte = first_reserved_gdt_page * 4096;
inline constexpr uint32_t first_reserved_gdt_entry = first_reserved_gdt_byte / 8;

// Hypervisor-reserved virtual range (L4 slots 256-271) and the read-only M2P inside it.
inline constexpr uint64_t hypervisor_virt_start = 0xFFFF800000000000ull;
inline constexpr uint64_t hypervisor_virt_end = 0xFFFF880000000000ull;
inline constexpr uint64_t mach2phys_virt_start = 0xFFFF800000000000ull;
inline constexpr uint64_t mach2phys_virt_end = 0xFFFF804000000000ull;
inline constexpr uint64_t mach2phys_nr_entries = (mach2phys_virt_end - mach2phys_virt_start) >> 3;

// Legacy vCPU slots in shared_info.
inline constexpr uint32_t legacy_max_vcpus = 32;

// vcpu_guest_context.flags.
namespace vgcf {
inline constexpr uint64_t i387_valid = 1u << 0;
inline constexpr uint64_t in_kernel = 1u << 2;
inline constexpr uint64_t failsafe_disables_events = 1u << 3;
inline constexpr uint64_t syscall_disables_events = 1u << 4;
inline constexpr uint64_t online = 1u << 5;
// iret_context.flags: return with sysret semantics (rcx/r11 not restored).
inline constexpr uint64_t in_syscall = 1u << 8;
}  // namespace vgcf

// vcpu_time_info.flags.
inline constexpr uint8_t pvclock_tsc_stable_bit = 1u << 0;
inline constexpr uint8_t pvclock_guest_stopped = 1u << 1;

// Maximum length of start_info.cmd_line including the NUL.
inline constexpr uint32_t max_guest_cmdline = 1024;

}  // namespace xen
