#!/bin/sh
# make_iso.sh OUTPUT.iso HYPERVISOR_IMAGE "HV COMMAND LINE" [MODULE "MODULE CMDLINE"]...
# Builds a BIOS-bootable GRUB ISO whose single menu entry loads the hypervisor with
# multiboot2 (options on the same line) and each module with module2, on the serial
# console, without a menu delay.
set -eu
out=$1
hv=$2
cmdline=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$hv" "$dir/boot/hypervisor"
modules=""
i=0
while [ $# -ge 2 ]; do
  cp "$1" "$dir/boot/module$i"
  modules="$modules
    module2 /boot/module$i $2"
  i=$((i + 1))
  shift 2
done
cat > "$dir/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
set default=0
menuentry "thin hypervisor" {
    multiboot2 /boot/hypervisor $cmdline$modules
    boot
}
CFG
grub-mkrescue -o "$out.tmp" "$dir" >/dev/null 2>&1 || { grub-mkrescue -o "$out.tmp" "$dir"; exit 1; }
mv "$out.tmp" "$out"
