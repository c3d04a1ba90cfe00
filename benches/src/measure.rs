//! The operation loops every benchmark times, written once, generic over the store
//! so each is compiled per concrete store.
//!
//! A saver has its trace in hand (just captured, in L1), so the save loops read
//! their input *sequentially* from a pre-gathered [`TraceSet`] (random traces
//! copied back to back, see [`TraceSet::gather`]): the hardware prefetcher
//! streams it, and the cache misses that remain are the store's own. What this
//! input reading still costs is measured by [`input_only_ops`] and printed next to
//! the stores. Loops walk their input cyclically from a start offset, so two
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

/// Saves `ops` traces: the traces of `input` in order, cycling, from trace `start`.
#[inline(never)]
pub fn save_ops<S: TraceStore + ?Sized>(
    store: &S,
    input: &TraceSet,
    start: usize,
    ops: u64,
) -> SaveTally {
    let n = input.len();
    let mut j = start % n.max(1);
    let mut tally = SaveTally::default();
    for _ in 0..ops {
        tally.add(store.save(input.get(j)));
        j += 1;
        if j == n {
            j = 0;
        }
    }
    tally
}

/// Fetches `ops` ids, `ids[j]` for `j` cycling from `start`, with
/// [`TraceStore::fetch_slice`]: the fetch call alone, handle to slice, no frame
/// read (the "fetch" figure). Each slice's address and length are added to the
/// returned checksum so no lookup is optimised away; unknown ids add `usize::MAX`.
#[inline(never)]
pub fn fetch_slice_ops<S: TraceStore + ?Sized>(
    store: &S,
    ids: &[u32],
    start: usize,
    ops: u64,
) -> usize {
    let mut j = start % ids.len().max(1);
    let mut sum = 0usize;
    for _ in 0..ops {
        sum = match store.fetch_slice(ids[j]) {
            Some((addr, len)) => sum.wrapping_add(addr).wrapping_add(len),
            None => sum.wrapping_add(usize::MAX),
        };
        j += 1;
        if j == ids.len() {
            j = 0;
        }
    }
    sum
}

/// Fetches `ops` ids like [`fetch_slice_ops`], and reads every frame of each
/// trace ([`TraceStore::fetch_sum`]): the "fetch + read" figure. Unknown ids add
/// `usize::MAX`.
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

