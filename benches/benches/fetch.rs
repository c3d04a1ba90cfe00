//! `fetch_random`: reading the trace behind a random id (every frame summed, so
//! the read is real), as a report printer or a validator walking its graph does.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput};
use stackdepot_benches::measure::fetch_ops;
use stackdepot_benches::{SizeSpec, StoreKind, with_store};

use crate::common::{fixture, next_start};

pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("fetch_random");
    group.throughput(Throughput::Elements(1));
    for spec in SizeSpec::BENCH_SIZES {
        for (k, kind) in StoreKind::ALL.into_iter().enumerate() {
            let mut start = 0usize;
            group.bench_function(BenchmarkId::new(kind.name(), spec.name), |b| {
                let filled = &fixture(spec).stores[k];
                b.iter_custom(|iters| {
                    let s = next_start(&mut start, iters, filled.id_order.len());
                    with_store!(&filled.store, store => {
                        let t0 = Instant::now();
                        black_box(fetch_ops(store, &filled.id_order, s, iters));
                        t0.elapsed()
                    })
                });
            });
        }
    }
    group.finish();
}
