#!/bin/sh
# make_disk.sh OUTPUT.img TOKEN
# Makes the disk image the dom0 boot test reads: an ISO 9660 file system (xorriso, no root
# needed; the kernel reads it with isofs + cdrom, the smallest file-system modules Debian's
# kernel has) holding
#   token.txt    TOKEN, chosen by the caller for each run, so the test knows the line it
#                sees was read from this run's disk and not from anything in the initramfs
#   data.bin     1 MiB of random bytes (many block-device transfers, not just one sector)
#   data.sha256  data.bin's SHA-256, which /init compares with its own sha256sum
# QEMU attaches it as a raw virtio-blk disk (/dev/vda in dom0).
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 OUTPUT.img TOKEN" >&2
    exit 2
fi
out=$1
token=$2
case "$token" in
    *[!A-Za-z0-9._-]*|"") echo "make_disk: TOKEN must be [A-Za-z0-9._-]+" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/dom0-disk.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/fs"
printf '%s\n' "$token" > "$work/fs/token.txt"
head -c 1048576 /dev/urandom > "$work/fs/data.bin"
(cd "$work/fs" && sha256sum data.bin > data.sha256)

mkdir -p "$(dirname "$out")"
# -R: Rock Ridge names (lower case, as written); no Joliet, which would need NLS modules.
xorriso -as mkisofs -quiet -R -V DOM0TEST -o "$out.tmp" "$work/fs" >"$work/xorriso.log" 2>&1 || {
    cat "$work/xorriso.log" >&2
    exit 1
}
mv "$out.tmp" "$out"
