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

/// CPU time the whole process has used so far: all its threads together, those
/// that have exited included (`CLOCK_PROCESS_CPUTIME_ID`, to the ns); `None` where
/// unavailable.
///
/// Linux accounts the calling thread's time up to the call, and a sleeping
/// thread's exactly, but a thread running on another CPU only up to its last
/// scheduler tick (4 ms at HZ=250). For an exact figure, read it while the other
/// threads sleep ([`settle_other_threads`]).
pub fn process_cpu_time() -> Option<Duration> {
    #[cfg(unix)]
    {
        cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// CPU time the calling thread has used so far (`CLOCK_THREAD_CPUTIME_ID`, exact);
/// `None` where unavailable.
pub fn thread_cpu_time() -> Option<Duration> {
    #[cfg(unix)]
    {
        cpu_clock(libc::CLOCK_THREAD_CPUTIME_ID)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(unix)]
fn cpu_clock(clock: libc::clockid_t) -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live, writable `timespec` for the whole call, which writes
    // only it; an unknown clock is reported by the return value, not UB.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return None;
    }
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u64::try_from(ts.tv_nsec).ok()?;
    Duration::from_secs(secs).checked_add(Duration::from_nanos(nanos))
}

/// Whether a thread's `/proc/.../stat` line says it is busy: running or runnable
/// (`R`) or in uninterruptible sleep (`D`, e.g. waiting for the mm lock in a page
/// fault). `None` if the line has no state. The state follows the command name,
/// which is in parentheses and may itself contain `)` and spaces.
fn stat_says_busy(stat: &str) -> Option<bool> {
    let (_, rest) = stat.rsplit_once(')')?;
    let state = rest.trim_start().chars().next()?;
    Some(matches!(state, 'R' | 'D'))
}

/// Whether every thread of this process other than the caller is asleep, from
/// `/proc/self/task/*/stat`; `None` where unavailable (not Linux). A thread that
/// exits during the scan counts as idle.
pub fn other_threads_idle() -> Option<bool> {
    // "<pid>/task/<tid>": this thread's own entry, skipped.
    let me = std::fs::read_link("/proc/thread-self").ok()?;
    let me = me.file_name()?;
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(entry) = entry else { continue };
        if entry.file_name() == me {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if stat_says_busy(&stat)? {
            return Some(false);
        }
    }
    Some(true)
}

/// How long [`sample_with_cpu`] waits for the process's other threads to go idle,
/// before and after its window.
pub const SETTLE_LIMIT: Duration = Duration::from_millis(250);

/// Sleeps until [`other_threads_idle`], at most `limit`; whether they are idle
/// (`false` at once where that cannot be read).
///
/// Before a timed window this keeps work left over from earlier measurements (a
/// dropped store's unmapping on a background thread) out of it; after one, it lets
/// a background thread finish the work the window asked of it (the depot's
/// populator backing slabs ahead of the saver) so that its CPU time is counted,
/// and exactly: a sleeping thread's time is fully accounted.
pub fn settle_other_threads(limit: Duration) -> bool {
    let t0 = Instant::now();
    loop {
        match other_threads_idle() {
            Some(true) => return true,
            None => return false,
            Some(false) if t0.elapsed() >= limit => return false,
            // A scan costs tens of µs; polling every millisecond leaves the CPUs to
            // the threads being waited for.
            Some(false) => std::thread::sleep(Duration::from_millis(1)),
        }
    }
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

/// The CPU time of the whole process (every thread) per operation of a timed
/// window, next to the wall-time [`Sample`] of the thread that ran it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuSample {
    /// CPU nanoseconds per operation, all threads of the process together.
    pub ns: f64,
    /// Whether the process's other threads were idle before the window and went
    /// idle after it within [`SETTLE_LIMIT`]. If not, the figure may include
    /// unrelated work, or miss work a thread was still doing.
    pub settled: bool,
}

/// [`sample`], plus the process's CPU time (all threads, [`process_cpu_time`])
/// over the same window as a [`CpuSample`] of `ops` operations (`None` where the
/// clock is unavailable).
///
/// Waits for the other threads to be idle first ([`settle_other_threads`]). After
/// `f` returns, the wall time is taken, then the process's CPU clock is read only
/// once the other threads are idle again, so work `f` left to a background thread
/// is counted; the time this thread spends waiting for that is subtracted.
pub fn sample_with_cpu<R>(ops: u64, f: impl FnOnce() -> R) -> (Sample, Option<CpuSample>, R) {
    let settled_before = settle_other_threads(SETTLE_LIMIT);
    let d0 = run_delay();
    let p0 = process_cpu_time();
    let t0 = Instant::now();
    let r = f();
    let elapsed = t0.elapsed();
    let own0 = thread_cpu_time();
    let waited = d0
        .zip(run_delay())
        .map_or(Duration::ZERO, |(a, b)| b.saturating_sub(a));
    let settled_after = settle_other_threads(SETTLE_LIMIT);
    let own1 = thread_cpu_time();
    let p1 = process_cpu_time();
    let ops = ops.max(1) as f64;
    let cpu = match (p0, p1, own0, own1) {
        (Some(p0), Some(p1), Some(own0), Some(own1)) => {
            let waiting = own1.saturating_sub(own0);
            let total = p1.saturating_sub(p0).saturating_sub(waiting);
            Some(CpuSample {
                ns: total.as_nanos() as f64 / ops,
                settled: settled_before && settled_after,
            })
        }
        _ => None,
    };
    let wall = Sample {
        ns: elapsed.as_nanos() as f64 / ops,
        waited: share(waited, elapsed),
    };
    (wall, cpu, r)
}

/// The median CPU ns of the [`CpuSample`]s whose runs are clean: the paired
/// wall-time sample (same index) undisturbed and the CPU sample settled; of all
/// of them if none is clean. `None` without any CPU sample.
pub fn clean_cpu_median(wall: &[Sample], cpu: &[Option<CpuSample>]) -> Option<f64> {
    let pairs: Vec<(&Sample, CpuSample)> = wall
        .iter()
        .zip(cpu)
        .filter_map(|(w, c)| c.map(|c| (w, c)))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let mut clean: Vec<f64> = pairs
        .iter()
        .filter(|(w, c)| !w.disturbed() && c.settled)
        .map(|(_, c)| c.ns)
        .collect();
    if clean.is_empty() {
        clean = pairs.iter().map(|(_, c)| c.ns).collect();
    }
    Some(median(&mut clean))
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

    /// Spins on this thread until it has used `cpu` of CPU time; what it used.
    fn spin_cpu(cpu: Duration) -> Duration {
        let Some(t0) = thread_cpu_time() else {
            return Duration::ZERO;
        };
        loop {
            let used = thread_cpu_time().map_or(cpu, |t| t.saturating_sub(t0));
            if used >= cpu {
                return used;
            }
            std::hint::spin_loop();
        }
    }

    #[test]
    fn process_cpu_time_counts_a_thread_that_has_exited() {
        let Some(p0) = process_cpu_time() else {
            return; // no CPU clock on this platform
        };
        // The spinner's own clock says how much it used; it has exited (joined, its
        // /proc/self/task entry gone) before the process clock is read again.
        let used = std::thread::spawn(|| spin_cpu(Duration::from_millis(20)))
            .join()
            .unwrap();
        let p1 = process_cpu_time().unwrap();
        assert!(used >= Duration::from_millis(20), "{used:?}");
        assert!(p1 >= p0 + used, "{p0:?} -> {p1:?}, thread used {used:?}");
        // Monotonic, and the calling thread's own time is part of it.
        let own = thread_cpu_time().unwrap();
        let p2 = process_cpu_time().unwrap();
        assert!(p2 >= p1 && p2 >= own, "{p1:?} {p2:?} {own:?}");
    }

    #[test]
    fn thread_states_are_read_after_the_command_name() {
        assert_eq!(
            stat_says_busy("42 (stackdepot-popu) S 1 42 42 0"),
            Some(false)
        );
        assert_eq!(stat_says_busy("42 (a) b) R 1 42"), Some(true));
        assert_eq!(stat_says_busy("42 (x (y)) D 1"), Some(true));
        assert_eq!(stat_says_busy("42 (idle) I 2"), Some(false));
        assert_eq!(stat_says_busy("no state here"), None);
        assert_eq!(stat_says_busy("42 (x)"), None);
    }

    #[test]
    fn a_spinning_thread_is_not_idle() {
        use std::sync::atomic::{AtomicBool, Ordering};
        if other_threads_idle().is_none() {
            return; // no /proc
        }
        let (started, stop) = (AtomicBool::new(false), AtomicBool::new(false));
        std::thread::scope(|scope| {
            scope.spawn(|| {
                started.store(true, Ordering::Release);
                while !stop.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
            });
            while !started.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            // Spinning: running or runnable, whatever the other tests are doing.
            let idle = other_threads_idle();
            let settled = settle_other_threads(Duration::from_millis(5));
            stop.store(true, Ordering::Release);
            assert_eq!(idle, Some(false));
            assert!(!settled);
        });
    }

    #[test]
    fn cpu_sample_counts_work_left_to_a_background_thread() {
        use std::sync::mpsc;
        if process_cpu_time().is_none() {
            return;
        }
        let (jobs, job_rx) = mpsc::channel::<Duration>();
        let (done_tx, done) = mpsc::channel::<Duration>();
        let worker = std::thread::spawn(move || {
            // Sleeps in `recv` between jobs, like the depot's populator in `park`.
            while let Ok(cpu) = job_rx.recv() {
                if done_tx.send(spin_cpu(cpu)).is_err() {
                    return;
                }
            }
        });
        // The window only hands the work over; the worker does it after the window.
        let (wall, cpu, ()) = sample_with_cpu(1_000, || {
            jobs.send(Duration::from_millis(20)).unwrap();
        });
        let used = done.recv().unwrap();
        drop(jobs);
        worker.join().unwrap();
        let cpu = cpu.expect("the CPU clock was read");
        assert!(wall.ns >= 0.0 && cpu.ns > 0.0);
        // Settled means the worker was asleep again when the clock was read, which it
        // only is once it has done the job: all of it is counted (ns per op x ops).
        // Unsettled (other tests kept a CPU busy past SETTLE_LIMIT) proves nothing.
        if cpu.settled {
            let total = cpu.ns * 1_000.0;
            assert!(
                total >= used.as_nanos() as f64,
                "{total} ns counted, the worker used {used:?}"
            );
        }
    }

    #[test]
    fn clean_cpu_median_sets_disturbed_and_unsettled_runs_aside() {
        let w = |waited| Sample { ns: 1.0, waited };
        let c = |ns, settled| Some(CpuSample { ns, settled });
        assert_eq!(clean_cpu_median(&[], &[]), None);
        assert_eq!(clean_cpu_median(&[w(0.0)], &[None]), None);
        // Run 1's wall sample was disturbed, run 2 unsettled, run 3 unreadable.
        assert_eq!(
            clean_cpu_median(
                &[w(0.0), w(0.5), w(0.0), w(0.0), w(0.0)],
                &[
                    c(10.0, true),
                    c(99.0, true),
                    c(98.0, false),
                    None,
                    c(14.0, true)
                ]
            ),
            Some(12.0)
        );
        // None clean: all of them.
        assert_eq!(
            clean_cpu_median(&[w(0.5), w(0.0)], &[c(10.0, true), c(20.0, false)]),
            Some(15.0)
        );
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
