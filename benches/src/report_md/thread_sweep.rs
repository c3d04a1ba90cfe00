//! Save-hit and fetch throughput of every store against the number of threads, for
//! the throughput chart. `depot-report` measures one and two threads; the chart
//! also wants what happens past the core count. "Fetch" here is the fetch call
//! alone, handle to slice ([`fetch_slice_ops`]), as in the fetch goals; the
//! fetch + read loop is not swept.

use std::hint::black_box;

use serde::Serialize;

use crate::fixture::Fixture;
use crate::measure::{Sample, clean_median, fetch_slice_ops, sample_concurrent, save_ops};
use crate::report::mops;
use crate::stores::StoreKind;
use crate::with_store;
use crate::workload::SizeSpec;

/// One store at one thread count.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SweepPoint {
    /// Threads running at once.
    pub threads: usize,
    /// Million hit saves per second, all threads together (median of the runs).
    pub hit_mops: f64,
    /// Million fetches (handle to slice, no frame read) per second, all threads
    /// together (median of the runs).
    pub fetch_mops: f64,
    /// Runs in which a hit or fetch measurement spent more than
    /// [`DISTURBED_SHARE`](crate::measure::DISTURBED_SHARE) of its time waiting for
    /// a CPU; their samples are set aside when clean ones exist. Above the core
    /// count every run waits (the threads share cores), so there it says nothing.
    pub disturbed_runs: usize,
}

/// One store's points, in thread-count order.
#[derive(Clone, Debug, Serialize)]
pub struct StoreSweep {
    /// Store name.
    pub store: String,
    /// One point per thread count.
    pub points: Vec<SweepPoint>,
}

/// The sweep at one size.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadSweep {
    /// Size name.
    pub size: String,
    /// Distinct traces stored.
    pub traces: usize,
    /// Repetitions (medians reported).
    pub runs: usize,
    /// Saves per thread per hit measurement.
    pub hit_ops_per_thread: u64,
    /// Fetches per thread per fetch measurement.
    pub fetch_ops_per_thread: u64,
    /// One entry per store.
    pub stores: Vec<StoreSweep>,
}

/// Measures hit-save and fetch throughput of every store in `kinds` on `spec` at
/// each count in `threads`, `runs` times, interleaving stores and thread counts so
/// load that comes and goes spreads over all of them. Each thread does the same
/// number of operations starting at its own offset, as in `depot-report`, and,
/// as there, samples in which some thread waited long for a CPU are set aside when
/// clean ones exist.
pub fn measure_thread_sweep(
    spec: SizeSpec,
    kinds: &[StoreKind],
    threads: &[usize],
    runs: usize,
    hit_ops: u64,
    fetch_ops_per_thread: u64,
    progress: &mut dyn FnMut(&str),
) -> Result<ThreadSweep, String> {
    if threads.is_empty() || threads.contains(&0) {
        return Err("thread counts must be at least 1".to_string());
    }
    progress(&format!(
        "sweep {}: filling {} stores with {} traces",
        spec.name,
        kinds.len(),
        spec.traces
    ));
    let fixture = Fixture::build(spec, kinds)?;
    let input = &fixture.input;
    let (ilen, olen) = (input.len(), fixture.order.len());
    let runs = runs.max(1);
    // samples[store][thread count] = (hit samples, fetch samples), one per run.
    let mut samples: Vec<Vec<(Vec<Sample>, Vec<Sample>)>> =
        vec![vec![(Vec::new(), Vec::new()); threads.len()]; kinds.len()];

    for filled in &fixture.stores {
        with_store!(&filled.store, s => {
            black_box(save_ops(s, input, 0, hit_ops / 8));
            black_box(fetch_slice_ops(s, &filled.id_order, 0, fetch_ops_per_thread / 8));
        });
    }
    for run in 0..runs {
        progress(&format!("sweep {}: run {}/{runs}", spec.name, run + 1));
        let start = (run * 7919 * 64) % olen.max(1);
        for i in 0..kinds.len() {
            let k = (i + run) % kinds.len();
            let filled = &fixture.stores[k];
            for (ti, &t) in threads.iter().enumerate() {
                let refused = std::sync::atomic::AtomicU64::new(0);
                with_store!(&filled.store, s => {
                    samples[k][ti].0.push(sample_concurrent(t, hit_ops * t as u64, |th| {
                        let tally = save_ops(s, input, start + th * ilen / t, hit_ops);
                        refused.fetch_add(tally.refused, std::sync::atomic::Ordering::Relaxed);
                        black_box(tally);
                    }));
                    samples[k][ti].1.push(sample_concurrent(t, fetch_ops_per_thread * t as u64, |th| {
                        black_box(fetch_slice_ops(s, &filled.id_order, start + th * olen / t, fetch_ops_per_thread));
                    }));
                });
                let refused = refused.into_inner();
                if refused > 0 {
                    return Err(format!(
                        "sweep: {} refused {refused} hit saves",
                        kinds[k].name()
                    ));
                }
            }
        }
    }
    let stores = kinds
        .iter()
        .zip(samples)
        .map(|(kind, per_count)| StoreSweep {
            store: kind.name().to_string(),
            points: threads
                .iter()
                .zip(per_count)
                .map(|(&t, (hit, fetch))| SweepPoint {
                    threads: t,
                    hit_mops: mops(clean_median(&hit).0),
                    fetch_mops: mops(clean_median(&fetch).0),
                    disturbed_runs: hit
                        .iter()
                        .zip(&fetch)
                        .filter(|(h, f)| h.disturbed() || f.disturbed())
                        .count(),
                })
                .collect(),
        })
        .collect();
    Ok(ThreadSweep {
        size: spec.name.to_string(),
        traces: fixture.traces.len(),
        runs,
        hit_ops_per_thread: hit_ops,
        fetch_ops_per_thread,
        stores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_has_one_point_per_store_and_thread_count() {
        let spec = SizeSpec {
            traces: 300,
            ..SizeSpec::SMALL
        };
        let kinds = [StoreKind::MutexHashMap, StoreKind::Depot];
        let sweep =
            measure_thread_sweep(spec, &kinds, &[1, 2], 1, 1_000, 1_000, &mut |_| {}).unwrap();
        assert_eq!(sweep.traces, 300);
        let names: Vec<_> = sweep.stores.iter().map(|s| s.store.as_str()).collect();
        assert_eq!(names, ["mutex-hashmap", "stackdepot"]);
        for s in &sweep.stores {
            let counts: Vec<_> = s.points.iter().map(|p| p.threads).collect();
            assert_eq!(counts, [1, 2]);
            assert!(
                s.points
                    .iter()
                    .all(|p| p.hit_mops > 0.0 && p.fetch_mops > 0.0)
            );
        }
        assert!(measure_thread_sweep(spec, &kinds, &[0], 1, 10, 10, &mut |_| {}).is_err());
    }
}
