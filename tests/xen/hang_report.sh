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

# monitor COMMANDS...: runs them and leaves the output in $tmp/reply. QEMU holds both FIFOs
# open read-write, so neither open blocks.
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
    awk '/^CPU#/ { cpu = $1 } /^RIP=/ { rip = $1 } /^CR0=/ { print cpu, rip, $3 }' "$tmp/clean" > "$tmp/cpus"
    if [ ! -s "$tmp/cpus" ]; then
        echo "hang_report: the monitor did not answer"
        exit 1
    fi
    [ "$elf" = yes ] || break
    awk -v lo="$lo" -v hi="$hi" '{ r = substr($2, 5) } r >= lo && r <= hi { found = 1 } END { exit !found }' \
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
grep -o 'RSP=[0-9a-f]*' "$tmp/clean" | sed 's/RSP=//' > "$tmp/rsps"
n=0
while read -r cpu rip cr3; do
    rsp=$(sed -n "$((n + 1))p" "$tmp/rsps")
    echo "  $cpu $rip RSP=$rsp $cr3"
    if [ "$elf" = yes ]; then
        symbolize "0x${rip#RIP=}"
        monitor "cpu ${cpu#CPU#}" "x/48gx 0x$rsp"
        # Code addresses on the stack: the callers (and a few stale ones).
        grep -o '0x[0-9a-f]\{16\}' "$tmp/clean" | sed 's/^0x//' | awk -v lo="$lo" -v hi="$hi" \
            'length($0) == 16 && $0 >= lo && $0 <= hi' | head -n 12 | while read -r a; do
            symbolize "0x$a"
        done
    fi
    n=$((n + 1))
done < "$tmp/cpus"
