#!/bin/sh
# hang_report_test.sh HV_ELF GUEST_ELF OUT_DIR (ctest ours.hang_report): a run that outlives
# its time limit must leave, in run_guest's output, where the hypervisor was: each CPU's RIP
# and at least one symbolized hypervisor function (tests/xen/hang_report.sh). The guest is
# the hostile fuzzer with far more iterations than 10 s allow, so the run always times out.
set -eu
if [ $# -ne 3 ]; then
    echo "usage: $0 HV_ELF GUEST_ELF OUT_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$3"
status=0
GUEST_CMDLINE="hostile seed=1 iterations=1000000000" \
    sh "$here/run_guest.sh" "$1" "console=com1 com1=115200 dom0_mem=64M noreboot" "$2" \
    "$3/serial.log" "$3/serial.results" 10 > "$3/run.out" 2>&1 || status=$?
fail=0
[ "$status" -ne 0 ] || { echo "hang_report_test: run_guest succeeded on a run that cannot finish"; fail=1; }
grep -q '^run_guest: timeout after' "$3/run.out" || { echo "hang_report_test: no timeout reported"; fail=1; }
grep -q '^hang_report: QEMU state after the timeout' "$3/run.out" || { echo "hang_report_test: no report"; fail=1; }
grep -qE '^  CPU#0 RIP=[0-9a-f]{16} RSP=[0-9a-f]+ CR3=' "$3/run.out" || { echo "hang_report_test: no CPU#0 registers"; fail=1; }
grep -qE '^    (hv::|hv_|page_fault|syscall).* at hypervisor/' "$3/run.out" || { echo "hang_report_test: nothing symbolized"; fail=1; }
sed -n '/^hang_report:/,/^run_guest:/p' "$3/run.out"
[ "$fail" -eq 0 ] && echo "hang_report_test: pass"
exit "$fail"
