#!/bin/sh
# bench/run.sh BUILD_DIR
# Boots the PV test guest in bench mode (dom0 command line "bench") as dom0 of Debian's
# Xen 4.17 and of our hypervisor, both under the same QEMU with `-icount shift=0` (the
# TSC then counts guest instructions, so the numbers are deterministic), and prints
#
#   name  xen  ours  ours/xen
#
# for every `bench: <name> <ticks-per-op>` line of the two runs, then the geometric mean
# of the ratios. Builds nothing: BUILD_DIR must already hold hypervisor.elf and
# tests/guests/pvtest.elf (`make` or `ninja -C BUILD_DIR hypervisor pvtest`); Xen is
# fetched into BUILD_DIR/xen-cache by tests/xen/fetch_xen.sh on first use.
# Environment: BENCH_TIMEOUT (seconds per run, default 300), BENCH_OUT (directory for
# the serial logs, default BUILD_DIR/bench-runs).
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
xen_scripts="$here/../tests/xen"
hv="$build/hypervisor.elf"
guest="$build/tests/guests/pvtest.elf"
out=${BENCH_OUT:-$build/bench-runs}
timeout=${BENCH_TIMEOUT:-300}

for f in "$hv" "$guest"; do
    if [ ! -f "$f" ]; then
        echo "bench: missing $f (build it first: ninja -C $build hypervisor pvtest)" >&2
        exit 2
    fi
done
xen=$(sh "$xen_scripts/fetch_xen.sh" "$build/xen-cache")
mkdir -p "$out"

# Same QEMU command for both; only the hypervisor image and its options differ.
run() {
    QEMU_EXTRA="-icount shift=0 ${QEMU_EXTRA:-}" GUEST_CMDLINE="bench" \
        sh "$xen_scripts/run_guest.sh" "$1" "$2" "$guest" "$out/$3.log" "$out/$3.results" "$timeout" \
        >"$out/$3.out" 2>&1
}
run "$xen" "console=com1 com1=115200 dom0_mem=64M loglvl=all guest_loglvl=all noreboot" xen &
xen_pid=$!
ours_status=0
run "$hv" "console=com1 com1=115200 dom0_mem=64M loglvl=all noreboot" ours || ours_status=$?
xen_status=0
wait "$xen_pid" || xen_status=$?
for side in xen ours; do
    if ! grep -q '^bench-summary: done' "$out/$side.results"; then
        echo "bench: the $side run did not finish; see $out/$side.log" >&2
        tail -n 20 "$out/$side.out" >&2
        exit 1
    fi
done
[ "$xen_status" -eq 0 ] && [ "$ours_status" -eq 0 ] || exit 1

awk '
    FNR == 1 { side++ }
    $1 == "bench:" {
        if (side == 1) { xen[$2] = $3; order[n++] = $2 } else { ours[$2] = $3 }
    }
    END {
        printf "%-22s %12s %12s %9s\n", "name", "xen", "ours", "ours/xen"
        logsum = 0; count = 0
        for (i = 0; i < n; i++) {
            name = order[i]
            if (!(name in ours)) { printf "%-22s %12s %12s %9s\n", name, xen[name], "-", "-"; continue }
            ratio = xen[name] > 0 ? ours[name] / xen[name] : 0
            printf "%-22s %12d %12d %9.3f\n", name, xen[name], ours[name], ratio
            if (ratio > 0) { logsum += log(ratio); count++ }
        }
        if (count > 0)
            printf "%-22s %12s %12s %9.3f\n", "geometric-mean", "", "", exp(logsum / count)
    }
' "$out/xen.results" "$out/ours.results"
