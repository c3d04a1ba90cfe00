//! One criterion binary, a module per topic (one link instead of N).
//!
//! Dimensions: store (every `StoreKind::ALL`: stackdepot, stackdepot-thp,
//! mutex-hashmap, dashmap, kernel-fixed) × size (rfc: 22k traces of ~21
//! frames; kasan: 200k traces of ~24 frames) ×
//! operation (save of a stored trace, save of a new trace into a fresh store,
//! fetch of a random id, handle to slice (`fetch_random`) and with every frame
//! read (`fetch_random_read`), and the hit and both fetch loops on two threads
//! at once).
//! Ids are `BenchmarkId::new(store, size)` inside a group per operation.
//! The `validator_*` groups measure the lock validator (see `validator.rs`).
//!
//! Run: `cargo bench -p stackdepot-benches -- --warm-up-time 1 --measurement-time 3`
//! (filter with a trailing group or store name, e.g. `-- save_hit/stackdepot`).

use criterion::{Criterion, criterion_group, criterion_main};

mod common;
mod fetch;
mod save_hit;
mod save_new;
mod two_threads;
mod validator;

fn register(c: &mut Criterion) {
    save_hit::register(c);
    save_new::register(c);
    fetch::register(c);
    two_threads::register(c);
    validator::register(c);
}

criterion_group!(benches, register);
criterion_main!(benches);
