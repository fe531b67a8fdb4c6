#!/bin/sh
# bench/run.sh BUILD_DIR
# Boots the PV test guest in bench mode (dom0 command line "bench") as dom0 of Debian's
# Xen 4.17 and of our hypervisor, both under the same QEMU with `-icount shift=0` (the
# TSC then counts guest instructions, so the numbers are deterministic), and prints
#
#   name  xen  ours  ours/xen
#
# for every `bench: <name> <ticks-per-op>` line of the two runs, then the geometric mean
# of the ratios. A second pair of runs does the same for the two-domain benchmarks
# (pvtest's pair mode, tests/xen/run_pair.sh: event round trip between two domains,
# grant map+unmap, grant copies); their rows follow under "two domains" and are not in
# the single-guest mean. Builds nothing: BUILD_DIR must already hold hypervisor.elf and
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

# The two-domain runs (the same QEMU command; dom0 builds domain 1 on Xen, ours builds it
# at boot). A side that does not finish leaves its column empty and fails the script
# after the table.
pair_run() {
    (
        XEN_SCRIPTS_DIR=$xen_scripts
        . "$xen_scripts/common.sh"
        RUN_TIMEOUT=$timeout
        QEMU_EXTRA="-icount shift=0 ${QEMU_EXTRA:-}" run_pair_on "$1" "$2" "$guest" "$out/pair-$1" bench
    ) >"$out/pair-$1.out" 2>&1
}
pair_run xen "$xen" &
pair_xen_pid=$!
pair_status=0
pair_run ours "$hv" || pair_status=1
wait "$pair_xen_pid" || pair_status=1
for side in xen ours; do
    if ! grep -q '^bench-summary: done' "$out/pair-$side.results" 2>/dev/null; then
        echo "bench: the two-domain $side run did not finish; see $out/pair-$side.log" >&2
        : > "$out/pair-$side.results.ok"
    else
        grep '^bench:' "$out/pair-$side.results" > "$out/pair-$side.results.ok"
    fi
done

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

echo "two domains:"
awk '
    $1 == "bench:" {
        if (FILENAME == ARGV[1]) { xen[$2] = $3; order[n++] = $2 } else { ours[$2] = $3; if (!($2 in xen)) order[n++] = $2 }
    }
    END {
        for (i = 0; i < n; i++) {
            name = order[i]
            x = (name in xen) ? xen[name] : "-"
            o = (name in ours) ? ours[name] : "-"
            if (x == "-" || o == "-" || x == 0) { printf "%-22s %12s %12s %9s\n", name, x, o, "-"; continue }
            printf "%-22s %12d %12d %9.3f\n", name, x, o, o / x
        }
    }
' "$out/pair-xen.results.ok" "$out/pair-ours.results.ok"
exit "$pair_status"
