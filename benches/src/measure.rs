//! The operation loops every benchmark times, written once, generic over the store
//! so each is compiled per concrete store.
//!
//! Loops walk precomputed random orders cyclically from a start offset, so two
//! threads given different offsets touch different traces, and return a checksum
//! the caller passes to `black_box` so nothing is optimised away.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::stores::{TraceStore, frame_sum};
use crate::workload::TraceSet;

/// What a run of saves returned: a checksum of the ids and how many saves the
/// store refused (which makes a measurement invalid).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaveTally {
    /// Wrapping sum of the ids returned.
    pub id_sum: u64,
    /// Saves that returned `None`.
    pub refused: u64,
}

impl SaveTally {
    #[inline]
    fn add(&mut self, id: Option<u32>) {
        match id {
            Some(id) => self.id_sum = self.id_sum.wrapping_add(u64::from(id)),
            None => self.refused += 1,
        }
    }
}

/// Saves `ops` traces, trace `order[j]` for `j` cycling from `start`.
#[inline(never)]
pub fn save_ops<S: TraceStore + ?Sized>(
    store: &S,
    traces: &TraceSet,
    order: &[u32],
    start: usize,
    ops: u64,
) -> SaveTally {
    let mut j = start % order.len().max(1);
    let mut tally = SaveTally::default();
    for _ in 0..ops {
        tally.add(store.save(traces.get(order[j] as usize)));
        j += 1;
        if j == order.len() {
            j = 0;
        }
    }
    tally
}

/// Fetches `ops` ids, `ids[j]` for `j` cycling from `start`, summing every frame.
/// Unknown ids add `usize::MAX`.
#[inline(never)]
pub fn fetch_ops<S: TraceStore + ?Sized>(store: &S, ids: &[u32], start: usize, ops: u64) -> usize {
    let mut j = start % ids.len().max(1);
    let mut sum = 0usize;
    for _ in 0..ops {
        sum = sum.wrapping_add(store.fetch_sum(ids[j]).unwrap_or(usize::MAX));
        j += 1;
        if j == ids.len() {
            j = 0;
        }
    }
    sum
}

/// What a loop costs without any store: reads the same inputs [`save_ops`] reads
/// (the trace behind `order[j]`) and sums them. Printed next to the stores so the
/// share of each figure that is input reading, common to all stores, is visible.
#[inline(never)]
pub fn input_only_ops(traces: &TraceSet, order: &[u32], start: usize, ops: u64) -> usize {
    let mut j = start % order.len().max(1);
    let mut sum = 0usize;
    for _ in 0..ops {
        sum = sum.wrapping_add(frame_sum(black_box(traces.get(order[j] as usize))));
        j += 1;
        if j == order.len() {
            j = 0;
        }
    }
    sum
}

/// Saves every trace in `traces` once, in order (into a fresh store: all inserts).
#[inline(never)]
pub fn save_all<S: TraceStore + ?Sized>(store: &S, traces: &TraceSet) -> SaveTally {
    let mut tally = SaveTally::default();
    for i in 0..traces.len() {
        tally.add(store.save(traces.get(i)));
    }
    tally
}

/// Saves the traces named by `stream` in order (a mixed hit/insert stream).
#[inline(never)]
pub fn save_stream<S: TraceStore + ?Sized>(
    store: &S,
    traces: &TraceSet,
    stream: &[u32],
) -> SaveTally {
    save_ops(store, traces, stream, 0, stream.len() as u64)
}

/// Saves every trace and returns the ids, indexed like `traces`; on a refused
/// save, the index of the first trace refused.
pub fn populate<S: TraceStore + ?Sized>(store: &S, traces: &TraceSet) -> Result<Vec<u32>, usize> {
    (0..traces.len())
        .map(|i| store.save(traces.get(i)).ok_or(i))
        .collect()
}

/// Runs `work(thread_index)` on `threads` threads at once and returns the time
/// from their common start (all released by one barrier) to the last one's end
/// (a second barrier), which excludes thread start-up and tear-down.
pub fn run_concurrent<F>(threads: usize, work: F) -> Duration
where
    F: Fn(usize) + Sync,
{
    let start = Barrier::new(threads + 1);
    let end = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (start, end, work) = (&start, &end, &work);
            scope.spawn(move || {
                start.wait();
                work(t);
                end.wait();
            });
        }
        start.wait();
        let t0 = Instant::now();
        end.wait();
        t0.elapsed()
    })
}

/// Times one call of `f`.
pub fn time<R>(f: impl FnOnce() -> R) -> (Duration, R) {
    let t0 = Instant::now();
    let r = f();
    (t0.elapsed(), r)
}

/// The median of some durations (the mean of the middle two for an even count).
pub fn median(samples: &mut [f64]) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::{MutexHashMapStore, StackDepotStore};
    use crate::workload::{SizeSpec, random_indices};

    #[test]
    fn loops_agree_across_stores_on_what_they_read() {
        let traces = SizeSpec {
            traces: 500,
            ..SizeSpec::SMALL
        }
        .generate();
        let order = random_indices(traces.len(), 2_000, 1);
        let a = MutexHashMapStore::new();
        let b = StackDepotStore::new();
        let ids_a = populate(&a, &traces).unwrap();
        let ids_b = populate(&b, &traces).unwrap();
        // Fetch sums depend only on the traces, so both stores must agree with the input.
        let fa: Vec<u32> = order.iter().map(|&i| ids_a[i as usize]).collect();
        let fb: Vec<u32> = order.iter().map(|&i| ids_b[i as usize]).collect();
        let expect = input_only_ops(&traces, &order, 0, 2_000);
        assert_eq!(fetch_ops(&a, &fa, 0, 2_000), expect);
        assert_eq!(fetch_ops(&b, &fb, 0, 2_000), expect);
        // Hits return the same ids as the inserts did, and none is refused.
        let hits = save_ops(&a, &traces, &order, 0, 2_000);
        let expect_ids: u64 = order.iter().map(|&i| u64::from(ids_a[i as usize])).sum();
        assert_eq!(
            hits,
            SaveTally {
                id_sum: expect_ids,
                refused: 0
            }
        );
    }

    #[test]
    fn concurrent_runs_every_thread() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let ran = AtomicUsize::new(0);
        run_concurrent(2, |t| {
            ran.fetch_add(t + 1, Ordering::Relaxed);
        });
        assert_eq!(ran.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
