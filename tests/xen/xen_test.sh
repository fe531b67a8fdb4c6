#!/bin/sh
# xen_test.sh CACHE_DIR GUEST_ELF OUT_DIR
# The ctest driver of the Xen 4.17 reference runs: fetches (or reuses) Debian's Xen,
# boots GUEST_ELF as its dom0 and leaves OUT_DIR/serial.log and OUT_DIR/results.txt.
# Passes iff the guest's summary reports 0 failed.
set -eu
if [ $# -ne 3 ]; then
    echo "usage: $0 CACHE_DIR GUEST_ELF OUT_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
xen=$(sh "$here/fetch_xen.sh" "$1")
mkdir -p "$3"
# dom0 console_io output reaches the serial line directly for the hardware domain;
# guest_loglvl only matters for domU output, kept for parity with the reference runs.
exec sh "$here/run_guest.sh" "$xen" "$XEN_HV_CMDLINE" \
    "$2" "$3/serial.log" "$3/results.txt" "${XEN_TEST_TIMEOUT:-$RUN_TIMEOUT}"
