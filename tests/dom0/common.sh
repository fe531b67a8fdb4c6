# Sourced by boot_dom0.sh, run_interactive.sh and bench/boot.sh: how the three stacks
# (native Linux, Xen 4.17 + Linux as dom0, ours + Linux as dom0) are booted, so that every
# caller runs the same machine with the same kernel, initramfs and devices.
#
# Callers set `dom0_scripts` (this directory) before sourcing. Paths must not contain
# white space: QEMU's argument list is built as a string.

# Hypervisor command lines. Xen's is the reference of shared/spec/xen-pv-abi.md §1.1;
# ours takes the same options. DOM0_XEN_EXTRA / DOM0_OURS_EXTRA append options (for
# example `xpti=0`).
DOM0_XEN_CMDLINE="console=com1 com1=115200 dom0_mem=512M loglvl=all noreboot ${DOM0_XEN_EXTRA:-}"
DOM0_OURS_CMDLINE="console=com1 com1=115200 dom0_mem=512M loglvl=all noreboot ${DOM0_OURS_EXTRA:-}"
# Linux's command line: the console is hvc0 (console_io) under a hypervisor, the UART on
# bare QEMU. dom0exit= is read by /init (init.sh). DOM0_LINUX_EXTRA appends options.
DOM0_LINUX_XEN_CMDLINE="console=hvc0 earlyprintk=xen"
DOM0_LINUX_NATIVE_CMDLINE="console=ttyS0"

# dom0_fail MESSAGE: print and exit 2 (a setup problem, not a test failure).
dom0_fail() {
    echo "dom0: $*" >&2
    exit 2
}

# dom0_no_spaces PATH...: refuse paths that would break the QEMU argument string.
dom0_no_spaces() {
    for p in "$@"; do
        case "$p" in
            *[[:space:]]*) dom0_fail "path with white space not supported: '$p'" ;;
        esac
    done
}

# dom0_prepare KIND BUILD_DIR OUT_DIR EXIT_MODE
# Fetches the kernel (BUILD_DIR/dom0-cache, or DOM0_CACHE), builds the initramfs and a disk
# with a fresh token in OUT_DIR, and for xen/ours a GRUB ISO; sets
#   dom0_token     the token /init must read back from the disk
#   dom0_qemu_args QEMU's arguments except -smp, -m, the serial port and -no-reboot
# Xen comes from BUILD_DIR/xen-cache (or XEN_CACHE) through tests/xen/fetch_xen.sh; ours
# is BUILD_DIR/hypervisor.elf (or HV_IMAGE).
dom0_prepare() {
    _kind=$1
    _build=$2
    _out=$3
    _exit=$4
    _cache=${DOM0_CACHE:-$_build/dom0-cache}
    mkdir -p "$_out"
    dom0_no_spaces "$_build" "$_out" "$_cache"

    _kernel=$(sh "$dom0_scripts/fetch_kernel.sh" "$_cache" kernel) || dom0_fail "cannot fetch the kernel"
    sh "$dom0_scripts/make_initramfs.sh" "$_cache" "$_out/initramfs.cpio.gz" 2>"$_out/initramfs.log" \
        || { cat "$_out/initramfs.log" >&2; dom0_fail "cannot build the initramfs"; }
    dom0_token=t$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
    sh "$dom0_scripts/make_disk.sh" "$_out/disk.img" "$dom0_token" || dom0_fail "cannot make the disk image"

    _linux_cmdline="dom0exit=$_exit ${DOM0_LINUX_EXTRA:-}"
    case "$_kind" in
        native)
            _linux_cmdline="$DOM0_LINUX_NATIVE_CMDLINE $_linux_cmdline"
            dom0_boot_args="-kernel $_kernel -initrd $_out/initramfs.cpio.gz"
            ;;
        xen|ours)
            if [ "$_kind" = xen ]; then
                _hv=$(sh "$dom0_scripts/../xen/fetch_xen.sh" "${XEN_CACHE:-$_build/xen-cache}") \
                    || dom0_fail "cannot fetch Xen"
                _hv_cmdline=$DOM0_XEN_CMDLINE
            else
                _hv=${HV_IMAGE:-$_build/hypervisor.elf}
                [ -f "$_hv" ] || dom0_fail "no $_hv (build it: ninja -C $_build hypervisor)"
                _hv_cmdline=$DOM0_OURS_CMDLINE
            fi
            dom0_no_spaces "$_hv"
            _linux_cmdline="$DOM0_LINUX_XEN_CMDLINE $_linux_cmdline"
            dom0_make_iso "$_out/boot.iso" "$_hv" "$_hv_cmdline" "$_kernel" "$_linux_cmdline" \
                "$_out/initramfs.cpio.gz"
            dom0_boot_args="-cdrom $_out/boot.iso -boot d"
            ;;
        *) dom0_fail "unknown kind '$_kind' (native, xen or ours)" ;;
    esac
    # Linux's own drivers for QEMU's devices: virtio-blk disk, and a virtio-net (default)
    # or e1000 NIC on QEMU's user-mode network (gateway 10.0.2.2, DHCP server).
    case "${DOM0_NIC:-virtio}" in
        virtio) _nic=virtio-net-pci ;;
        e1000) _nic=e1000 ;;
        *) dom0_fail "DOM0_NIC must be virtio or e1000" ;;
    esac
    dom0_qemu_args="-M q35 -cpu Haswell-noTSX $dom0_boot_args
        -drive file=$_out/disk.img,format=raw,if=virtio,readonly=on
        -netdev user,id=net0 -device $_nic,netdev=net0"
    if [ "$_kind" = native ]; then
        dom0_linux_append=$_linux_cmdline
    else
        dom0_linux_append=
    fi
}

# dom0_make_iso ISO HV HV_CMDLINE KERNEL KERNEL_CMDLINE INITRD: a GRUB ISO loading HV with
# multiboot2, the kernel as module 0 (its string is dom0's command line) and the
# initramfs as module 1, passed on still compressed (--nounzip) as Xen expects.
dom0_make_iso() {
    _iso_dir=$(mktemp -d "${TMPDIR:-/tmp}/dom0-iso.XXXXXX")
    mkdir -p "$_iso_dir/boot/grub"
    case "$2" in
        *.gz) _hv_name=hv.gz ;;
        *) _hv_name=hv.elf ;;
    esac
    cp "$2" "$_iso_dir/boot/$_hv_name"
    cp "$4" "$_iso_dir/boot/vmlinuz"
    cp "$6" "$_iso_dir/boot/initrd.gz"
    cat > "$_iso_dir/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
menuentry "dom0" {
    multiboot2 /boot/$_hv_name $3
    module2 /boot/vmlinuz $5
    module2 --nounzip /boot/initrd.gz
    boot
}
CFG
    if ! grub-mkrescue -o "$1.tmp" "$_iso_dir" >"$_iso_dir.log" 2>&1; then
        cat "$_iso_dir.log" >&2
        rm -rf "$_iso_dir" "$_iso_dir.log"
        dom0_fail "grub-mkrescue failed"
    fi
    rm -rf "$_iso_dir" "$_iso_dir.log"
    mv "$1.tmp" "$1"
}
