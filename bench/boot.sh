#!/bin/sh
# bench/boot.sh BUILD_DIR
# The dom0 boot benchmark: Debian's kernel with the project's initramfs, from QEMU's start
# through dom0's /init to the power-off /init requests, on three stacks under the same
# QEMU (q35, Haswell-noTSX, TCG):
#   native  QEMU -kernel/-initrd, no hypervisor
#   xen     Debian's Xen 4.17, the kernel as its PV dom0
#   ours    BUILD_DIR/hypervisor.elf, the kernel as its PV dom0
# Prints wall time and QEMU CPU time (user + system of all QEMU threads) per stack, the
# ratios ours/native and ours/xen, and then dom0's uptime when /init starts under
# `-icount shift=0,sleep=off` with -smp 1 (guest time then counts instructions, 1 ns each,
# so it is steady from run to run; under a hypervisor it counts from dom0's own start).
# The runs are made one after the other so that they do not compete for the CPUs. A
# stack whose run fails (ours, until it boots Linux as dom0) gets `-` and does not stop
# the others; ratios are printed only between runs that passed every check of
# tests/dom0/boot_dom0.sh.
# Exit status: 0 iff the native and Xen runs passed.
# Environment: BENCH_SMP (QEMU CPUs, default 2), BENCH_OUT (default BUILD_DIR/bench-runs/dom0),
# BENCH_TIMEOUT (seconds per run, default 900), BENCH_ICOUNT=0 skips the icount runs,
# BENCH_REUSE=1 prints the table of the runs already in BENCH_OUT without booting;
# DOM0_XEN_EXTRA etc. as for boot_dom0.sh (e.g. DOM0_XEN_EXTRA=xpti=0).
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
boot="$here/../tests/dom0/boot_dom0.sh"
out=${BENCH_OUT:-$build/bench-runs/dom0}
smp=${BENCH_SMP:-2}
mkdir -p "$out"

# run NAME KIND SMP [QEMU_EXTRA]: one boot; leaves $out/NAME/stats and $out/NAME.out.
run() {
    echo "bench: booting $2, -smp $3${4:+, $4} ..." >&2
    SMP=$3 DOM0_TIMEOUT=${BENCH_TIMEOUT:-900} QEMU_EXTRA=${4:-} \
        sh "$boot" "$2" "$build" "$out/$1" >"$out/$1.out" 2>&1
}
# field NAME KEY: a value from a run's stats file, or - if there is none.
field() {
    value=$(sed -n "s/^$2=//p" "$out/$1/stats" 2>/dev/null | head -n 1)
    echo "${value:--}"
}

# passed NAME: the run passed every check (its result.txt has PASS lines and no FAIL).
passed() {
    [ -f "$out/$1/result.txt" ] && grep -q '^PASS' "$out/$1/result.txt" \
        && ! grep -q '^FAIL' "$out/$1/result.txt"
}

icount=${BENCH_ICOUNT:-1}
# BENCH_REUSE=1 prints the table of the runs already in BENCH_OUT without booting anything.
if [ "${BENCH_REUSE:-0}" != 1 ]; then
    for kind in native xen ours; do
        run "$kind" "$kind" "$smp" || true
    done
    # -icount runs all vCPUs on one host thread in turn; with two of them Linux hangs in
    # its secondary-CPU bring-up here (seen with QEMU 7.2), so these runs use one CPU.
    if [ "$icount" != 0 ]; then
        for kind in native xen ours; do
            run "$kind-icount" "$kind" 1 "-icount shift=0,sleep=off" || true
        done
    fi
fi
status=0
for kind in native xen ours; do
    if passed "$kind"; then
        eval "${kind}_ok=yes"
    else
        eval "${kind}_ok=no"
        [ "$kind" = ours ] || status=1
    fi
done

# row KIND: the table line of one stack; timings only if QEMU ended by itself (power-off).
row() {
    eval "ok=\$${1}_ok"
    outcome=$(field "$1" outcome)
    if [ "$outcome" = qemu-exited ]; then
        wall=$(field "$1" wall_seconds)
        cpu=$(field "$1" cpu_seconds)
    else
        wall=-
        cpu=-
    fi
    init=$(field "$1" init_wall_seconds)
    if [ "$ok" = yes ]; then
        verdict=pass
    else
        failed=$(grep -c '^FAIL' "$out/$1/result.txt" 2>/dev/null || true)
        verdict="fail: ${failed:-?} checks, $outcome (see $out/$1/serial.log)"
    fi
    printf '%-11s %10s %12s %12s   %s\n' "$1" "$wall" "$cpu" "$init" "$verdict"
}
# ratio A B KEY: A/B of KEY when both runs passed, else -.
ratio() {
    eval "a_ok=\$${1}_ok b_ok=\$${2}_ok"
    a=$(field "$1" "$3")
    b=$(field "$2" "$3")
    if [ "$a_ok" = yes ] && [ "$b_ok" = yes ] && [ "$a" != - ] && [ "$b" != - ]; then
        awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
    else
        echo -
    fi
}

echo "dom0 boot: QEMU start -> dom0 /init -> power-off (q35, Haswell-noTSX, -smp $smp, -m 1024; dom0_mem=512M)"
printf '%-11s %10s %12s %12s   %s\n' stack wall_s qemu_cpu_s init_wall_s checks
for kind in native xen ours; do
    row "$kind"
done
printf '%-11s %10s %12s\n' "ours/native" "$(ratio ours native wall_seconds)" "$(ratio ours native cpu_seconds)"
printf '%-11s %10s %12s\n' "ours/xen" "$(ratio ours xen wall_seconds)" "$(ratio ours xen cpu_seconds)"
if [ "$icount" != 0 ]; then
    echo "dom0 uptime at /init under -icount shift=0,sleep=off, -smp 1 (guest seconds):"
    printf '  native %s   xen %s   ours %s\n' "$(field native-icount uptime_at_init)" \
        "$(field xen-icount uptime_at_init)" "$(field ours-icount uptime_at_init)"
fi
exit $status