/// What a save loop costs without any store: reads the same input [`save_ops`]
/// reads and sums it. Printed next to the stores so the share of each figure that
/// is input reading, common to all stores, is visible.
#[inline(never)]
pub fn input_only_ops(input: &TraceSet, start: usize, ops: u64) -> usize {
    let n = input.len();
    let mut j = start % n.max(1);
    let mut sum = 0usize;
    for _ in 0..ops {
        sum = sum.wrapping_add(frame_sum(black_box(input.get(j))));
        j += 1;
        if j == n {
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

/// Saves the traces named by `stream` in order (a mixed hit/insert stream),
/// gathering them `chunk` at a time into a sequential buffer outside the timed
/// part (a 4M-save stream gathered whole would take most of a gigabyte).
/// Returns the time spent saving only.
pub fn save_stream<S: TraceStore + ?Sized>(
    store: &S,
    traces: &TraceSet,
    stream: &[u32],
    chunk: usize,
) -> (Duration, SaveTally) {
    let mut buf = TraceSet::new();
    let mut total = Duration::ZERO;
    let mut tally = SaveTally::default();
    for part in stream.chunks(chunk.max(1)) {
        buf.gather_into(traces, part);
        let t0 = Instant::now();
        let t = save_ops(store, &buf, 0, part.len() as u64);
        total += t0.elapsed();
        tally.id_sum = tally.id_sum.wrapping_add(t.id_sum);
        tally.refused += t.refused;
    }
    (total, tally)
}

/// Saves every trace and returns the ids, indexed like `traces`; on a refused
/// save, the index of the first trace refused.
pub fn populate<S: TraceStore + ?Sized>(store: &S, traces: &TraceSet) -> Result<Vec<u32>, usize> {
    (0..traces.len())
        .map(|i| store.save(traces.get(i)).ok_or(i))
        .collect()
}

/// Runs `work(thread_index)` on `threads` threads at once and returns the time
/// from the first one's start (all released by one barrier) to the last one's
/// end, which excludes thread start-up and tear-down.
pub fn run_concurrent<F>(threads: usize, work: F) -> Duration
where
    F: Fn(usize) + Sync,
{
    run_concurrent_sampled(threads, work).0
}

/// [`run_concurrent`], also returning the largest share of the timed window any
/// worker spent runnable but without a CPU (see [`run_delay`]; 0 where unknown).
///
/// The workers read the clock themselves, and the window is the earliest start to
/// the latest end. A coordinating thread reading the clock after releasing them
/// would need a CPU of its own, and with as many workers as CPUs it often gets one
/// only when a worker finishes: its start time comes late, the window looks too
/// short and the throughput too high (2-thread "scaling" of 3x to 2000x was seen on
/// the 2-vCPU machine). Here the coordinating thread only sleeps in `join`.
/// Each worker's run-queue delay is read before the barrier, so a worker that is
/// woken but waits for a CPU before starting counts as disturbed.
pub fn run_concurrent_sampled<F>(threads: usize, work: F) -> (Duration, f64)
where
    F: Fn(usize) + Sync,
{
    let start = Barrier::new(threads.max(1));
    let spans: Vec<(Instant, Instant, Duration)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (start, work) = (&start, &work);
                scope.spawn(move || {
                    let d0 = run_delay();
                    start.wait();
                    let t0 = Instant::now();
                    work(t);
                    let t1 = Instant::now();
                    let waited = d0
                        .zip(run_delay())
                        .map_or(Duration::ZERO, |(a, b)| b.saturating_sub(a));
                    (t0, t1, waited)
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    let elapsed = window(&spans);
    let waited = spans.iter().map(|s| s.2).max().unwrap_or(Duration::ZERO);
    (elapsed, share(waited, elapsed))
}

/// From the earliest start to the latest end of some `(start, end, _)` spans; zero
/// for none.
fn window<T>(spans: &[(Instant, Instant, T)]) -> Duration {
    let first = spans.iter().map(|s| s.0).min();
    let last = spans.iter().map(|s| s.1).max();
    first
        .zip(last)
        .map_or(Duration::ZERO, |(a, b)| b.saturating_duration_since(a))
}

/// Time this thread has spent runnable but waiting for a CPU, from Linux's
/// `/proc/thread-self/schedstat` (second field, ns); `None` where unavailable.
/// On a shared machine this is what tells a clean measurement from one that
/// another process's time slice spoiled.
pub fn run_delay() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().nth(1)?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn share(waited: Duration, elapsed: Duration) -> f64 {
    if elapsed.is_zero() {
        0.0
    } else {
        waited.as_secs_f64() / elapsed.as_secs_f64()
    }
}

/// A measurement disturbed by more than this share of run-queue waiting is set
/// aside when clean ones exist ([`clean_median`]).
pub const DISTURBED_SHARE: f64 = 0.02;

/// One timed measurement: ns per operation and the share of the timed window
/// spent waiting for a CPU (the worst thread's, for concurrent ones).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// Nanoseconds per operation.
    pub ns: f64,
    /// Share of the window spent runnable without a CPU, 0..=1.
    pub waited: f64,
}

impl Sample {
    /// Whether another process took this measurement's CPU for long.
    pub fn disturbed(&self) -> bool {
        self.waited > DISTURBED_SHARE
    }
}

/// Times `f` on this thread, as a [`Sample`] of `ops` operations, with its result.
pub fn sample<R>(ops: u64, f: impl FnOnce() -> R) -> (Sample, R) {
    let d0 = run_delay();
    let t0 = Instant::now();
    let r = f();
    let elapsed = t0.elapsed();
    let waited = d0
        .zip(run_delay())
        .map_or(Duration::ZERO, |(a, b)| b.saturating_sub(a));
    (
        Sample {
            ns: elapsed.as_nanos() as f64 / ops.max(1) as f64,
            waited: share(waited, elapsed),
        },
        r,
    )
}

/// Runs `work` on `threads` threads like [`run_concurrent`], as a [`Sample`] of
/// `ops` operations in all.
pub fn sample_concurrent<F>(threads: usize, ops: u64, work: F) -> Sample
where
    F: Fn(usize) + Sync,
{
    let (elapsed, waited) = run_concurrent_sampled(threads, work);
    Sample {
        ns: elapsed.as_nanos() as f64 / ops.max(1) as f64,
        waited,
    }
}

/// The median ns of the undisturbed samples (all samples if every one was
/// disturbed), and how many were disturbed.
pub fn clean_median(samples: &[Sample]) -> (f64, usize) {
    let disturbed = samples.iter().filter(|s| s.disturbed()).count();
    let mut ns: Vec<f64> = samples
        .iter()
        .filter(|s| !s.disturbed())
        .map(|s| s.ns)
        .collect();
    if ns.is_empty() {
        ns = samples.iter().map(|s| s.ns).collect();
    }
    (median(&mut ns), disturbed)
}

/// The scaling shown by paired per-run samples (one thread and all threads, run
/// `r` at index `r` of both): the median of the one-thread / multi-thread ns
/// ratios of the pairs in which neither sample was disturbed, or of all pairs if
/// none is clean; `None` without a usable pair. The two of a pair are measured
/// back to back, so load that comes and goes on a shared machine mostly cancels.
pub fn paired_ratio(one: &[Sample], multi: &[Sample]) -> Option<f64> {
    let pairs: Vec<(&Sample, &Sample)> =
        one.iter().zip(multi).filter(|(_, m)| m.ns > 0.0).collect();
    let clean: Vec<f64> = pairs
        .iter()
        .filter(|(o, m)| !o.disturbed() && !m.disturbed())
        .map(|(o, m)| o.ns / m.ns)
        .collect();
    let mut ratios = if clean.is_empty() {
        pairs.iter().map(|(o, m)| o.ns / m.ns).collect()
    } else {
        clean
    };
    if ratios.is_empty() {
        None
    } else {
        Some(median(&mut ratios))
    }
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
        let input = traces.gather(&order);
        let fa: Vec<u32> = order.iter().map(|&i| ids_a[i as usize]).collect();
        let fb: Vec<u32> = order.iter().map(|&i| ids_b[i as usize]).collect();
        let expect = input_only_ops(&input, 0, 2_000);
        assert_eq!(fetch_ops(&a, &fa, 0, 2_000), expect);
        assert_eq!(fetch_ops(&b, &fb, 0, 2_000), expect);
        // The slice loop sees the same lengths, and its checksum is exactly the
        // walk over `fetch_slice` it claims to be.
        for (s, ids) in [(&a as &dyn TraceStore, &fa), (&b, &fb)] {
            let lens: usize = ids
                .iter()
                .filter_map(|&id| s.fetch_slice(id))
                .map(|p| p.1)
                .sum();
            assert_eq!(lens, input.total_frames(), "{}", s.name());
        }
        let walked = |s: &dyn TraceStore, ids: &[u32], start: usize, ops: usize| {
            (0..ops).fold(0usize, |acc, k| {
                let id = ids[(start + k) % ids.len()];
                s.fetch_slice(id)
                    .map_or(acc.wrapping_add(usize::MAX), |(p, l)| {
                        acc.wrapping_add(p).wrapping_add(l)
                    })
            })
        };
        // Start past the end and run past it again: the walk must wrap. One bogus id.
        let mut with_bogus = fb.clone();
        with_bogus[7] = 0x00ff_fff0;
        assert_eq!(
            fetch_slice_ops(&b, &with_bogus, 2_000 + 1_990, 30),
            walked(&b, &with_bogus, 1_990, 30)
        );
        assert_eq!(
            fetch_slice_ops(&a, &fa, 5, 2_000),
            walked(&a, &fa, 5, 2_000)
        );
        // Hits return the same ids as the inserts did, and none is refused.
        let hits = save_ops(&a, &input, 0, 2_000);
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
    fn chunked_stream_saves_every_entry() {
        let traces = SizeSpec {
            traces: 300,
            ..SizeSpec::SMALL
        }
        .generate();
        let stream = crate::workload::hit_stream(traces.len(), 3_000, 5);
        let a = MutexHashMapStore::new();
        let (_, tally) = save_stream(&a, &traces, &stream, 128);
        // Ids are first-sighting order, which is trace index order in a hit stream.
        let expect: u64 = stream.iter().map(|&i| u64::from(i)).sum();
        assert_eq!(
            tally,
            SaveTally {
                id_sum: expect,
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
    fn concurrent_window_covers_every_workers_own_span() {
        // Each worker spins until its own clock says 20 ms have passed, on as many
        // threads as there are CPUs (the case where a coordinating thread timing
        // the window got a CPU only late and reported a shorter window).
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let spin = Duration::from_millis(20);
        let elapsed = run_concurrent(threads, |_| {
            let t0 = Instant::now();
            while t0.elapsed() < spin {
                std::hint::spin_loop();
            }
        });
        assert!(elapsed >= spin, "{elapsed:?}");
        // Earliest start to latest end, whichever threads they came from.
        let t = Instant::now();
        let ms = Duration::from_millis;
        let spans = [
            (t + ms(3), t + ms(10), ()),
            (t, t + ms(5), ()),
            (t + ms(1), t + ms(7), ()),
        ];
        assert_eq!(window(&spans), ms(10));
        assert_eq!(window::<()>(&[]), Duration::ZERO);
    }

    #[test]
    fn clean_median_sets_disturbed_samples_aside() {
        let s = |ns, waited| Sample { ns, waited };
        assert_eq!(
            clean_median(&[s(10.0, 0.0), s(50.0, 0.5), s(12.0, 0.01)]),
            (11.0, 1)
        );
        // All disturbed: nothing better to offer than all of them.
        assert_eq!(
            clean_median(&[s(10.0, 0.5), s(50.0, 0.5), s(12.0, 0.5)]),
            (12.0, 3)
        );
    }

    #[test]
    fn run_delay_is_readable_and_monotonic_here() {
        // Linux with schedstat: the figure exists and never goes backwards.
        if let Some(a) = run_delay() {
            std::thread::yield_now();
            assert!(run_delay().is_some_and(|b| b >= a));
        }
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
