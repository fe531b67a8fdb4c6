/* Pass-1 symbol table: empty. See cmake/gen_symtab.sh for the real one. */
    .section .hv_symtab, "a"
    .balign 8
    .globl hv_symtab_count, hv_symtab_entries, hv_symtab_names
hv_symtab_count:   .quad 0
hv_symtab_entries:
hv_symtab_names:   .byte 0
    .section .note.GNU-stack, "", @progbits
