#!/bin/sh
# Turns the code symbols of a linked image into an assembler table the image links in:
#   hv_symtab_count, hv_symtab_entries[] = { u64 address; u64 name offset }, hv_symtab_names
# sorted by address, for kernel/symbols.cpp to symbolize backtraces.
set -eu
image=$1
out=$2
nm -n -C --defined-only "$image" | awk '
  $2 ~ /^[tTwW]$/ && $3 !~ /^hv_text_(start|end)$/ {
    addr = $1; $1 = ""; $2 = ""; name = substr($0, 3)
    if (length(name) > 160) name = substr(name, 1, 157) "..."
    lens[n] = length(name)
    gsub(/\\/, "\\\\", name); gsub(/"/, "\\\"", name)
    addrs[n] = addr; names[n] = name; n++
  }
  END {
    print "    .section .hv_symtab, \"a\""
    print "    .balign 8"
    print "    .globl hv_symtab_count, hv_symtab_entries, hv_symtab_names"
    print "hv_symtab_count: .quad " n
    print "hv_symtab_entries:"
    off = 0
    for (i = 0; i < n; i++) {
      printf "    .quad 0x%s, %d\n", addrs[i], off
      off += lens[i] + 1
    }
    print "hv_symtab_names:"
    for (i = 0; i < n; i++) printf "    .asciz \"%s\"\n", names[i]
    print "    .section .note.GNU-stack, \"\", @progbits"
  }' > "$out.tmp"
mv "$out.tmp" "$out"
