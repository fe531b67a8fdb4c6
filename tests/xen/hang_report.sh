#!/bin/sh
# hang_report.sh MONITOR IMAGE
# Where a QEMU that stopped making progress is stuck, for the CI log: each CPU's RIP, RSP and
# CR3 from the monitor (QEMU started with `-monitor pipe:MONITOR`, i.e. the FIFOs MONITOR.in
# and MONITOR.out), and, when IMAGE is an ELF with symbols (ours; Xen's xen.gz is not), the
# RIP and every code address among the top 48 stack words, symbolized. The stack scan is a
# heuristic (stale return addresses show up too) but names the spinning function and its
# callers, which is what a rare hang needs: a CI run is not reproducible on demand.
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 MONITOR IMAGE" >&2
    exit 2
fi
mon=$1
image=$2
if [ ! -p "$mon.in" ] || [ ! -p "$mon.out" ]; then
    echo "hang_report: no monitor FIFOs at $mon" >&2
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hang_report.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# monitor COMMANDS...: runs them and leaves the output, without CRs and escape sequences, in
# $tmp/clean. QEMU holds both FIFOs open read-write, so neither open blocks.
monitor() {
    timeout 1 cat "$mon.out" > "$tmp/reply" &
    reader=$!
    for c in "$@"; do
        printf '%s\n' "$c" > "$mon.in"
    done
    wait "$reader" 2>/dev/null || true
    tr -d '\r' < "$tmp/reply" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' > "$tmp/clean"
}

elf=no
lo=
hi=
if [ "$(head -c 4 "$image" | tr -d '\177')" = ELF ] && command -v addr2line >/dev/null; then
    elf=yes
    text=$(nm -n "$image" 2>/dev/null | awk '$2 ~ /^[tT]$/ { print $1 }' | sed -n '1p;$p')
    lo=$(echo "$text" | sed -n 1p)
    hi=$(echo "$text" | sed -n 2p)
fi
# A CPU that bounces between a guest and the hypervisor may be sampled in the guest: take
# up to 8 samples and keep the first with some CPU in the hypervisor's code.
sample=0
while :; do
    monitor 'info registers -a'
    # One line per CPU: CPU#n RIP RSP CR3 (hex digits only). QEMU prints RSP and RIP before CR0.
    awk '/^CPU#/ { cpu = $1 }
         /RSP=/ { for (i = 1; i <= NF; i++) if ($i ~ /^RSP=/) rsp = substr($i, 5) }
         /^RIP=/ { rip = substr($1, 5) }
         /^CR0=/ { print cpu, rip, rsp, substr($3, 5) }' "$tmp/clean" > "$tmp/cpus"
    if [ ! -s "$tmp/cpus" ]; then
        echo "hang_report: the monitor did not answer"
        exit 1
    fi
    [ "$elf" = yes ] || break
    awk -v lo="$lo" -v hi="$hi" '$2 >= lo && $2 <= hi { found = 1 } END { exit !found }' \
        "$tmp/cpus" && break
    sample=$((sample + 1))
    [ "$sample" -lt 8 ] || break
    sleep 0.1
done
root=$(cd "$(dirname "$0")/../.." && pwd)
symbolize() {
    addr2line -f -C -i -p -e "$image" "$1" 2>/dev/null | grep -v '^?? ' | sed "s| at $root/| at |; s/^/    /"
}
echo "hang_report: QEMU state after the timeout"
while read -r cpu rip rsp cr3; do
    echo "  $cpu RIP=$rip RSP=$rsp CR3=$cr3"
    if [ "$elf" = yes ]; then
        symbolize "0x$rip"
        monitor "cpu ${cpu#CPU#}" "x/48gx 0x$rsp"
        # Code addresses on the stack: the callers (and a few stale ones).
        grep -o '0x[0-9a-f]\{16\}' "$tmp/clean" | sed 's/^0x//' | awk -v lo="$lo" -v hi="$hi" \
            'length($0) == 16 && $0 >= lo && $0 <= hi' | head -n 12 | while read -r a; do
            symbolize "0x$a"
        done
    fi
done < "$tmp/cpus"
