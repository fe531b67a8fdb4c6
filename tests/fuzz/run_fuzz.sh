#!/bin/sh
# Fuzz smoke run: fixed seed, bounded number of inputs, starting from the checked-in
# seed corpus when there is one. A crash, leak or sanitizer report fails the test.
set -eu
bin=$1
corpus=$2
work=$3
mkdir -p "$work"
runs=${HV_FUZZ_RUNS:-200000}
# Bounded in time too, so a slow target cannot eat CI's budget (seeded, so the inputs
# explored in that time are the same from run to run on the same machine).
seconds=${HV_FUZZ_SECONDS:-25}
if [ -d "$corpus" ]; then
  exec "$bin" -seed=1 -runs="$runs" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$work" "$corpus"
fi
exec "$bin" -seed=1 -runs="$runs" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$work"
