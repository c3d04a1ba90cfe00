//! Measuring every store on a synthetic size, interleaved in one process.

use std::hint::black_box;

use serde::Serialize;

use crate::calibration::{Calibration, CeilingSamples, MachineCeiling};
use crate::fixture::Fixture;
use crate::measure::{
    Sample, fetch_ops, fetch_slice_ops, input_only_ops, median, sample, sample_concurrent,
    sample_with_cpu, save_all, save_ops, save_stream, time,
};
use crate::stores::{AnyStore, StoreKind};
use crate::with_store;
use crate::workload::{SizeSpec, hit_stream};

use super::StoreFigures;
use super::figures::RunSamples;

/// Saves of the mixed stream gathered per timed chunk (about 12 MB of input at KASAN size).
const STREAM_CHUNK: usize = 1 << 16;

/// How long to measure.
#[derive(Clone, Copy, Debug)]
pub struct Effort {
    /// Repetitions of every measurement; medians are reported.
    pub runs: usize,
    /// Saves per hit measurement (per thread in the two-thread one).
    pub hit_ops: u64,
    /// Fetches per fetch measurement (per thread in the two-thread one), for the
    /// fetch and the fetch + read loops alike.
    pub fetch_ops: u64,
    /// Threads in the concurrent measurements.
    pub threads: usize,
    /// Whether to replay the size's mixed save stream (4M saves at KASAN size).
    pub stream: bool,
}

impl Effort {
    /// The default: 9 runs, 1M saves, 2M fetches, 2 threads, stream on. Many
    /// short runs rather than a few long ones: on a shared machine another
    /// process's time slice spoils one run, and the median drops it.
    pub const FULL: Effort = Effort {
        runs: 9,
        hit_ops: 1 << 20,
        fetch_ops: 1 << 21,
        threads: 2,
        stream: true,
    };
    /// A quick look: 3 runs, a quarter of the operations.
    pub const QUICK: Effort = Effort {
        runs: 3,
        hit_ops: 1 << 18,
        fetch_ops: 1 << 19,
        threads: 2,
        stream: true,
    };
}

/// All figures for one size.
#[derive(Clone, Debug, Serialize)]
pub struct SizeReport {
    /// Size name.
    pub size: String,
    /// Distinct traces.
    pub traces: usize,
    /// Frames in them.
    pub frames: usize,
    /// Mean frames per trace.
    pub mean_frames: f64,
    /// Saves in the mixed stream.
    pub stream_saves: usize,
    /// Share of the stream's saves that are hits.
    pub stream_hit_ratio: f64,
    /// ns per op of the hit loop with no store (reading the inputs only), common to all stores.
    pub input_only_ns: f64,
    /// One entry per store, the reference (mutex-hashmap) first.
    pub stores: Vec<StoreFigures>,
    /// How work that shares nothing scaled in the same runs (the machine's ceiling
    /// for the stores' scaling figures); `None` if not measured.
    pub ceiling: Option<MachineCeiling>,
}

