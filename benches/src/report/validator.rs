//! The validator section of the report.

use std::hint::black_box;

use serde::Serialize;

use crate::measure::{Sample, clean_median, median, sample, time};
use crate::validator::{
    BareMutex, BenchMutex, GraphSpec, LockdepMutex, NewDependencyBench, ScaleFigures, TracingMutex,
    leak_validator, nested_ops, single_ops,
};

/// Validator figures.
#[derive(Clone, Debug, Serialize)]
pub struct ValidatorReport {
    /// ns per lock+unlock of one mutex, chain cached, per implementation.
    pub single_ns: Vec<(String, f64)>,
    /// ns per lock A, lock B, unlock both, chain cached, per implementation.
    pub nested_ns: Vec<(String, f64)>,
    /// lockdep-graph's single-lock ns minus parking_lot's.
    pub overhead_ns: f64,
    /// ns per new dependency through the event API (classes already used).
    pub new_dependency_ns: f64,
    /// ns per new edge in tracing-mutex (a fresh pair of mutexes taken in order).
    pub tracing_mutex_new_edge_ns: f64,
    /// Event throughput as the graph grows.
    pub scale: Vec<ScaleFigures>,
}

/// Measures the validator: `runs` repetitions (medians), graph sizes in `scales`.
pub fn measure_validator(
    runs: usize,
    scales: &[GraphSpec],
    progress: &mut dyn FnMut(&str),
) -> ValidatorReport {
    const OPS: u64 = 2_000_000;
    const NEW_DEPS: usize = 20_000;
    let v = leak_validator();
    let bare = (BareMutex::new(), BareMutex::new());
    let lockdep = (
        LockdepMutex::new(v, "report_outer"),
        LockdepMutex::new(v, "report_inner"),
    );
    let tracing = (TracingMutex::new(), TracingMutex::new());
    // First use outside timing: the classes and chains become known.
    warm(&bare);
    warm(&lockdep);
    warm(&tracing);
    let mut single = [vec![], vec![], vec![]];
    let mut nested = [vec![], vec![], vec![]];
    let mut new_dep = vec![];
    let mut tracing_edge = vec![];
    for run in 0..runs.max(1) {
        progress(&format!("validator: run {}/{}", run + 1, runs.max(1)));
        sample_pair(&bare, OPS, &mut single[0], &mut nested[0]);
        sample_pair(&lockdep, OPS, &mut single[1], &mut nested[1]);
        sample_pair(&tracing, OPS, &mut single[2], &mut nested[2]);

        let mut bench = NewDependencyBench::new(NEW_DEPS);
        let (t, added) = bench.run(NEW_DEPS);
        new_dep.push(t.as_nanos() as f64 / added.max(1) as f64);

        let outer: Vec<TracingMutex> = (0..64).map(|_| TracingMutex::new()).collect();
        let inner: Vec<TracingMutex> = (0..NEW_DEPS).map(|_| TracingMutex::new()).collect();
        let (t, _) = time(|| {
            for (i, m) in inner.iter().enumerate() {
                black_box(outer[i % 64].locked(|a| m.locked(|b| *a + *b)));
            }
        });
        tracing_edge.push(t.as_nanos() as f64 / NEW_DEPS as f64);
    }
    let names = [BareMutex::NAME, LockdepMutex::NAME, TracingMutex::NAME];
    let single_ns: Vec<(String, f64)> = names
        .iter()
        .zip(single.iter_mut())
        .map(|(n, s)| (n.to_string(), clean_median(s).0))
        .collect();
    let nested_ns = names
        .iter()
        .zip(nested.iter_mut())
        .map(|(n, s)| (n.to_string(), clean_median(s).0))
        .collect();
    let mut scale = Vec::new();
    for spec in scales {
        progress(&format!("validator: scale {}", spec.name));
        scale.push(ScaleFigures::measure(spec));
    }
    ValidatorReport {
        overhead_ns: single_ns[1].1 - single_ns[0].1,
        single_ns,
        nested_ns,
        new_dependency_ns: median(&mut new_dep),
        tracing_mutex_new_edge_ns: median(&mut tracing_edge),
        scale,
    }
}

fn warm<M: BenchMutex>(pair: &(M, M)) {
    black_box(single_ops(&pair.0, 1_000));
    black_box(nested_ops(&pair.0, &pair.1, 1_000));
}

fn sample_pair<M: BenchMutex>(
    pair: &(M, M),
    ops: u64,
    single: &mut Vec<Sample>,
    nested: &mut Vec<Sample>,
) {
    let (x, r) = sample(ops, || single_ops(&pair.0, ops));
    black_box(r);
    single.push(x);
    let (x, r) = sample(ops / 2, || nested_ops(&pair.0, &pair.1, ops / 2));
    black_box(r);
    nested.push(x);
}
