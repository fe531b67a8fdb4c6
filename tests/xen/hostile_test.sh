#!/bin/sh
# hostile_test.sh xen XEN_CACHE_DIR GUEST_ELF OUT_DIR SEED ITERATIONS
# hostile_test.sh ours HV_ELF GUEST_ELF OUT_DIR SEED ITERATIONS
# Boots GUEST_ELF in hostile mode ("hostile seed=SEED iterations=ITERATIONS": random
# hypercalls with hostile arguments) as dom0 of Xen 4.17 or of our hypervisor. Passes
# iff the guest printed `hostile-summary: N calls, guest alive` and the hypervisor did
# not panic. Leaves OUT_DIR/serial.log and OUT_DIR/results.txt.
set -eu
if [ $# -ne 6 ]; then
    echo "usage: $0 xen XEN_CACHE_DIR|ours HV_ELF GUEST_ELF OUT_DIR SEED ITERATIONS" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
kind=$1
image=$2
if [ "$kind" = xen ]; then
    image=$(sh "$here/fetch_xen.sh" "$2")
fi
mkdir -p "$4"
status=0
GUEST_CMDLINE="hostile seed=$5 iterations=$6" run_on "$kind" "$image" "$3" "$4/serial" || status=$?
mv "$4/serial.results" "$4/results.txt"
if [ "$status" -ne 0 ]; then
    echo "hostile_test: no 'guest alive' summary on $kind; the log ends with:" >&2
    tr -d '\r' < "$4/serial.log" | tail -n 20 >&2
fi
exit "$status"