/// Measures every store in `kinds` on `spec`. `progress` gets one line per step.
pub fn measure_size(
    spec: SizeSpec,
    kinds: &[StoreKind],
    effort: Effort,
    progress: &mut dyn FnMut(&str),
) -> Result<SizeReport, String> {
    progress(&format!(
        "{}: generating {} traces and filling {} stores",
        spec.name,
        spec.traces,
        kinds.len()
    ));
    let fixture = Fixture::build(spec, kinds)?;
    let traces = &fixture.traces;
    let stream = if effort.stream {
        hit_stream(traces.len(), spec.stream_saves, spec.seed ^ 0x5742)
    } else {
        Vec::new()
    };
    let n = kinds.len();
    let runs = effort.runs.max(1);
    let threads = effort.threads.max(1);
    let len = fixture.order.len();
    let input = &fixture.input;
    let ilen = input.len();
    let mut samples = vec![RunSamples::default(); n];
    let mut input_only = Vec::with_capacity(runs);
    progress(&format!(
        "{}: preparing the calibration loops ({} MiB private buffer per thread)",
        spec.name,
        crate::calibration::CHASE_BYTES >> 20
    ));
    let calibration = Calibration::new(threads, effort.fetch_ops);
    let mut ceiling = CeilingSamples::default();

    // Warm-up: page in every store's data and the code paths once.
    calibration.warm_up();
    for filled in &fixture.stores {
        with_store!(&filled.store, s => {
            black_box(save_ops(s, input, 0, effort.hit_ops / 8));
            black_box(fetch_slice_ops(s, &filled.id_order, 0, effort.fetch_ops / 8));
            black_box(fetch_ops(s, &filled.id_order, 0, effort.fetch_ops / 8));
        });
    }

    for run in 0..runs {
        progress(&format!("{}: run {}/{runs}", spec.name, run + 1));
        let start = (run * 7919 * 64) % len;
        let (t, _) = time(|| black_box(input_only_ops(input, start, effort.hit_ops)));
        input_only.push(ns_per(t, effort.hit_ops));
        // The machine's ceiling, once per run, under the same load as the stores.
        calibration.measure_run(run, &mut ceiling);
        // Rotate which store goes first so no store always runs right after another's
        // allocation-heavy phase.
        for i in 0..n {
            let k = (i + run) % n;
            let filled = &fixture.stores[k];
            let sm = &mut samples[k];
            with_store!(&filled.store, s => {
                let (x, tally) = sample(effort.hit_ops, || save_ops(s, input, start, effort.hit_ops));
                check_tally(kinds[k], "hit", tally.refused)?;
                sm.hit.push(x);

                let (x, sum) = sample(effort.fetch_ops, || fetch_slice_ops(s, &filled.id_order, start, effort.fetch_ops));
                black_box(sum);
                sm.fetch.push(x);

                let (x, sum) = sample(effort.fetch_ops, || fetch_ops(s, &filled.id_order, start, effort.fetch_ops));
                black_box(sum);
                sm.fetch_read.push(x);

                sm.hit_mt.push(sample_concurrent(threads, effort.hit_ops * threads as u64, |th| {
                    black_box(save_ops(s, input, start + th * ilen / threads, effort.hit_ops));
                }));
                sm.fetch_mt.push(sample_concurrent(threads, effort.fetch_ops * threads as u64, |th| {
                    black_box(fetch_slice_ops(s, &filled.id_order, start + th * len / threads, effort.fetch_ops));
                }));
                sm.fetch_read_mt.push(sample_concurrent(threads, effort.fetch_ops * threads as u64, |th| {
                    black_box(fetch_ops(s, &filled.id_order, start + th * len / threads, effort.fetch_ops));
                }));
            });

            let fresh = kinds[k].build(traces);
            // Wall time on the saving thread, and the process's CPU time (all threads,
            // the depot's populator included) over the same window.
            let (x, cpu, tally) = with_store!(&fresh, s => {
                sample_with_cpu(traces.len() as u64, || save_all(s, traces))
            });
            check_tally(kinds[k], "insert", tally.refused)?;
            sm.insert.push(x);
            sm.insert_cpu.push(cpu);
            drop(fresh);

            if !stream.is_empty() {
                let fresh = kinds[k].build(traces);
                let (t, tally) =
                    with_store!(&fresh, s => save_stream(s, traces, &stream, STREAM_CHUNK));
                check_tally(kinds[k], "stream", tally.refused)?;
                // Chunked and timed piecewise: no run-queue figure for the whole.
                sm.stream.push(Sample {
                    ns: ns_per(t, stream.len() as u64),
                    waited: 0.0,
                });
                drop(fresh);
            }
        }
    }

    let frames = traces.total_frames();
    let mut stores = Vec::with_capacity(n);
    for (k, filled) in fixture.stores.iter().enumerate() {
        stores.push(samples[k].figures(&filled.store, frames, threads));
    }
    super::fill_ratios(&mut stores);
    Ok(SizeReport {
        size: spec.name.to_string(),
        traces: traces.len(),
        frames,
        mean_frames: traces.mean_frames(),
        stream_saves: stream.len(),
        stream_hit_ratio: if stream.is_empty() {
            0.0
        } else {
            1.0 - traces.len() as f64 / stream.len() as f64
        },
        input_only_ns: median(&mut input_only),
        stores,
        ceiling: ceiling.ceiling(spec.name, threads),
    })
}

/// An error naming the store if it refused any of a loop's saves.
pub(super) fn check_tally(kind: StoreKind, what: &str, refused: u64) -> Result<(), String> {
    if refused == 0 {
        Ok(())
    } else {
        Err(format!("{}: {refused} {what} saves refused", kind.name()))
    }
}

/// Nanoseconds per operation.
pub(super) fn ns_per(t: std::time::Duration, ops: u64) -> f64 {
    t.as_nanos() as f64 / ops.max(1) as f64
}

/// Bytes of each store holding `SizeSpec::SMALL`'s 2k traces, and of an empty depot.
#[derive(Clone, Debug, Serialize)]
pub struct SmallDepotCost {
    /// Traces stored.
    pub traces: usize,
    /// Frames in them.
    pub frames: usize,
    /// Everything the depot has mapped and holds resident with those traces.
    pub depot_bytes_mapped: u64,
    /// What the depot counts as used by them (index included).
    pub depot_bytes_used: u64,
    /// Bytes a brand-new, empty depot has mapped.
    pub empty_depot_bytes_mapped: u64,
    /// Each store's `bytes_used` with the same traces.
    pub store_bytes: Vec<(String, u64)>,
    /// The kernel array's preallocated size at its default 2^19 words (plus buckets).
    pub kernel_fixed_reserved: u64,
}

/// Measures the fixed cost of a lightly used store.
pub fn small_depot_cost(kinds: &[StoreKind]) -> Result<SmallDepotCost, String> {
    let traces = SizeSpec::SMALL.generate();
    let mut store_bytes = Vec::new();
    let mut depot = None;
    let mut kernel_reserved = 0;
    for &kind in kinds {
        let store = kind.build(&traces);
        crate::measure::populate(store.as_dyn(), &traces)
            .map_err(|i| format!("{} refused small trace {i}", kind.name()))?;
        store_bytes.push((kind.name().to_string(), store.as_dyn().bytes_used() as u64));
        match &store {
            AnyStore::Depot(d) => depot = Some(d.stats()),
            AnyStore::KernelFixed(f) => kernel_reserved = f.bytes_reserved() as u64,
            _ => {}
        }
    }
    let stats = match depot {
        Some(s) => s,
        None => {
            let d = crate::stores::StackDepotStore::new();
            crate::measure::populate(&d, &traces)
                .map_err(|i| format!("depot refused small trace {i}"))?;
            d.stats()
        }
    };
    Ok(SmallDepotCost {
        traces: traces.len(),
        frames: traces.total_frames(),
        depot_bytes_mapped: stats.bytes_mapped,
        depot_bytes_used: stats.bytes_used,
        empty_depot_bytes_mapped: crate::stores::StackDepotStore::new().stats().bytes_mapped,
        store_bytes,
        kernel_fixed_reserved: kernel_reserved,
    })
}
