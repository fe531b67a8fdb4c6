#!/bin/sh
# ours_test.sh HV_ELF GUEST_ELF OUT_DIR [KNOWN_DIFFERENCES]
# Boots GUEST_ELF (default mode) as dom0 of our hypervisor and leaves OUT_DIR/serial.log
# and OUT_DIR/results.txt. Passes iff the guest's summary was printed and every FAIL
# case is listed in KNOWN_DIFFERENCES (default: known_differences.txt beside this script).
set -eu
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
    echo "usage: $0 HV_ELF GUEST_ELF OUT_DIR [KNOWN_DIFFERENCES]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
known=${4:-$here/known_differences.txt}
out=$3
mkdir -p "$out"
status=0
run_on ours "$1" "$2" "$out/serial" || status=$?
mv "$out/serial.results" "$out/results.txt"
if ! grep -q '^guest-summary:' "$out/results.txt"; then
    echo "ours_test: no guest-summary (the guest or the hypervisor died); see $out/serial.log" >&2
    exit 1
fi
[ "$status" -eq 0 ] && exit 0
known_cases "$known" > "$out/known.txt"
grep '^FAIL ' "$out/results.txt" | awk '{ sub(":$", "", $2); print $2 }' > "$out/failed.txt"
unexpected=$(grep -vxF -f "$out/known.txt" "$out/failed.txt" || true)
if [ ! -s "$out/known.txt" ]; then
    unexpected=$(cat "$out/failed.txt")
fi
if [ -n "$unexpected" ]; then
    echo "ours_test: failing cases not listed in $known:" >&2
    echo "$unexpected" | sed 's/^/  /' >&2
    exit 1
fi
echo "ours_test: every failing case is a known difference"
