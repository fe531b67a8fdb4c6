#!/bin/sh
# boot_test.sh NAME HYPERVISOR_ELF "CMDLINE" SMP EXPECTATIONS_FILE [TIMEOUT]
# Builds an ISO, boots it, and judges the serial log: every line of EXPECTATIONS_FILE is
#   +REGEX   the log must match REGEX
#   -REGEX   the log must not match REGEX
#   =REGEX   stop QEMU once the log matches REGEX (one such line)
# Prints each verdict and the log on failure.
set -u
name=$1
hv=$2
cmdline=$3
smp=$4
expect=$5
timeout=${6:-120}
here=$(dirname "$0")
work=${HV_TEST_WORK:-$(pwd)}/boot-$name
mkdir -p "$work"
sh "$here/make_iso.sh" "$work/boot.iso" "$hv" "$cmdline" || exit 1
stop=$(sed -n 's/^=//p' "$expect" | head -n 1)
[ -n "$stop" ] || stop='boot complete'
start=$(date +%s)
sh "$here/run_qemu.sh" "$work/boot.iso" "$work/serial.log" "$timeout" "$stop" -smp "$smp"
status=$?
echo "boot-$name: QEMU ran $(( $(date +%s) - start )) s (stop pattern $( [ $status -eq 0 ] && echo seen || echo 'NOT seen'))"
failed=0
while IFS= read -r line; do
  kind=$(printf '%s' "$line" | cut -c1)
  re=$(printf '%s' "$line" | cut -c2-)
  case "$kind" in
    +) if grep -Eq -- "$re" "$work/serial.log"; then echo "  ok: log has /$re/"; else echo "  FAIL: log lacks /$re/"; failed=1; fi ;;
    -) if grep -Eq -- "$re" "$work/serial.log"; then echo "  FAIL: log has /$re/:"; grep -E -- "$re" "$work/serial.log" | head -5; failed=1; else echo "  ok: log lacks /$re/"; fi ;;
  esac
done < "$expect"
[ $status -eq 0 ] || failed=1
if [ $failed -ne 0 ]; then
  echo "---- serial log ($work/serial.log) ----"
  tr -d '\r' < "$work/serial.log" | tail -n 120
  exit 1
fi
exit 0
