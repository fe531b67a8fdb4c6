/* Assembler macros emitting one Xen ELF note (owner "Xen") into .note.Xen:
 *   XEN_NOTE_STRING type, "text"     (NUL-terminated string desc)
 *   XEN_NOTE_U64 type, value          (8-byte desc)
 *   XEN_NOTE_U32 type, value          (4-byte desc)
 * Invariant: name and desc are each padded to 4 bytes, as the ELF note format requires.
 */
#pragma once

/* Note type numbers (hypercall/public/elfnote.hpp, xen::ElfNote). */
#define XEN_NOTE_ENTRY 1
#define XEN_NOTE_HYPERCALL_PAGE 2
#define XEN_NOTE_VIRT_BASE 3
#define XEN_NOTE_PADDR_OFFSET 4
#define XEN_NOTE_XEN_VERSION 5
#define XEN_NOTE_GUEST_OS 6
#define XEN_NOTE_GUEST_VERSION 7
#define XEN_NOTE_LOADER 8
#define XEN_NOTE_PAE_MODE 9
#define XEN_NOTE_FEATURES 10
#define XEN_NOTE_SUPPORTED_FEATURES 17

.macro XEN_NOTE_BEGIN type:req
    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 2f - 1f
    .long 4f - 3f
    .long \type
1:  .asciz "Xen"
2:  .balign 4
3:
.endm
.macro XEN_NOTE_END
4:  .balign 4
    .popsection
.endm
.macro XEN_NOTE_STRING type:req, text:req
    XEN_NOTE_BEGIN \type
    .asciz "\text"
    XEN_NOTE_END
.endm
.macro XEN_NOTE_U64 type:req, value:req
    XEN_NOTE_BEGIN \type
    .quad \value
    XEN_NOTE_END
.endm
.macro XEN_NOTE_U32 type:req, value:req
    XEN_NOTE_BEGIN \type
    .long \value
    XEN_NOTE_END
.endm
