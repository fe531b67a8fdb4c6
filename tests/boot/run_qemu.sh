#!/bin/sh
# run_qemu.sh ISO LOG TIMEOUT_SECONDS STOP_REGEX [extra qemu args...]
# Boots ISO under QEMU TCG (q35, Haswell-noTSX: the CPU model PV guests are known to work
# on) with the serial port in LOG, and stops QEMU as soon as LOG matches STOP_REGEX or the
# timeout expires. Exit status: 0 if STOP_REGEX was seen, 124 on timeout.
set -u
iso=$1
log=$2
timeout=$3
stop=$4
shift 4
: > "$log"
qemu-system-x86_64 -M q35 -cpu Haswell-noTSX -m "${HV_QEMU_MEM:-1024}" -display none -no-reboot \
  -monitor none -serial "file:$log" -cdrom "$iso" "$@" 2>"$log.qemu-stderr" &
qemu=$!
end=$(( $(date +%s) + timeout ))
status=124
while kill -0 "$qemu" 2>/dev/null; do
  if grep -Eq "$stop" "$log" 2>/dev/null; then
    status=0
    break
  fi
  if [ "$(date +%s)" -ge "$end" ]; then
    break
  fi
  sleep 0.2
done
kill "$qemu" 2>/dev/null
wait "$qemu" 2>/dev/null
if [ $status -ne 0 ] && grep -Eq "$stop" "$log" 2>/dev/null; then
  status=0
fi
exit $status
