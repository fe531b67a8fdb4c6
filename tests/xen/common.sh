# Sourced by the scripts in tests/xen: the hypervisor command lines of the reference
# (Xen 4.17) and of our hypervisor, which the differential check must keep alike, and
# a helper that runs one guest under one of them.
XEN_HV_CMDLINE="console=com1 com1=115200 dom0_mem=64M loglvl=all guest_loglvl=all noreboot"
OURS_HV_CMDLINE="console=com1 com1=115200 dom0_mem=64M loglvl=all noreboot"
# Seconds one QEMU run may take before it is stopped (a healthy run takes ~5-15 s).
RUN_TIMEOUT=${RUN_TIMEOUT:-120}

# run_on KIND IMAGE GUEST_ELF OUT_PREFIX: KIND is xen or ours; writes OUT_PREFIX.log and
# OUT_PREFIX.results; returns run_guest.sh's status.
run_on() {
    case "$1" in
        xen) cmdline=$XEN_HV_CMDLINE ;;
        ours) cmdline=$OURS_HV_CMDLINE ;;
        *) echo "run_on: unknown hypervisor kind $1" >&2; return 2 ;;
    esac
    sh "$(dirname "$0")/run_guest.sh" "$2" "$cmdline" "$3" "$4.log" "$4.results" "$RUN_TIMEOUT"
}

# The case names listed in a known-differences file (first word of each line that is
# neither blank nor a comment).
known_cases() {
    [ -f "$1" ] || return 0
    sed -e 's/#.*//' "$1" | awk 'NF > 0 { print $1 }'
}
