#!/bin/sh
# smp_test.sh xen XEN_CACHE_DIR|ours HV_ELF GUEST_ELF OUT_DIR
# Runs pvtest's "smp" mode (tests/guests/pvtest/smp.cpp: the cases that bring up vCPU 1)
# as a dom0 with two vCPUs, on Xen 4.17 or on our hypervisor, on one physical CPU so both
# hypervisors run the two vCPUs the same way. Writes OUT_DIR/serial.log and
# OUT_DIR/results.txt. Exit status: 0 iff the guest's summary reports no failure.
set -eu
if [ $# -ne 4 ]; then
    echo "usage: $0 xen XEN_CACHE_DIR|ours HV_ELF GUEST_ELF OUT_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
kind=$1
image=$2
case "$kind" in
    xen)
        image=$(sh "$here/fetch_xen.sh" "$2")
        cmdline="$XEN_HV_CMDLINE dom0_max_vcpus=2" ;;
    ours) cmdline="$OURS_HV_CMDLINE dom0_max_vcpus=2" ;;
    *) echo "smp_test: unknown hypervisor kind $kind" >&2; exit 2 ;;
esac
mkdir -p "$4"
status=0
GUEST_CMDLINE=smp sh "$here/run_guest.sh" "$image" "$cmdline" "$3" "$4/serial.log" "$4/results.txt" \
    "$RUN_TIMEOUT" || status=$?
if ! grep -q '^guest-summary:' "$4/results.txt" 2>/dev/null; then
    echo "smp_test: no guest-summary on $kind (the guest or the hypervisor died); the log ends with:" >&2
    tr -d '\r' < "$4/serial.log" | tail -n 20 >&2
    exit 1
fi
exit "$status"
