// ELF notes a PV kernel carries in a PT_NOTE segment (owner name "Xen") to tell the
// domain builder how to load it. Facts: shared/spec/xen-pv-abi.md §1.4.
//
// Invariant: a note is {u32 namesz, u32 descsz, u32 type, name, desc} with name and desc
// each padded to 4 bytes; numeric descs may be 1, 2, 4 or 8 bytes (little endian).
#pragma once

#include <cstdint>

namespace xen {

enum class ElfNote : uint32_t {
    info = 0,
    entry = 1,           // u64: initial RIP
    hypercall_page = 2,  // u64: VA of the page to fill with hypercall stubs
    virt_base = 3,       // u64: VA of the start of the initial mapping
    paddr_offset = 4,    // u64: virt_offset = virt_base - paddr_offset
    xen_version = 5,     // string: must start with "xen-3.0"
    guest_os = 6,        // string: "linux", or anything with loader "generic"
    guest_version = 7,   // string
    loader = 8,          // string: "generic"
    pae_mode = 9,        // string: "yes" sets VM assist pae_extended_cr3
    features = 10,       // string: '|'-separated names, '!' prefix = required
    bsd_symtab = 11,
    hv_start_low = 12,  // 32-bit guests only
    l1_mfn_valid = 13,
    suspend_cancel = 14,
    init_p2m = 15,               // u64: VA of the initial P2M array (outside the kernel map)
    mod_start_pfn = 16,          // u32: 1 = initrd is not mapped, mod_start is a PFN
    supported_features = 17,     // u32 bitmap of Feature bits; dom0 needs Feature::dom0
    phys32_entry = 18,           // PVH only
};

// The owner name of Xen notes, including its NUL (namesz = 4).
inline constexpr char elf_note_owner[] = "Xen";

}  // namespace xen
