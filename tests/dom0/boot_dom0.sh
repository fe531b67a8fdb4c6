#!/bin/sh
# boot_dom0.sh KIND BUILD_DIR OUT_DIR
# Boots Debian's kernel with the project's initramfs under QEMU TCG (q35, Haswell-noTSX)
# and judges the `dom0-check:` lines /init prints (tests/dom0/init.sh). KIND:
#   native  QEMU -kernel/-initrd, no hypervisor (the baseline)
#   xen     Debian's Xen 4.17 (BUILD_DIR/xen-cache), Linux as its PV dom0, GRUB multiboot2
#   ours    BUILD_DIR/hypervisor.elf, Linux as its PV dom0, GRUB multiboot2
# Writes OUT_DIR/serial.log (the whole serial console), OUT_DIR/checks.txt (the dom0-check
# lines), OUT_DIR/result.txt (one PASS/FAIL line per requirement) and OUT_DIR/stats
# (machine-readable: wall and QEMU CPU seconds, time to /init, dom0's uptime at /init).
# Exit status: 0 iff every requirement passed; 1 if one failed; 2 on a setup problem.
#
# Requirements (all kinds): /init reached; the disk's file read back with this run's token
# and the right SHA-256; the NIC got a DHCP lease and pinged the gateway; DOM0_VCPUS CPUs
# online; no kernel-log line matching log_patterns.txt; /init finished; QEMU ended by
# itself after `poweroff -f` (or, with DOM0_EXIT=reboot, the machine booted again).
# xen and ours also: /sys/hypervisor/type is xen; xenfs mounted with control_d;
# /dev/xen/{privcmd,evtchn,gntdev} exist; privcmd's xen_version returns 4.17; every module
# loaded.
#
# Environment: SMP (QEMU CPUs, default 2), DOM0_VCPUS (CPUs dom0 must see, default SMP),
# MEM (MiB, default 1024), DOM0_EXIT (poweroff, default, or reboot), DOM0_TIMEOUT
# (seconds until /init's last line, default 900), DOM0_NIC (virtio or e1000),
# QEMU (binary), QEMU_EXTRA (more options, e.g. "-icount shift=0,sleep=off"),
# DOM0_XEN_EXTRA / DOM0_OURS_EXTRA / DOM0_LINUX_EXTRA (command-line additions).
set -eu

if [ $# -ne 3 ]; then
    echo "usage: $0 native|xen|ours BUILD_DIR OUT_DIR" >&2
    exit 2
fi
kind=$1
build=$(cd "$2" && pwd)
mkdir -p "$3"
out=$(cd "$3" && pwd)
dom0_scripts=$(cd "$(dirname "$0")" && pwd)
. "$dom0_scripts/common.sh"

smp=${SMP:-2}
vcpus=${DOM0_VCPUS:-$smp}
mem=${MEM:-1024}
exit_mode=${DOM0_EXIT:-poweroff}
timeout=${DOM0_TIMEOUT:-900}
qemu=${QEMU:-qemu-system-x86_64}
case "$exit_mode" in
    poweroff|reboot) ;;
    *) dom0_fail "DOM0_EXIT must be poweroff or reboot" ;;
esac

dom0_prepare "$kind" "$build" "$out" "$exit_mode"

log=$out/serial.log
: > "$log"
rm -f "$out/checks.txt" "$out/result.txt" "$out/stats"
# -no-reboot turns a machine reset into QEMU's exit: a power-off and a reboot then both
# end QEMU, and the reboot run tells them apart by letting the machine boot again.
no_reboot=-no-reboot
[ "$exit_mode" = reboot ] && no_reboot=
ticks=$(getconf CLK_TCK)
start=$(date +%s.%N)
# shellcheck disable=SC2086
if [ -n "$dom0_linux_append" ]; then
    "$qemu" $dom0_qemu_args -m "$mem" -smp "$smp" -display none $no_reboot -monitor none \
        -serial "file:$log" -append "$dom0_linux_append" ${QEMU_EXTRA:-} </dev/null >"$out/qemu.out" 2>&1 &
else
    "$qemu" $dom0_qemu_args -m "$mem" -smp "$smp" -display none $no_reboot -monitor none \
        -serial "file:$log" ${QEMU_EXTRA:-} </dev/null >"$out/qemu.out" 2>&1 &
fi
qemu_pid=$!
cleanup() {
    if [ -n "$qemu_pid" ]; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
        qemu_pid=
    fi
}
trap cleanup EXIT
trap 'cleanup; exit 143' INT TERM

