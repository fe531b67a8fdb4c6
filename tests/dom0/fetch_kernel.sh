#!/bin/sh
# fetch_kernel.sh CACHE_DIR [kernel|modules|config|busybox|version]
# Downloads Debian 12's dom0 kernel package (the linux-image-6.1.0-N-amd64 that the
# linux-image-amd64 metapackage depends on; override with DOM0_KERNEL_PACKAGE) and
# busybox-static into CACHE_DIR with `apt-get download` (`apt-get update` is tried only if
# the first download fails), unpacks them with dpkg-deb -x and prints one path:
#   kernel   (default) the bzImage, CACHE/kernel/boot/vmlinuz-<version>
#   modules  the module tree, CACHE/kernel/lib/modules/<version>
#   config   the kernel's build configuration, CACHE/kernel/boot/config-<version>
#   busybox  the static busybox binary, CACHE/busybox/bin/busybox
#   version  the kernel release string, e.g. 6.1.0-56-amd64
# Idempotent: an already unpacked cache is reused without touching the network (so a
# cache made once keeps the same kernel even after Debian publishes a newer one; delete
# the cache to move on).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 CACHE_DIR [kernel|modules|config|busybox|version]" >&2
    exit 2
fi
cache=$1
what=${2:-kernel}
case "$what" in
    kernel|modules|config|busybox|version) ;;
    *) echo "fetch_kernel: unknown item '$what'" >&2; exit 2 ;;
esac
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# The unpacked trees are complete iff these stamp files exist: each is written after its
# tree has been renamed into place.
kernel_ready() { [ -f "$cache/kernel/.unpacked" ]; }
busybox_ready() { [ -f "$cache/busybox/.unpacked" ]; }

answer() {
    if [ "$what" = busybox ]; then
        echo "$cache/busybox/bin/busybox"
        return
    fi
    version=$(cat "$cache/kernel/.unpacked")
    case "$what" in
        kernel) echo "$cache/kernel/boot/vmlinuz-$version" ;;
        modules) echo "$cache/kernel/lib/modules/$version" ;;
        config) echo "$cache/kernel/boot/config-$version" ;;
        version) echo "$version" ;;
    esac
}

if kernel_ready && busybox_ready; then
    answer
    exit 0
fi

# Serialise concurrent callers (parallel ctest runs) on one cache.
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi
if kernel_ready && busybox_ready; then
    answer
    exit 0
fi

# download PACKAGE: leaves PACKAGE_*.deb in the cache (stdout of apt goes to stderr so the
# only line this script prints is the answer).
updated=no
download() {
    if ls "$cache/$1"_*.deb >/dev/null 2>&1; then
        return 0
    fi
    if (cd "$cache" && apt-get download "$1") >&2; then
        return 0
    fi
    if [ "$updated" = no ]; then
        echo "fetch_kernel: apt-get download $1 failed; running apt-get update and retrying" >&2
        apt-get update >&2 || true
        updated=yes
    fi
    (cd "$cache" && apt-get download "$1") >&2
}

# unpack DEB DIR: dpkg-deb -x beside DIR, then rename, so a half-unpacked tree is never used.
unpack() {
    rm -rf "$2.tmp"
    dpkg-deb -x "$1" "$2.tmp"
    rm -rf "$2"
    mv "$2.tmp" "$2"
}

if ! kernel_ready; then
    package=${DOM0_KERNEL_PACKAGE:-}
    if [ -z "$package" ]; then
        # The versioned image the metapackage points at (Depends: linux-image-6.1.0-N-amd64).
        package=$(apt-cache depends linux-image-amd64 2>/dev/null \
            | sed -n 's/^ *Depends: \(linux-image-[0-9][0-9.]*-[0-9]*-amd64\)$/\1/p' | head -n 1)
        if [ -z "$package" ]; then
            apt-get update >&2 || true
            updated=yes
            package=$(apt-cache depends linux-image-amd64 2>/dev/null \
                | sed -n 's/^ *Depends: \(linux-image-[0-9][0-9.]*-[0-9]*-amd64\)$/\1/p' | head -n 1)
        fi
        if [ -z "$package" ]; then
            echo "fetch_kernel: cannot tell which kernel linux-image-amd64 depends on" >&2
            exit 1
        fi
    fi
    download "$package"
    deb=$(ls "$cache/$package"_*.deb | head -n 1)
    unpack "$deb" "$cache/kernel"
    version=${package#linux-image-}
    if [ ! -f "$cache/kernel/boot/vmlinuz-$version" ] || [ ! -d "$cache/kernel/lib/modules/$version" ]; then
        echo "fetch_kernel: $deb holds no boot/vmlinuz-$version or lib/modules/$version" >&2
        exit 1
    fi
    echo "$version" > "$cache/kernel/.unpacked"
fi

if ! busybox_ready; then
    download busybox-static
    deb=$(ls "$cache"/busybox-static_*.deb | head -n 1)
    unpack "$deb" "$cache/busybox"
    if [ ! -x "$cache/busybox/bin/busybox" ]; then
        echo "fetch_kernel: $deb holds no bin/busybox" >&2
        exit 1
    fi
    : > "$cache/busybox/.unpacked"
fi

answer
