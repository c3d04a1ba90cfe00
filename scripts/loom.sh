#!/usr/bin/env bash
# Runs the loom models of the depot's publication protocol (crates/stackdepot/src/loom_model.rs).
#
# --cfg loom            switches crate::sync (and the spin lock) to loom's atomics.
# -C debug-assertions   keeps the models' internal checks on in release mode.
# release mode          loom explores thousands of interleavings; debug is ~10x slower.
# LOOM_MAX_PREEMPTIONS  bounds the search (2 is what crossbeam and sharded-slab use).
# CARGO_TARGET_DIR      --cfg loom rebuilds every dependency; keep it out of target/.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="--cfg loom -C debug-assertions=on ${RUSTFLAGS:-}"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/loom}"
exec cargo test -p stackdepot --release --lib loom_model -- --test-threads=1 "$@"
