//! `save_new`: inserting every trace of a size into a fresh store. One iteration
//! is one whole fill (22k or 200k inserts, reported per insert via the
//! throughput); building and dropping the store is not timed. Few, flat samples,
//! so a 200k fill is not repeated thousands of times.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use stackdepot_benches::measure::save_all;
use stackdepot_benches::{SizeSpec, StoreKind, with_store};

use crate::common::traces;

pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("save_new");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for spec in SizeSpec::BENCH_SIZES {
        group.throughput(Throughput::Elements(spec.traces as u64));
        for kind in StoreKind::ALL {
            group.bench_function(BenchmarkId::new(kind.name(), spec.name), |b| {
                let traces = traces(spec);
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let store = kind.build(traces);
                        with_store!(&store, s => {
                            let t0 = Instant::now();
                            black_box(save_all(s, traces));
                            total += t0.elapsed();
                        });
                        drop(store);
                    }
                    total
                });
            });
        }
    }
    group.finish();
}
