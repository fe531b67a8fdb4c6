#!/bin/sh
# compare.sh XEN_CACHE_DIR HV_ELF GUEST_ELF OUT_DIR [KNOWN_DIFFERENCES]
# The differential check: boots GUEST_ELF in its default mode as dom0 of Debian's Xen
# 4.17 (fetched into XEN_CACHE_DIR) and of our hypervisor HV_ELF, side by side, and
# compares the two result lists. Passes iff both runs printed their summary, the case
# names are the same (same order) on both, and every case not listed in
# KNOWN_DIFFERENCES (default: known_differences.txt beside this script) has the same
# status (PASS/FAIL) on both. Notes after the ':' may differ. Leaves
# OUT_DIR/{xen,ours}.{log,results} and OUT_DIR/diff.txt.
# COMPARE_MODE=pair runs the two-domain test instead (run_pair_on in common.sh): the
# same comparison over dom0's lines, which include domain 1's cases (`A:<case>`).
set -eu
if [ $# -lt 4 ] || [ $# -gt 5 ]; then
    echo "usage: $0 XEN_CACHE_DIR HV_ELF GUEST_ELF OUT_DIR [KNOWN_DIFFERENCES]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
known=${5:-$here/known_differences.txt}
out=$4
mkdir -p "$out"
xen=$(sh "$here/fetch_xen.sh" "$1")

case "${COMPARE_MODE:-tests}" in
    tests) run=run_on ;;
    pair) run=run_pair_on ;;
    *) echo "compare: unknown COMPARE_MODE ${COMPARE_MODE}" >&2; exit 2 ;;
esac
$run xen "$xen" "$3" "$out/xen" > "$out/xen.out" 2>&1 &
xen_pid=$!
$run ours "$2" "$3" "$out/ours" > "$out/ours.out" 2>&1 || true
wait "$xen_pid" || true

for side in xen ours; do
    if ! grep -q '^guest-summary:' "$out/$side.results"; then
        echo "compare: the $side run printed no guest-summary; its log ends with:" >&2
        tr -d '\r' < "$out/$side.log" | tail -n 15 >&2
        exit 1
    fi
done

# "<name> <PASS|FAIL>" per case, in run order.
statuses() {
    grep -E '^(PASS|FAIL) ' "$1" | awk '{ name = $2; sub(":$", "", name); print name, $1 }'
}
statuses "$out/xen.results" > "$out/xen.status"
statuses "$out/ours.results" > "$out/ours.status"
known_cases "$known" > "$out/known.txt"

awk -v known_file="$out/known.txt" '
    BEGIN { while ((getline line < known_file) > 0) known[line] = 1 }
    FNR == 1 { side++ }
    side == 1 { xen_name[++nx] = $1; xen[$1] = $2; next }
    { ours_name[++no] = $1; ours[$1] = $2 }
    END {
        bad = 0
        for (i = 1; i <= nx || i <= no; i++)
            if (xen_name[i] != ours_name[i]) {
                printf "case list differs at #%d: xen %s, ours %s\n", i, \
                       (i <= nx ? xen_name[i] : "(none)"), (i <= no ? ours_name[i] : "(none)")
                bad = 1
                break
            }
        same = 0; listed = 0; differ = 0
        for (i = 1; i <= nx; i++) {
            name = xen_name[i]
            if (!(name in ours)) continue
            if (xen[name] == ours[name]) { same++; continue }
            if (name in known) { listed++; printf "known    %-55s xen %s  ours %s\n", name, xen[name], ours[name]; continue }
            differ++
            printf "DIFFERS  %-55s xen %s  ours %s\n", name, xen[name], ours[name]
        }
        printf "compare: %d cases on xen, %d on ours; %d same, %d differ, %d known differences\n", \
               nx, no, same, differ, listed
        exit (bad || differ) ? 1 : 0
    }
' "$out/xen.status" "$out/ours.status" > "$out/diff.txt" || status=$?
cat "$out/diff.txt"
exit "${status:-0}"
