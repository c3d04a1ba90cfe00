//! `save_hit_2t`, `fetch_random_2t` and `fetch_random_read_2t`: the hit loop and
//! the two fetch loops of `fetch.rs` (handle to slice; fetch + read every frame)
//! on two threads at once over the same store, started on a barrier; only the
//! concurrent part is timed. Each iteration is one operation on each thread (throughput 2), so the
//! reported elements/s is total operations per second, comparable with the
//! one-thread groups: scaling = 2-thread throughput / 1-thread throughput.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use stackdepot_benches::measure::{run_concurrent, save_ops};
use stackdepot_benches::{SizeSpec, StoreKind, with_store};

use crate::common::{fixture, next_start};
use crate::fetch::FetchWalk;

const THREADS: usize = 2;

pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("save_hit_2t");
    group.throughput(Throughput::Elements(THREADS as u64));
    for spec in SizeSpec::BENCH_SIZES {
        for (k, kind) in StoreKind::ALL.into_iter().enumerate() {
            let mut start = 0usize;
            group.bench_function(BenchmarkId::new(kind.name(), spec.name), |b| {
                let f = fixture(spec);
                let filled = &f.stores[k];
                let len = f.input.len();
                b.iter_custom(|iters| {
                    let s = next_start(&mut start, iters, len);
                    with_store!(&filled.store, store => run_concurrent(THREADS, |t| {
                        black_box(save_ops(store, &f.input, s + t * len / THREADS, iters));
                    }))
                });
            });
        }
    }
    group.finish();

    fetch_group(c, "fetch_random_2t", FetchWalk::Slice);
    fetch_group(c, "fetch_random_read_2t", FetchWalk::Read);
}

fn fetch_group(c: &mut Criterion, name: &str, walk: FetchWalk) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(THREADS as u64));
    for spec in SizeSpec::BENCH_SIZES {
        for (k, kind) in StoreKind::ALL.into_iter().enumerate() {
            let mut start = 0usize;
            group.bench_function(BenchmarkId::new(kind.name(), spec.name), |b| {
                let filled = &fixture(spec).stores[k];
                let len = filled.id_order.len();
                b.iter_custom(|iters| {
                    let s = next_start(&mut start, iters, len);
                    with_store!(&filled.store, store => run_concurrent(THREADS, |t| {
                        black_box(walk.run(store, &filled.id_order, s + t * len / THREADS, iters));
                    }))
                });
            });
        }
    }
    group.finish();
}
