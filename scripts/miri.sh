#!/usr/bin/env bash
# Runs the stackdepot tests under Miri, where a nightly toolchain with miri exists.
#
# -Zmiri-tree-borrows        the aliasing model the team checks against (crossbeam-epoch,
#                            used by lockdep-graph, is known to fail Stacked Borrows).
# -Zmiri-permissive-provenance  memmap2 hands out addresses from mmap as integers.
# -Zmiri-ignore-leaks        test threads may still hold thread-local counters at exit.
# -Zmiri-disable-isolation   mmap/madvise need the host.
# Several seeds: Miri picks thread interleavings at random.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "miri.sh: no nightly toolchain installed; skipping" >&2
    exit 0
fi
if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "miri.sh: nightly has no miri component (rustup component add --toolchain nightly miri rust-src); skipping" >&2
    exit 0
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/miri}"
for seed in ${MIRI_SEEDS:-1 2}; do
    MIRIFLAGS="-Zmiri-tree-borrows -Zmiri-permissive-provenance -Zmiri-ignore-leaks -Zmiri-disable-isolation -Zmiri-seed=$seed" \
        cargo +nightly miri test -p stackdepot --lib "$@"
done
