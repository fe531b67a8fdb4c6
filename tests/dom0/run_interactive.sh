#!/bin/sh
# run_interactive.sh [ours|xen|native] [BUILD_DIR]
# Boots Debian's kernel with the project's initramfs as dom0 of our hypervisor (default),
# of Xen 4.17, or on bare QEMU, with the serial console on this terminal: /init runs its
# checks (the `dom0-check:` lines) and then starts a busybox shell instead of powering off.
# Same machine as the boot test (tests/dom0/common.sh): q35, Haswell-noTSX, a virtio-blk
# disk holding the test's ISO 9660 image (mount -t iso9660 /dev/vda /mnt) and a NIC on
# QEMU's user-mode network. `poweroff -f` ends QEMU; `reboot -f` restarts the machine.
# QEMU's keys: Ctrl-A X quits, Ctrl-A C switches to QEMU's monitor and back.
# Environment: SMP (default 2), MEM (MiB, default 1024), QEMU_EXTRA, and the command-line
# additions of common.sh (DOM0_OURS_EXTRA, DOM0_XEN_EXTRA, DOM0_LINUX_EXTRA).
set -eu

kind=${1:-ours}
build=${2:-build}
[ -d "$build" ] || { echo "run_interactive: no build directory $build (run make first)" >&2; exit 2; }
build=$(cd "$build" && pwd)
dom0_scripts=$(cd "$(dirname "$0")" && pwd)
. "$dom0_scripts/common.sh"

out=$build/dom0-interactive
dom0_prepare "$kind" "$build" "$out" shell
echo "== booting $kind with Debian's kernel as dom0 (-smp ${SMP:-2}); quit QEMU with Ctrl-A X" >&2
# shellcheck disable=SC2086
if [ -n "$dom0_linux_append" ]; then
    exec "${QEMU:-qemu-system-x86_64}" $dom0_qemu_args -m "${MEM:-1024}" -smp "${SMP:-2}" \
        -display none -serial mon:stdio -append "$dom0_linux_append" ${QEMU_EXTRA:-}
else
    exec "${QEMU:-qemu-system-x86_64}" $dom0_qemu_args -m "${MEM:-1024}" -smp "${SMP:-2}" \
        -display none -serial mon:stdio ${QEMU_EXTRA:-}
fi
