/* The Xen ELF notes every PV test guest carries (the hypercall-page variant adds
 * HYPERCALL_PAGE in hypercall_page.S). Facts: shared/spec/xen-pv-abi.md §1.4.
 * libelf requires XEN_VERSION "xen-3.0*" and LOADER "generic" (or GUEST_OS "linux");
 * Xen refuses to build dom0 from an image whose SUPPORTED_FEATURES lacks XENFEAT_dom0.
 */
#include "elf_note_asm.h"

XEN_NOTE_STRING XEN_NOTE_GUEST_OS, "thinhv-test"
XEN_NOTE_STRING XEN_NOTE_GUEST_VERSION, "1"
XEN_NOTE_STRING XEN_NOTE_XEN_VERSION, "xen-3.0"
XEN_NOTE_STRING XEN_NOTE_LOADER, "generic"
XEN_NOTE_U64 XEN_NOTE_VIRT_BASE, 0xffffffff80000000
XEN_NOTE_U64 XEN_NOTE_PADDR_OFFSET, 0
XEN_NOTE_U64 XEN_NOTE_ENTRY, _start
XEN_NOTE_STRING XEN_NOTE_PAE_MODE, "yes"
XEN_NOTE_STRING XEN_NOTE_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb"
/* 0x800 = bit 11 = XENFEAT_dom0. */
XEN_NOTE_U32 XEN_NOTE_SUPPORTED_FEATURES, 0x800

.section .note.GNU-stack, "", @progbits
