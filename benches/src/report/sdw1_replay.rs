//! Replaying an SDW1 workload file through every store.
//!
//! Per store: inserts (every referenced trace once, in first-sighting order, into a
//! fresh store), the whole event stream into a fresh store (mixed), hits (the
//! file's events, from the start, re-saved into the filled store, cycling over the
//! first 2^18), fetches of the events' ids (cycling over the first 2^20; the fetch
//! call alone, handle to slice, and again with every frame read), the hit and both
//! fetch loops on several threads, and bytes per stored frame. Before timing anything,
//! every store replays the file once untimed and is checked: each trace always gets
//! the same id and every id fetches exactly its trace. A mismatch is an error.

use std::hint::black_box;
use std::path::Path;

use serde::Serialize;
use stackdepot_examples::sdw1::{Sdw1, Sdw1Summary};

use super::figures::RunSamples;
use super::{StoreFigures, fill_ratios};
use crate::calibration::{Calibration, CeilingSamples, MachineCeiling};
use crate::measure::{
    Sample, fetch_ops, fetch_slice_ops, sample, sample_concurrent, sample_with_cpu, save_all,
    save_ops, save_stream,
};
use crate::stores::{AnyStore, StoreKind};
use crate::with_store;
use crate::workload::TraceSet;

use super::synthetic::{Effort, check_tally, ns_per};

/// Events gathered into the hit loops' sequential input (at most).
const INPUT_EVENTS: usize = 1 << 18;
/// Events fetched per pass (at most).
const FETCH_EVENTS: usize = 1 << 20;
/// Events gathered per timed chunk of the mixed replay.
const STREAM_CHUNK: usize = 1 << 16;

/// Figures for one SDW1 file.
#[derive(Clone, Debug, Serialize)]
pub struct Sdw1Report {
    /// The file.
    pub file: String,
    /// Its counts.
    pub summary: Sdw1Summary,
    /// Traces some event saves (the inserts of a replay).
    pub referenced_traces: usize,
    /// Frames in the referenced traces (the denominator of bytes per frame).
    pub referenced_frames: usize,
    /// Every store returned one id per trace and fetched every trace exactly.
    pub verified: bool,
    /// One entry per store, the reference first. `stream_ns` is the whole file's
    /// event stream into a fresh store.
    pub stores: Vec<StoreFigures>,
    /// How work that shares nothing scaled in the same runs (the machine's ceiling
    /// for the stores' scaling figures); `None` if not measured.
    pub ceiling: Option<MachineCeiling>,
}

/// The file's traces and events in the benches' own form.
struct Workload {
    traces: TraceSet,
    events: Vec<u32>,
    /// Referenced traces in first-sighting order.
    first_seen: Vec<u32>,
}

impl Workload {
    fn from_sdw1(sdw: &Sdw1) -> Workload {
        let mut traces = TraceSet::new();
        for t in sdw.traces() {
            traces.push(t);
        }
        let events = sdw.events().to_vec();
        let mut seen = vec![false; traces.len()];
        let mut first_seen = Vec::new();
        for &e in &events {
            if let Some(s) = seen.get_mut(e as usize)
                && !*s
            {
                *s = true;
                first_seen.push(e);
            }
        }
        Workload {
            traces,
            events,
            first_seen,
        }
    }
}

/// Reads `path` and measures every store in `kinds` on it.
pub fn replay_file(
    path: &Path,
    kinds: &[StoreKind],
    effort: Effort,
    progress: &mut dyn FnMut(&str),
) -> Result<Sdw1Report, String> {
    let sdw = Sdw1::read_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let summary = sdw.summary();
    let w = Workload::from_sdw1(&sdw);
    drop(sdw);
    if w.events.is_empty() {
        return Err(format!("{}: no save events", path.display()));
    }
    let name = path.display().to_string();
    progress(&format!(
        "{name}: {} traces, {} events; verifying every store",
        w.traces.len(),
        w.events.len()
    ));
    for &kind in kinds {
        verify(kind, &w).map_err(|e| format!("{name}: {e}"))?;
    }

    let inserts = w.traces.gather(&w.first_seen);
    let hit_input = w
        .traces
        .gather(&w.events[..w.events.len().min(INPUT_EVENTS)]);
    let runs = effort.runs.max(1);
    let threads = effort.threads.max(1);
    let n = kinds.len();
    let mut samples: Vec<RunSamples> = vec![RunSamples::default(); n];
    let mut filled: Vec<Option<AnyStore>> = (0..n).map(|_| None).collect();
    let calibration = Calibration::new(threads, effort.fetch_ops);
    calibration.warm_up();
    let mut ceiling = CeilingSamples::default();
    for run in 0..runs {
        progress(&format!("{name}: run {}/{runs}", run + 1));
        // The machine's ceiling, once per run, under the same load as the stores.
        calibration.measure_run(run, &mut ceiling);
        for i in 0..n {
            let k = (i + run) % n;
            let kind = kinds[k];
            let sm = &mut samples[k];

            let fresh = kind.build(&w.traces);
            let (x, cpu, tally) = with_store!(&fresh, s => {
                sample_with_cpu(inserts.len() as u64, || save_all(s, &inserts))
            });
            check_tally(kind, "insert", tally.refused)?;
            sm.insert.push(x);
            sm.insert_cpu.push(cpu);
            drop(fresh);

            // The mixed replay's store stays filled for the hit and fetch loops.
            let store = kind.build(&w.traces);
            let (t, tally) =
                with_store!(&store, s => save_stream(s, &w.traces, &w.events, STREAM_CHUNK));
            check_tally(kind, "replay", tally.refused)?;
            sm.stream.push(Sample {
                ns: ns_per(t, w.events.len() as u64),
                waited: 0.0,
            });

            let ids = event_ids(&store, &w)?;
            let ilen = hit_input.len();
            let flen = ids.len();
            let (hit_ops, fetch_ops_n) = (effort.hit_ops.max(1), effort.fetch_ops.max(1));
            with_store!(&store, s => {
                let (x, tally) = sample(hit_ops, || save_ops(s, &hit_input, 0, hit_ops));
                check_tally(kind, "hit", tally.refused)?;
                sm.hit.push(x);
                let (x, sum) = sample(fetch_ops_n, || fetch_slice_ops(s, &ids, 0, fetch_ops_n));
                black_box(sum);
                sm.fetch.push(x);
                let (x, sum) = sample(fetch_ops_n, || fetch_ops(s, &ids, 0, fetch_ops_n));
                black_box(sum);
                sm.fetch_read.push(x);
                // Each thread does as many operations as the one-thread pass, from its
                // own offset in the same inputs.
                sm.hit_mt.push(sample_concurrent(threads, hit_ops * threads as u64, |th| {
                    black_box(save_ops(s, &hit_input, th * ilen / threads, hit_ops));
                }));
                sm.fetch_mt.push(sample_concurrent(threads, fetch_ops_n * threads as u64, |th| {
                    black_box(fetch_slice_ops(s, &ids, th * flen / threads, fetch_ops_n));
                }));
                sm.fetch_read_mt.push(sample_concurrent(threads, fetch_ops_n * threads as u64, |th| {
                    black_box(fetch_ops(s, &ids, th * flen / threads, fetch_ops_n));
                }));
            });
            filled[k] = Some(store);
        }
    }
    let referenced_frames: usize = w
        .first_seen
        .iter()
        .map(|&i| w.traces.get(i as usize).len())
        .sum();
    let mut stores = Vec::with_capacity(n);
    for (k, store) in filled.iter().enumerate() {
        let Some(store) = store else { continue };
        stores.push(samples[k].figures(store, referenced_frames, threads));
    }
    fill_ratios(&mut stores);
    let ceiling = ceiling.ceiling(&name, threads);
    Ok(Sdw1Report {
        file: name,
        summary,
        referenced_traces: w.first_seen.len(),
        referenced_frames,
        verified: true,
        stores,
        ceiling,
    })
}