# QEMU's CPU time (user + system, all threads) in clock ticks, from /proc/PID/stat; still
# readable while QEMU is a zombie, i.e. after it exited and before `wait` reaps it.
cpu_ticks=0
qemu_state=R
sample_qemu() {
    [ -n "$qemu_pid" ] || { qemu_state=gone; return; }
    stat_line=$(cat "/proc/$qemu_pid/stat" 2>/dev/null) || { qemu_state=gone; return; }
    # Fields after the command name (which may contain spaces): state is field 3.
    set -- ${stat_line##*) }
    qemu_state=$1
    cpu_ticks=$(( ${12} + ${13} ))
}
now() { date +%s.%N; }
elapsed() { awk -v a="$start" -v b="$1" 'BEGIN { printf "%.2f", b - a }'; }

# Lines that say the machine will not get further.
stop_pattern='Panic on CPU|Hardware Dom0 crashed|hardware domain crashed|domain 0 shut down: crash|Kernel panic - not syncing|end Kernel panic'
init_at=
done_at=
end_at=
outcome=timeout
while :; do
    sample_qemu
    if [ "$qemu_state" = Z ] || [ "$qemu_state" = gone ]; then
        end_at=$(now)
        outcome=qemu-exited
        break
    fi
    if [ -z "$init_at" ] && grep -aq 'dom0-check: init reached' "$log"; then
        init_at=$(now)
    fi
    if [ -z "$done_at" ] && grep -aq 'dom0-check: done' "$log"; then
        done_at=$(now)
    fi
    if [ -n "$done_at" ] && [ "$exit_mode" = reboot ] \
        && [ "$(tr -d '\r' < "$log" | grep -ac 'Linux version [0-9]')" -ge 2 ]; then
        end_at=$(now)
        outcome=rebooted
        break
    fi
    if grep -aqE "$stop_pattern" "$log"; then
        sleep 1
        sample_qemu
        outcome=stopped
        break
    fi
    # After /init's last line, the machine has a minute to power off or reboot.
    if [ -n "$done_at" ] && [ "$(elapsed "$(now)" | cut -d. -f1)" -gt \
        "$(( $(elapsed "$done_at" | cut -d. -f1) + 60 ))" ]; then
        outcome=no-exit
        break
    fi
    if [ "$(elapsed "$(now)" | cut -d. -f1)" -ge "$timeout" ]; then
        break
    fi
    sleep 0.2
done
[ -n "$end_at" ] || end_at=$(now)
cleanup
trap - EXIT INT TERM

wall=$(elapsed "$end_at")
cpu=$(awk -v t="$cpu_ticks" -v hz="$ticks" 'BEGIN { printf "%.2f", t / hz }')
tr -d '\r' < "$log" | grep -ao 'dom0-\(check\|note\): .*' > "$out/checks.txt" || true
uptime_at_init=$(sed -n 's/^dom0-check: uptime-at-init \([0-9.]*\).*/\1/p' "$out/checks.txt" | head -n 1)
{
    echo "kind=$kind"
    echo "outcome=$outcome"
    echo "wall_seconds=$wall"
    echo "cpu_seconds=$cpu"
    echo "init_wall_seconds=$( [ -n "$init_at" ] && elapsed "$init_at" || echo -)"
    echo "uptime_at_init=${uptime_at_init:--}"
} > "$out/stats"

# --- judge ----------------------------------------------------------------------------
failed=0
: > "$out/result.txt"
check() {  # check NAME CONDITION-STATUS DETAIL
    if [ "$2" -eq 0 ]; then
        echo "PASS $1" >> "$out/result.txt"
    else
        echo "FAIL $1${3:+ ($3)}" >> "$out/result.txt"
        failed=$((failed + 1))
    fi
}
has() { grep -aq "^dom0-check: $1" "$out/checks.txt"; }
line_of() { grep -a "^dom0-check: $1" "$out/checks.txt" | head -n 1; }
status() { if "$@"; then echo 0; else echo 1; fi; }

check "init-reached" "$(status has 'init reached')"
check "disk-file" "$(status has "disk-file ok $dom0_token\$")" "$(line_of disk-file)"
check "nic" "$(status has 'nic ok ')" "$(line_of nic)"
check "cpus-$vcpus" "$(status has "cpus $vcpus ")" "$(line_of cpus)"
check "kernel-log-clean" "$(status has 'kernel-log-clean')" \
    "$(grep -ac '^dom0-check: kernel-log-error' "$out/checks.txt") error lines"
check "init-done" "$(status has 'done ')"
if [ "$exit_mode" = poweroff ]; then
    check "poweroff" "$(status [ "$outcome" = qemu-exited ])" "$outcome"
else
    check "reboot" "$(status [ "$outcome" = rebooted ])" "$outcome"
fi
if [ "$kind" != native ]; then
    check "hypervisor-type-xen" "$(status has 'hypervisor-type xen$')" "$(line_of hypervisor-type)"
    check "xenfs" "$(status has 'xenfs ok capabilities=control_d')" "$(line_of xenfs)"
    check "dev-xen" "$(status has 'dev-xen ok')" "$(line_of dev-xen)"
    check "privcmd-xen-version" "$(status has 'privcmd-xen-version 4\.17$')" \
        "$(line_of privcmd)"
    modules_ok() { has 'modules-loaded ' && [ -z "$(line_of module-failed)" ]; }
    check "modules" "$(status modules_ok)" "$(line_of module-failed)"
fi

echo "boot_dom0: $kind: $outcome after ${wall}s wall, ${cpu}s QEMU CPU; /init at $(sed -n 's/^init_wall_seconds=//p' "$out/stats")s wall, dom0 uptime ${uptime_at_init:--}s; log $log"
cat "$out/result.txt"
if [ "$failed" -ne 0 ]; then
    grep -a '^dom0-check: kernel-log-error' "$out/checks.txt" | head -n 20 >&2 || true
    echo "boot_dom0: $failed requirement(s) failed; last lines of the serial log:" >&2
    tr -d '\r' < "$log" | tail -n 30 >&2
    [ -s "$out/qemu.out" ] && grep -v "TCG doesn't support requested feature" "$out/qemu.out" >&2
    exit 1
fi
exit 0
