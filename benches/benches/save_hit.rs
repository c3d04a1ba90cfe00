//! `save_hit`: saving a trace that is already stored (the common case: 95% of a
//! KASAN run's saves), traces picked in random order and read sequentially from
//! a pre-gathered buffer (the saver has its trace in hand).

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput};
use stackdepot_benches::measure::save_ops;
use stackdepot_benches::{SizeSpec, with_store};

use crate::common::{fixture, next_start};

pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("save_hit");
    group.throughput(Throughput::Elements(1));
    for spec in SizeSpec::BENCH_SIZES {
        for (k, kind) in stackdepot_benches::StoreKind::ALL.into_iter().enumerate() {
            let mut start = 0usize;
            group.bench_function(BenchmarkId::new(kind.name(), spec.name), |b| {
                let f = fixture(spec);
                let filled = &f.stores[k];
                b.iter_custom(|iters| {
                    let s = next_start(&mut start, iters, f.input.len());
                    with_store!(&filled.store, store => {
                        let t0 = Instant::now();
                        black_box(save_ops(store, &f.input, s, iters));
                        t0.elapsed()
                    })
                });
            });
        }
    }
    group.finish();
}
