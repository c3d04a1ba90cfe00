//! Fetching the trace behind a random id, in two groups:
//!
//! * `fetch_random`: the fetch call alone, handle to slice ([`FetchWalk::Slice`]):
//!   the id is resolved to the stored trace's address and length and no frame is
//!   read. The depot's `fetch` is zero-copy, so this is the API call itself, and
//!   what the fetch goal is about.
//! * `fetch_random_read`: the same fetch followed by reading (summing) every frame
//!   ([`FetchWalk::Read`]), as a report printer or a validator walking its graph
//!   does. The read is the consumer's work and the same for every store. Where
//!   the cache miss on the trace falls differs: stores that keep the length
//!   beside the pointer pay it in the read, the depot and the kernel array
//!   (length in a record header before the frames) in the fetch.
//!
//! Filter one with a trailing slash (`-- fetch_random/`): `fetch_random` alone
//! also matches `fetch_random_read`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput};
use stackdepot_benches::measure::{fetch_ops, fetch_slice_ops};
use stackdepot_benches::{SizeSpec, StoreKind, with_store};

use crate::common::{fixture, next_start};

/// Which fetch loop a group times.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FetchWalk {
    /// [`fetch_slice_ops`]: handle to slice, no frame read.
    Slice,
    /// [`fetch_ops`]: fetch, then read every frame.
    Read,
}

impl FetchWalk {
    /// Runs the loop on `store` (chosen once per sample, outside the timed loop,
    /// which stays generic over the store: no virtual call inside it).
    #[inline]
    pub(crate) fn run<S: stackdepot_benches::TraceStore>(
        self,
        store: &S,
        ids: &[u32],
        start: usize,
        ops: u64,
    ) -> usize {
        match self {
            FetchWalk::Slice => fetch_slice_ops(store, ids, start, ops),
            FetchWalk::Read => fetch_ops(store, ids, start, ops),
        }
    }
}

pub(crate) fn register(c: &mut Criterion) {
    group(c, "fetch_random", FetchWalk::Slice);
    group(c, "fetch_random_read", FetchWalk::Read);
}

fn group(c: &mut Criterion, name: &str, walk: FetchWalk) {
    let mut group = c.benchmark_group(name);
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
                        black_box(walk.run(store, &filled.id_order, s, iters));
                        t0.elapsed()
                    })
                });
            });
        }
    }
    group.finish();
}
