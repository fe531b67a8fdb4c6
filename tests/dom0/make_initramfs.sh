#!/bin/sh
# make_initramfs.sh CACHE_DIR OUTPUT.cpio.gz
# Builds the dom0 test initramfs (a gzip'd newc cpio) from Debian's packages, fetched into
# CACHE_DIR by fetch_kernel.sh:
#   /bin/busybox (busybox-static) and a symlink per applet
#   /bin/xen-version            xen_version.c, built here with the host compiler, -static
#   /lib/modules/*.ko           the kernel package's own modules the tests need, with
#                               their dependencies (read from each module's .modinfo:
#                               the package has no modules.dep), and load-order listing
#                               them dependencies first
#   /init                       init.sh
#   /etc/udhcpc.sh, /etc/dom0-check/log_{patterns,allowed}
# The modules are those of the same kernel package, so they load without version errors.
# Environment: DOM0_MODULES (the modules wanted, dependencies are added), CC (default cc).
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 CACHE_DIR OUTPUT.cpio.gz" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
cache=$1
out=$2

# virtio-pci transport, virtio-blk disk, virtio-net NIC (e1000 too, for runs that choose
# it), ISO 9660 for the disk image (make_disk.sh), and the Xen device drivers of dom0:
# privcmd (hypercalls from user space), xenfs (/proc/xen), evtchn and gntdev.
modules=${DOM0_MODULES:-"virtio_pci virtio_blk virtio_net e1000 isofs xen-privcmd xenfs xen-evtchn xen-gntdev"}

busybox=$(sh "$here/fetch_kernel.sh" "$cache" busybox)
moddir=$(sh "$here/fetch_kernel.sh" "$cache" modules)

work=$(mktemp -d "${TMPDIR:-/tmp}/dom0-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
root=$work/root
mkdir -p "$root/bin" "$root/lib/modules" "$root/etc/dom0-check" "$root/proc" "$root/sys" \
    "$root/dev" "$root/tmp" "$root/mnt" "$root/root"

# --- busybox ----------------------------------------------------------------------------
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done

# --- xen-version ------------------------------------------------------------------------
${CC:-cc} -std=c11 -Os -Wall -Wextra -Werror -static -s -o "$root/bin/xen-version" "$here/xen_version.c"

# --- modules ----------------------------------------------------------------------------
# Module names compare with '-' and '_' as the same character (as the kernel does).
norm() { echo "$1" | tr '-' '_'; }
find "$moddir/kernel" -name '*.ko' \
    | awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko$/, "", n); gsub(/-/, "_", n); print n, $0 }' \
    > "$work/all-modules"
# For each module of the closure, a line "name dep1 dep2 ..." (deps may be empty).
: > "$work/graph"
pending=""
for m in $modules; do pending="$pending $(norm "$m")"; done
while [ -n "${pending# }" ]; do
    set -- $pending
    m=$1
    shift
    pending=" $*"
    if grep -q "^$m\( \|$\)" "$work/graph"; then
        continue
    fi
    path=$(awk -v m="$m" '$1 == m { print $2; exit }' "$work/all-modules")
    if [ -z "$path" ]; then
        echo "make_initramfs: module $m is not in $moddir" >&2
        exit 1
    fi
    deps=$(objcopy -O binary --only-section=.modinfo "$path" /dev/stdout | tr '\0' '\n' \
        | sed -n 's/^depends=//p' | tr ',' ' ')
    normalized=""
    for d in $deps; do normalized="$normalized $(norm "$d")"; done
    echo "$m$normalized" >> "$work/graph"
    cp "$path" "$root/lib/modules/$m.ko"
    pending="$pending$normalized"
done
# Dependencies first: repeatedly emit the modules whose dependencies are all emitted.
awk '
    { name[NR] = $1; ndeps[NR] = NF - 1; for (i = 2; i <= NF; i++) dep[NR, i - 1] = $i }
    END {
        left = NR
        while (left > 0) {
            progress = 0
            for (r = 1; r <= NR; r++) {
                if (r in done) continue
                ready = 1
                for (i = 1; i <= ndeps[r]; i++) if (!(dep[r, i] in emitted)) ready = 0
                if (ready) { print name[r]; emitted[name[r]] = 1; done[r] = 1; left--; progress = 1 }
            }
            if (!progress) { print "make_initramfs: dependency cycle" > "/dev/stderr"; exit 1 }
        }
    }
' "$work/graph" > "$root/lib/modules/load-order"

# --- init and its data ------------------------------------------------------------------
cp "$here/init.sh" "$root/init"
cp "$here/udhcpc.sh" "$root/etc/udhcpc.sh"
chmod 755 "$root/init" "$root/etc/udhcpc.sh"
sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$here/log_patterns.txt" > "$root/etc/dom0-check/log_patterns"
sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$here/log_allowed.txt" > "$root/etc/dom0-check/log_allowed"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

# --- archive ----------------------------------------------------------------------------
# Owner root for every entry (the builder need not be root). The kernel's built-in
# initramfs already provides /dev/console, which init's first file descriptors use.
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n > "$out.tmp"
mv "$out.tmp" "$out"
echo "make_initramfs: $out ($(wc -c < "$out") bytes; modules: $(tr '\n' ' ' < "$root/lib/modules/load-order"))" >&2
