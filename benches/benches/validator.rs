//! The lock validator's costs.
//!
//! * `validator_lock`: one lock+unlock of a mutex whose (one-lock) chain the
//!   validator has already seen, against a bare `parking_lot::Mutex` and
//!   `tracing-mutex`. The difference to `parking_lot` is the per-acquisition
//!   overhead (goal: <= 50 ns).
//! * `validator_nested`: lock A, lock B, unlock both, a cached two-lock chain
//!   (tracing-mutex checks its graph edge on every such acquisition).
//! * `validator_new_dependency`: taking a never-seen pair of already-used classes
//!   through the event API, i.e. the dependency insert, its two trace saves, the
//!   cycle search and the new chain.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use stackdepot_benches::validator::{
    BareMutex, BenchMutex, LockdepMutex, NewDependencyBench, TracingMutex, leak_validator,
    nested_ops, single_ops,
};

pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("validator_lock");
    group.throughput(Throughput::Elements(1));
    bench_single(&mut group, &BareMutex::new());
    let v = leak_validator();
    bench_single(&mut group, &LockdepMutex::new(v, "bench_single"));
    bench_single(&mut group, &TracingMutex::new());
    group.finish();

    let mut group = c.benchmark_group("validator_nested");
    group.throughput(Throughput::Elements(1));
    bench_nested(&mut group, &BareMutex::new(), &BareMutex::new());
    bench_nested(
        &mut group,
        &LockdepMutex::new(v, "bench_outer"),
        &LockdepMutex::new(v, "bench_inner"),
    );
    bench_nested(&mut group, &TracingMutex::new(), &TracingMutex::new());
    group.finish();

    let mut group = c.benchmark_group("validator_new_dependency");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat);
    group.bench_function(BenchmarkId::new("lockdep-graph", "event-api"), |b| {
        // One validator per batch of 20k new dependencies: the graph keeps growing
        // within a batch (realistic) but not without bound across samples.
        const BATCH: usize = 20_000;
        let mut bench = NewDependencyBench::new(BATCH);
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters as usize;
            while left > 0 {
                let (t, added) = bench.run(left);
                total += t;
                left -= added;
                if left > 0 {
                    bench = NewDependencyBench::new(BATCH);
                }
            }
            total
        });
    });
    group.bench_function(BenchmarkId::new("tracing-mutex", "new-mutex-pair"), |b| {
        b.iter_custom(|iters| {
            // Each iteration orders a fresh pair of mutexes: one new edge.
            let outer: Vec<TracingMutex> = (0..64).map(|_| TracingMutex::new()).collect();
            let inner: Vec<TracingMutex> = (0..iters).map(|_| TracingMutex::new()).collect();
            let t0 = Instant::now();
            for (i, m) in inner.iter().enumerate() {
                black_box(outer[i % 64].locked(|a| m.locked(|b| *a + *b)));
            }
            t0.elapsed()
        });
    });
    group.finish();
}

fn bench_single<M: BenchMutex>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    m: &M,
) {
    single_ops(m, 16); // first use: the class and chain are new
    group.bench_function(BenchmarkId::new(M::NAME, "cached"), |b| {
        b.iter_custom(|iters| {
            let t0 = Instant::now();
            black_box(single_ops(m, iters));
            t0.elapsed()
        });
    });
}

fn bench_nested<M: BenchMutex>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    outer: &M,
    inner: &M,
) {
    nested_ops(outer, inner, 16);
    group.bench_function(BenchmarkId::new(M::NAME, "cached"), |b| {
        b.iter_custom(|iters| {
            let t0 = Instant::now();
            black_box(nested_ops(outer, inner, iters));
            t0.elapsed()
        });
    });
}