/// The id of every event's trace (up to [`FETCH_EVENTS`] events), from a filled store.
fn event_ids(store: &AnyStore, w: &Workload) -> Result<Vec<u32>, String> {
    let s = store.as_dyn();
    w.events[..w.events.len().min(FETCH_EVENTS)]
        .iter()
        .map(|&e| {
            s.save(w.traces.get(e as usize))
                .ok_or_else(|| format!("{}: trace {e} refused", s.name()))
        })
        .collect()
}

/// Replays every event into a fresh store of `kind`, untimed, and checks that a
/// trace always gets the same id and that every id fetches exactly its trace.
fn verify(kind: StoreKind, w: &Workload) -> Result<(), String> {
    let store = kind.build(&w.traces);
    let s = store.as_dyn();
    let mut ids: Vec<Option<u32>> = vec![None; w.traces.len()];
    for (i, &e) in w.events.iter().enumerate() {
        let trace = w.traces.get(e as usize);
        let id = s
            .save(trace)
            .ok_or_else(|| format!("{}: event {i} (trace {e}) refused", kind.name()))?;
        match ids[e as usize] {
            None => ids[e as usize] = Some(id),
            Some(first) if first != id => {
                return Err(format!(
                    "{}: trace {e} got id {first:#x}, then {id:#x} at event {i}",
                    kind.name()
                ));
            }
            Some(_) => {}
        }
    }
    let mut buf = Vec::new();
    for (t, id) in ids.iter().enumerate() {
        let Some(id) = *id else { continue };
        if !s.fetch_into(id, &mut buf) {
            return Err(format!(
                "{}: id {id:#x} of trace {t} fetches nothing",
                kind.name()
            ));
        }
        if buf.as_slice() != w.traces.get(t) {
            return Err(format!(
                "{}: id {id:#x} of trace {t} fetches {} frames that differ from the {} saved",
                kind.name(),
                buf.len(),
                w.traces.get(t).len()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackdepot_examples::sdw1::Sdw1Builder;

    #[test]
    fn replays_and_verifies_a_small_file() {
        let mut b = Sdw1Builder::new();
        for i in 0..400usize {
            let trace: Vec<usize> = (0..(8 + i % 13))
                .map(|f| 0x1000 + f * 16 + (i % 50) * 0x10000)
                .collect();
            b.save(&trace);
            if i % 3 == 0 {
                b.save(&trace);
            }
        }
        let dir = std::env::temp_dir().join(format!("benches-sdw1-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.sdw1");
        b.finish().write_path(&path).unwrap();
        let effort = Effort {
            runs: 1,
            hit_ops: 0,
            fetch_ops: 0,
            threads: 2,
            stream: true,
        };
        let r = replay_file(&path, &StoreKind::ALL, effort, &mut |_| {}).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(r.verified);
        assert_eq!(r.stores.len(), StoreKind::ALL.len());
        assert_eq!(r.referenced_traces, r.summary.traces as usize);
        assert!(r.stores.iter().all(|f| f.hit_ns > 0.0 && f.bytes_used > 0));
        // The calibration ran in the same runs and is labelled with the file.
        let c = r.ceiling.expect("calibration measured");
        assert_eq!(
            (c.runs, c.threads, c.label),
            (1, 2, path.display().to_string())
        );
        assert!(c.alu_scaling > 0.0 && c.memory_scaling.is_some_and(|m| m > 0.0));
    }
}
