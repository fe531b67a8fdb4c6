#!/bin/sh
# Regenerates the image-decoder test inputs (see README.md). Run from this directory.
# Only the outputs are committed; the inputs are /bin/true of the generating machine,
# `seq` output (the tests rebuild it) and seeded pseudo-random bytes.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp /bin/true "$tmp/true"
seq 1 10000 > "$tmp/seq.txt"
python3 -c 'import random,sys; random.seed(1); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(8192)))' > "$tmp/random.bin"

# x86 machine code: the reference for all "true" files is true.gz.
gzip -9 -n -c "$tmp/true" > true.gz
xz --format=xz --check=crc32 --x86 --lzma2=dict=32MiB -c "$tmp/true" > true.x86.xz   # Linux's flags
xz -c "$tmp/true" > true.xz                                                            # xz defaults: CRC64, LZMA2
xz --block-size=8192 --x86 --lzma2 -c "$tmp/true" > true.blocks.xz                              # 5 blocks
xz --x86=start=4096 --lzma2=preset=6,lc=1,lp=2,pb=0 -c "$tmp/true" > true.x86start.xz

# Text: the tests regenerate `seq 1 10000`.
{ head -n 5000 "$tmp/seq.txt" | xz -c; printf '\0\0\0\0\0\0\0\0';
  tail -n 5000 "$tmp/seq.txt" | xz --check=none -c; } > seq.multistream.xz
head -n 100 "$tmp/seq.txt" | xz --check=sha256 -c > seq100.sha256.xz
{ head -n 5000 "$tmp/seq.txt" | gzip -9 -n -c; tail -n 5000 "$tmp/seq.txt" | gzip -1 -n -c; } > seq.multimember.gz
(cd "$tmp" && gzip -9 -c seq.txt) > seq.named.gz     # FNAME and MTIME set

# Incompressible: LZMA2 stored chunks, deflate stored blocks.
xz -c "$tmp/random.bin" > random.xz
gzip -9 -n -c "$tmp/random.bin" > random.gz

: | xz -c > empty.xz
: | gzip -n -c > empty.gz
