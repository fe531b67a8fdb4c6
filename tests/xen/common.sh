# Sourced by the scripts in tests/xen: the hypervisor command lines of the reference
# (Xen 4.17) and of our hypervisor, which the differential check must keep alike, and
# a helper that runs one guest under one of them.
XEN_HV_CMDLINE="console=com1 com1=115200 dom0_mem=64M loglvl=all guest_loglvl=all noreboot"
OURS_HV_CMDLINE="console=com1 com1=115200 dom0_mem=64M loglvl=all noreboot"
# Scripts sourcing this from elsewhere (bench/run.sh) set XEN_SCRIPTS_DIR to this
# directory; the scripts here default to their own.
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
    sh "${XEN_SCRIPTS_DIR:-$(dirname "$0")}/run_guest.sh" "$2" "$cmdline" "$3" "$4.log" "$4.results" "$RUN_TIMEOUT"
}

# The case names listed in a known-differences file (first word of each line that is
# neither blank nor a comment).
known_cases() {
    [ -f "$1" ] || return 0
    sed -e 's/#.*//' "$1" | awk 'NF > 0 { print $1 }'
}

# The two-domain test (pvtest's pair mode). Xen has no boot-time domUs on x86, so there
# dom0 (B, "pair build") builds domain 1 itself from its initrd, the second module; ours
# builds domain 1 from that module at boot (domu=1:16M, the module string is A's
# command line) and B expects it ("pair").
PAIR_DOMU_OPTION="domu=1:16M"
PAIR_DOMU_CMDLINE="pair-a control=ours"

# run_pair_on KIND IMAGE GUEST_ELF OUT_PREFIX [bench]: like run_on, in pair mode.
run_pair_on() {
    pair_bench=${5:+ bench}
    case "$1" in
        xen)
            GUEST_CMDLINE="pair build$pair_bench" GUEST_MODULE2="$3" GUEST_MODULE2_CMDLINE="pair-a" \
                sh "${XEN_SCRIPTS_DIR:-$(dirname "$0")}/run_guest.sh" "$2" "$XEN_HV_CMDLINE" "$3" "$4.log" "$4.results" "$RUN_TIMEOUT" ;;
        ours)
            GUEST_CMDLINE="pair$pair_bench" GUEST_MODULE2="$3" GUEST_MODULE2_CMDLINE="$PAIR_DOMU_CMDLINE" \
                sh "${XEN_SCRIPTS_DIR:-$(dirname "$0")}/run_guest.sh" "$2" "$OURS_HV_CMDLINE $PAIR_DOMU_OPTION" "$3" "$4.log" "$4.results" \
                "$RUN_TIMEOUT" ;;
        *) echo "run_pair_on: unknown hypervisor kind $1" >&2; return 2 ;;
    esac
}

# pair_frames_check KIND LOG RESULTS: the host's free frames after domain 1 was destroyed
# must equal the count before it was built. Xen: both counts come from B's `pair-frames:`
# line. Ours: "before" is the hypervisor's own log line (it builds domain 1 before B
# runs). Prints what it compared; returns 1 on a mismatch or a missing count.
pair_frames_check() {
    after=$(sed -n 's/^pair-frames:.*after-destroy=\([0-9]*\).*/\1/p' "$3" | tail -n 1)
    if [ "$1" = xen ]; then
        before=$(sed -n 's/^pair-frames:.*before-build=\([0-9]*\).*/\1/p' "$3" | tail -n 1)
    else
        before=$(tr -d '\r' < "$2" | sed -n 's/.*domu: free frames before building domain 1: \([0-9]*\).*/\1/p' | tail -n 1)
    fi
    if [ -z "$before" ] || [ -z "$after" ]; then
        echo "pair-frames: $1: missing count (before '${before}', after '${after}')"
        return 1
    fi
    if [ "$before" != "$after" ]; then
        echo "pair-frames: $1: $before free frames before domain 1 was built, $after after it was destroyed"
        return 1
    fi
    echo "pair-frames: $1: $before free frames before and after domain 1"
}
