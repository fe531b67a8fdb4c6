#!/bin/sh
# fetch_xen.sh CACHE_DIR
# Downloads Debian's xen-hypervisor-4.17-amd64 package into CACHE_DIR (apt-get download;
# `apt-get update` is tried only if the first download fails), unpacks it with
# dpkg-deb -x and prints the path of the hypervisor image (boot/xen-*.gz).
# Idempotent: an already unpacked cache is reused without touching the network.
set -eu

PACKAGE=xen-hypervisor-4.17-amd64

if [ $# -ne 1 ]; then
    echo "usage: $0 CACHE_DIR" >&2
    exit 2
fi
cache=$1
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
root="$cache/root"

find_image() {
    # The versioned image, not the xen.gz symlink some packages add.
    ls "$root"/boot/xen-*.gz 2>/dev/null | head -n 1
}

image=$(find_image || true)
if [ -n "$image" ] && [ -s "$image" ]; then
    echo "$image"
    exit 0
fi

# Serialise concurrent callers (parallel ctest runs) on one cache.
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi
image=$(find_image || true)
if [ -n "$image" ] && [ -s "$image" ]; then
    echo "$image"
    exit 0
fi

download() {
    (cd "$cache" && apt-get download "$PACKAGE") >&2
}
deb=$(ls "$cache"/${PACKAGE}_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
    if ! download; then
        echo "fetch_xen: apt-get download failed; running apt-get update and retrying" >&2
        apt-get update >&2
        download
    fi
    deb=$(ls "$cache"/${PACKAGE}_*.deb | head -n 1)
fi

# Unpack beside the final location, then rename, so a half-unpacked tree is never used.
rm -rf "$cache/root.tmp"
dpkg-deb -x "$deb" "$cache/root.tmp"
rm -rf "$root"
mv "$cache/root.tmp" "$root"

image=$(find_image)
if [ -z "$image" ]; then
    echo "fetch_xen: no boot/xen-*.gz in $deb" >&2
    exit 1
fi
echo "$image"
