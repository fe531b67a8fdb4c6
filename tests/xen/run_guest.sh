#!/bin/sh
# run_guest.sh HV_IMAGE HV_CMDLINE GUEST_ELF LOG [RESULTS] [TIMEOUT_SECONDS]
#
# Boots HV_IMAGE (Xen's xen.gz, or our build/hypervisor.elf) with GRUB multiboot2 and the
# PV test guest GUEST_ELF as its dom0 kernel (module2) under QEMU TCG, with the serial
# port logged to LOG. Stops QEMU as soon as the log shows the guest's summary line
# (`guest-summary:`, `hostile-summary:` or `bench-summary:`, depending on the mode the
# dom0 command line chose), a hypervisor panic or dom0 crash, or after TIMEOUT_SECONDS
# (default 300). The guest's result lines (PASS/FAIL, guest-*, hostile*, bench*) are
# copied to RESULTS (default LOG.results).
#
# Exit status: 0 iff a summary was seen and it reports success (tests: "0 failed";
# hostile: "guest alive"; bench: "done") and the hypervisor did not panic; 1 otherwise.
# Environment: QEMU (default qemu-system-x86_64), QEMU_EXTRA (extra options, e.g.
# "-d int,cpu_reset -D /tmp/qemu.log" or "-icount shift=0"), GUEST_CMDLINE (dom0 command
# line = the module string, default ""; e.g. "hostile seed=1 iterations=20000"),
# GUEST_MODULE2 (a second multiboot module: dom0's initrd for Xen, a boot-time domU for
# ours with domu=1:...) and GUEST_MODULE2_CMDLINE (its module string).
set -eu

if [ $# -lt 4 ]; then
    echo "usage: $0 HV_IMAGE HV_CMDLINE GUEST_ELF LOG [RESULTS] [TIMEOUT_SECONDS]" >&2
    exit 2
fi
hv_image=$1
hv_cmdline=$2
guest_elf=$3
log=$4
results=${5:-$log.results}
timeout=${6:-300}
qemu=${QEMU:-qemu-system-x86_64}

for f in "$hv_image" "$guest_elf" ${GUEST_MODULE2:+"$GUEST_MODULE2"}; do
    if [ ! -f "$f" ]; then
        echo "run_guest: no such file: $f" >&2
        exit 2
    fi
done
mkdir -p "$(dirname "$log")" "$(dirname "$results")"

work=$(mktemp -d "${TMPDIR:-/tmp}/run_guest.XXXXXX")
qemu_pid=
cleanup() {
    if [ -n "$qemu_pid" ]; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# GRUB decompresses a gzip'd multiboot2 kernel itself, so keep the image's own suffix.
case "$hv_image" in
    *.gz) hv_name=hv.gz ;;
    *) hv_name=hv.elf ;;
esac
mkdir -p "$work/iso/boot/grub"
cp "$hv_image" "$work/iso/boot/$hv_name"
cp "$guest_elf" "$work/iso/boot/guest.elf"
module2_line=
if [ -n "${GUEST_MODULE2:-}" ]; then
    cp "$GUEST_MODULE2" "$work/iso/boot/module2.elf"
    module2_line="module2 /boot/module2.elf ${GUEST_MODULE2_CMDLINE:-}"
fi
cat > "$work/iso/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
menuentry "pv test guest" {
    multiboot2 /boot/$hv_name $hv_cmdline
    module2 /boot/guest.elf ${GUEST_CMDLINE:-}
    $module2_line
    boot
}
CFG
if ! grub-mkrescue -o "$work/boot.iso" "$work/iso" >"$work/grub-mkrescue.log" 2>&1; then
    cat "$work/grub-mkrescue.log" >&2
    echo "run_guest: grub-mkrescue failed" >&2
    exit 1
fi

: > "$log"
# The monitor on two FIFOs, for tests/xen/hang_report.sh when the run times out.
mkfifo "$work/monitor.in" "$work/monitor.out"
start=$(date +%s)
# shellcheck disable=SC2086
"$qemu" -M q35 -cpu Haswell-noTSX -m 1024 -smp 1 -display none -no-reboot \
    -cdrom "$work/boot.iso" -boot d -serial "file:$log" -monitor "pipe:$work/monitor" \
    ${QEMU_EXTRA:-} </dev/null >"$work/qemu.out" 2>&1 &
qemu_pid=$!

# Xen's and our hypervisor's ways of saying the run is over without a summary.
stop_pattern='Panic on CPU|Reboot in five seconds|Hardware Dom0 crashed|hardware domain crashed|domain 0 shut down: crash'
outcome=timeout
while :; do
    if grep -aqE '(guest|hostile|bench)-summary:' "$log" 2>/dev/null; then
        outcome=summary
        sleep 0.2  # let the line finish
        break
    fi
    if grep -aqE "$stop_pattern" "$log" 2>/dev/null; then
        outcome=hypervisor-stop
        sleep 0.5
        break
    fi
    if ! kill -0 "$qemu_pid" 2>/dev/null; then
        outcome=qemu-exited
        break
    fi
    if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
        break
    fi
    sleep 0.25
done
elapsed=$(( $(date +%s) - start ))
if [ "$outcome" = timeout ]; then
    sh "$(dirname "$0")/hang_report.sh" "$work/monitor" "$hv_image" >&2 || true
fi
cleanup
qemu_pid=
trap - EXIT INT TERM

# Xen echoes dom0 console_io output verbatim; other hypervisors may prefix it.
tr -d '\r' < "$log" | grep -aE '^(\([^)]*\) )?(PASS |FAIL |guest-summary:|guest-note:|hostile|bench|pair-)' \
    | sed -E 's/^\([^)]*\) //' > "$results" || true

echo "run_guest: $outcome after ${elapsed}s; log $log; results $results"
if [ -s "$work/qemu.out" ] 2>/dev/null; then
    cat "$work/qemu.out" >&2
fi
cat "$results"

if grep -aq 'Panic on CPU' "$log"; then
    echo "run_guest: the hypervisor panicked; last lines of the log:" >&2
    tr -d '\r' < "$log" | tail -n 25 >&2
    exit 1
fi
summary=$(grep -aE '^(guest|hostile|bench)-summary:' "$results" | tail -n 1 || true)
case "$summary" in
    "guest-summary:"*" 0 failed"*) exit 0 ;;
    "hostile-summary:"*"guest alive"*) exit 0 ;;
    "bench-summary: done"*) exit 0 ;;
esac
if [ -z "$summary" ]; then
    echo "run_guest: no guest-summary line ($outcome); last lines of the log:" >&2
    tr -d '\r' < "$log" | tail -n 25 >&2
fi
exit 1
