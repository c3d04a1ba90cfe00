#!/usr/bin/env bash
# Instructions per operation for the loops the docs quote, counted by callgrind
# (deterministic, unlike times on a shared machine). Each case runs twice, with
# LOW and HIGH iterations and the same setup; (Ir(HIGH) - Ir(LOW)) / (HIGH - LOW) is
# the cost of one iteration, setup excluded. Needs valgrind; skips without it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null 2>&1; then
    echo "instructions.sh: valgrind is not installed; skipping" >&2
    exit 0
fi
cargo build --release -q -p stackdepot-benches --bin instruction-counts
bin="${CARGO_TARGET_DIR:-target}/release/instruction-counts"
low=1000
high=101000
ir() {
    local out
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>"$out" >/dev/null
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out"
    rm -f "$out"
}
printf '%-20s %14s\n' case "instr/op"
for case in lockdep-mutex parking-lot-mutex depot-hit foldhash-24 xxh3-24; do
    a=$(ir "$case" "$low")
    b=$(ir "$case" "$high")
    printf '%-20s %14s\n' "$case" "$(( (b - a) / (high - low) ))"
done
