#!/bin/sh
# run_pair.sh xen XEN_CACHE_DIR GUEST_ELF OUT_DIR [KNOWN_DIFFERENCES]
# run_pair.sh ours HV_ELF GUEST_ELF OUT_DIR [KNOWN_DIFFERENCES]
# The two-domain test on one hypervisor (ctests xen.pair, ours.pair): GUEST_ELF runs as
# dom0 in pair mode ("pair build" on Xen, which builds domain 1 itself; "pair" on ours,
# which builds domain 1 at boot from domu=1:16M) and a second copy of it as domain 1
# ("pair-a"). Passes iff dom0 printed its summary, every FAIL is listed in
# KNOWN_DIFFERENCES (ours only; Xen is the reference and must pass everything), and the
# host got every frame back after domain 1 was destroyed. Leaves OUT_DIR/serial.log and
# OUT_DIR/results.txt.
set -eu
if [ $# -lt 4 ] || [ $# -gt 5 ]; then
    echo "usage: $0 xen XEN_CACHE_DIR|ours HV_ELF GUEST_ELF OUT_DIR [KNOWN_DIFFERENCES]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
kind=$1
image=$2
known=${5:-$here/known_differences.txt}
out=$4
if [ "$kind" = xen ]; then
    image=$(sh "$here/fetch_xen.sh" "$2")
fi
mkdir -p "$out"
status=0
run_pair_on "$kind" "$image" "$3" "$out/serial" || status=$?
mv "$out/serial.results" "$out/results.txt"
if ! grep -q '^guest-summary:' "$out/results.txt"; then
    echo "run_pair: no guest-summary on $kind (dom0 or the hypervisor died); the log ends with:" >&2
    tr -d '\r' < "$out/serial.log" | tail -n 20 >&2
    exit 1
fi
frames=0
pair_frames_check "$kind" "$out/serial.log" "$out/results.txt" || frames=1
if [ "$status" -ne 0 ]; then
    grep '^FAIL ' "$out/results.txt" | awk '{ sub(":$", "", $2); print $2 }' > "$out/failed.txt"
    if [ "$kind" = ours ] && [ -s "$out/failed.txt" ]; then
        known_cases "$known" > "$out/known.txt"
        unexpected=$(grep -vxF -f "$out/known.txt" "$out/failed.txt" || true)
        [ -s "$out/known.txt" ] || unexpected=$(cat "$out/failed.txt")
    else
        unexpected=$(cat "$out/failed.txt")
    fi
    if [ -n "$unexpected" ]; then
        if [ "$kind" = ours ]; then
            echo "run_pair: failing cases on ours not listed in $known:" >&2
        else
            echo "run_pair: failing cases on Xen (the reference must pass every case):" >&2
        fi
        echo "$unexpected" | sed 's/^/  /' >&2
        exit 1
    fi
fi
exit "$frames"
