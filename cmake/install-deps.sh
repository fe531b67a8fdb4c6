#!/bin/sh
# Installs the Debian 12 packages the build and the tests need, if any is missing.
# Idempotent and quiet when everything is present; uses sudo when not root.
set -eu
packages="cmake ninja-build make g++ clang lld libclang-rt-14-dev googletest libgtest-dev libgmock-dev
libboost-dev libxml2-dev qemu-system-x86 qemu-utils ipxe-qemu seabios grub-pc-bin grub-common xorriso mtools
binutils gawk xz-utils zstd cpio busybox-static
gcc libc6-dev"
missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -z "$missing" ]; then
  echo "deps: all build and test packages are installed"
  exit 0
fi
echo "deps: installing missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
echo "deps: done"
