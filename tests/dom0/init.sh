#!/bin/sh
# /init of the dom0 test initramfs (tests/dom0/make_initramfs.sh copies this file there).
# Runs as PID 1 under busybox sh. Prints one machine-readable line per milestone,
#   dom0-check: <what> <result...>
# which tests/dom0/boot_dom0.sh judges, then, according to the kernel command line option
# dom0exit=poweroff|reboot|shell (default shell), powers off, reboots or starts an
# interactive shell on the console.
#
# This script reports; it does not decide pass/fail for a particular hypervisor (a native
# boot has no /dev/xen, for instance): boot_dom0.sh knows what each run must show.
# Every check is bounded in time so that a broken device cannot hang the script before
# the final `dom0-check: done` line.
export PATH=/bin
mount -t proc proc /proc
# First thing after /proc exists: how long the kernel took to get here.
read -r uptime _idle < /proc/uptime
echo "dom0-check: init reached"
echo "dom0-check: uptime-at-init $uptime"
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp /mnt
mount -t devpts devpts /dev/pts

exit_mode=shell
for word in $(cat /proc/cmdline); do
    case "$word" in
        dom0exit=*) exit_mode=${word#dom0exit=} ;;
    esac
done

# The kernel's own view of the machine, for the log.
echo "dom0-note: kernel $(uname -r), cmdline: $(cat /proc/cmdline)"

# Hypervisor type (CONFIG_XEN_SYS_HYPERVISOR creates this file only when running on Xen).
if [ -r /sys/hypervisor/type ]; then
    echo "dom0-check: hypervisor-type $(cat /sys/hypervisor/type)"
else
    echo "dom0-check: hypervisor-type none"
fi

# Modules, in dependency order (make_initramfs.sh resolved it from each module's
# .modinfo). A module whose hardware or hypervisor is absent fails to load with ENODEV;
# that is reported, not fatal.
loaded=0
while read -r module; do
    if insmod "/lib/modules/$module.ko" 2>/tmp/insmod.err; then
        loaded=$((loaded + 1))
    else
        echo "dom0-check: module-failed $module $(cat /tmp/insmod.err)"
    fi
done < /lib/modules/load-order
echo "dom0-check: modules-loaded $loaded"

# xenfs on /proc/xen (the module creates the mount point when it runs on Xen).
if [ -d /proc/xen ]; then
    if mount -t xenfs xenfs /proc/xen 2>/tmp/mount.err; then
        echo "dom0-check: xenfs ok capabilities=$(cat /proc/xen/capabilities 2>/dev/null)"
    else
        echo "dom0-check: xenfs failed $(cat /tmp/mount.err)"
    fi
else
    echo "dom0-check: xenfs absent"
fi

# wait_for PATH SECONDS: devtmpfs creates nodes from a kernel thread, so a node can lag
# the driver's probe by a moment.
wait_for() {
    tries=$(($2 * 10))
    while [ ! -e "$1" ] && [ "$tries" -gt 0 ]; do
        usleep 100000
        tries=$((tries - 1))
    done
    [ -e "$1" ]
}

if [ -r /sys/hypervisor/type ]; then
    missing=""
    for node in privcmd evtchn gntdev; do
        wait_for "/dev/xen/$node" 5 || missing="$missing $node"
    done
    if [ -z "$missing" ]; then
        echo "dom0-check: dev-xen ok"
    else
        echo "dom0-check: dev-xen missing$missing"
    fi
    if [ -c /dev/xen/privcmd ]; then
        /bin/xen-version
    fi
else
    echo "dom0-check: dev-xen absent"
fi

# CPUs: all of them are up before init runs (smp_init), so this is final.
echo "dom0-check: cpus $(grep -c '^processor' /proc/cpuinfo) online=$(cat /sys/devices/system/cpu/online)"

# Disk: the image made by make_disk.sh (ISO 9660 on a virtio-blk disk) holds token.txt
# (a token chosen per run) and data.bin with its SHA-256 in data.sha256. Reading all of
# data.bin checks the transfers, not only the first sector.
if wait_for /dev/vda 10; then
    if mount -t iso9660 -o ro /dev/vda /mnt 2>/tmp/mount.err; then
        token=$(cat /mnt/token.txt 2>/dev/null)
        expected=$(cut -d ' ' -f 1 /mnt/data.sha256 2>/dev/null)
        actual=$(sha256sum /mnt/data.bin 2>/dev/null | cut -d ' ' -f 1)
        if [ -n "$expected" ] && [ "$expected" = "$actual" ]; then
            echo "dom0-check: disk-file ok $token"
        else
            echo "dom0-check: disk-file bad-hash expected=$expected actual=$actual"
        fi
        umount /mnt
    else
        echo "dom0-check: disk-file mount-failed $(cat /tmp/mount.err)"
    fi
else
    echo "dom0-check: disk-file no-disk (no /dev/vda)"
fi

# NIC: DHCP from QEMU's user-mode network, then ping its gateway. The first interface
# backed by a device (not loopback or a tunnel) is the one QEMU gave us.
nic=""
tries=50
while [ -z "$nic" ] && [ "$tries" -gt 0 ]; do
    for path in /sys/class/net/*; do
        [ -e "$path/device" ] && { nic=${path##*/}; break; }
    done
    [ -n "$nic" ] || { usleep 100000; tries=$((tries - 1)); }
done
ip link set lo up
if [ -z "$nic" ]; then
    echo "dom0-check: nic absent"
else
    ip link set "$nic" up
    if udhcpc -i "$nic" -n -q -f -t 5 -T 2 -s /etc/udhcpc.sh >/tmp/udhcpc.log 2>&1; then
        address=$(ip -4 -o addr show dev "$nic" | awk '{ print $4 }')
        gateway=$(ip route | awk '$1 == "default" { print $3; exit }')
        if ping -c 2 -W 5 "${gateway:-10.0.2.2}" >/tmp/ping.log 2>&1; then
            echo "dom0-check: nic ok $nic $address gateway ${gateway:-10.0.2.2}"
        else
            echo "dom0-check: nic ping-failed $nic $address: $(tail -n 2 /tmp/ping.log | tr '\n' ' ')"
        fi
    else
        echo "dom0-check: nic dhcp-failed $nic: $(tail -n 3 /tmp/udhcpc.log | tr '\n' ' ')"
    fi
fi

# Kernel log: every line matching one of the patterns (extended regular expressions,
# case-insensitive; tests/dom0/log_patterns.txt) is an error about Xen, events, grants or
# page tables, unless it also matches an allowance (tests/dom0/log_allowed.txt).
dmesg > /tmp/dmesg.txt
grep -iE -f /etc/dom0-check/log_patterns /tmp/dmesg.txt | grep -viE -f /etc/dom0-check/log_allowed \
    > /tmp/log-errors.txt
if [ -s /tmp/log-errors.txt ]; then
    while read -r line; do
        echo "dom0-check: kernel-log-error $line"
    done < /tmp/log-errors.txt
else
    echo "dom0-check: kernel-log-clean ($(wc -l < /tmp/dmesg.txt) lines)"
fi

read -r uptime _idle < /proc/uptime
echo "dom0-check: done uptime $uptime exit $exit_mode"
case "$exit_mode" in
    poweroff) sync; poweroff -f ;;
    reboot) sync; reboot -f ;;
esac
echo "dom0: interactive shell (busybox); 'poweroff -f' or 'reboot -f' ends the machine"
# A controlling terminal (job control, Ctrl-C) on whatever the console is (hvc0 or ttyS0).
while :; do
    setsid cttyhack sh -l
done
