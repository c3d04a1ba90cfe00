//! One store's figures on one size.

use serde::Serialize;

use crate::measure::{CpuSample, Sample, clean_cpu_median, clean_median, median, paired_ratio};
use crate::stores::{AnyStore, MutexHashMapStore};

/// Medians for one store on one size, and ratios against the reference store
/// (the hand-written `mutex-hashmap`) measured in the same run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StoreFigures {
    /// Store name.
    pub store: String,
    /// Store configuration worth printing (e.g. the kernel array's bits).
    pub detail: String,
    /// ns per save of an already stored trace (random order), one thread.
    pub hit_ns: f64,
    /// ns per save of a new trace (filling a fresh store), one thread: wall time on
    /// the saving thread, what a caller waits.
    pub insert_ns: f64,
    /// CPU ns per save of a new trace in the same windows as `insert_ns`, summed over
    /// every thread of the process: the saving thread's and any background thread's
    /// (the depot's populator, which backs slabs on another core), including what a
    /// background thread did for the window after it closed. `None` where the
    /// process's CPU clock is unavailable.
    pub insert_cpu_ns: Option<f64>,
    /// Insert runs whose CPU figure was taken without the process's other threads
    /// idle at both ends (see [`CpuSample::settled`]); set aside when clean ones exist.
    pub insert_cpu_unsettled_runs: usize,
    /// ns per fetch of a random id, one thread: the fetch call alone, handle to
    /// slice, no frame read ([`TraceStore::fetch_slice`](crate::TraceStore::fetch_slice)).
    /// The fetch goals are checked on this figure.
    pub fetch_ns: f64,
    /// ns per fetch of a random id followed by reading every frame, one thread
    /// ([`TraceStore::fetch_sum`](crate::TraceStore::fetch_sum)): "fetch + read",
    /// reported beside `fetch_ns` with no goal of its own.
    pub fetch_read_ns: f64,
    /// ns per save over the size's mixed stream into a fresh store, if measured.
    pub stream_ns: Option<f64>,
    /// `hit_ns` / the reference's.
    pub hit_ratio: f64,
    /// `insert_ns` / the reference's.
    pub insert_ratio: f64,
    /// `insert_cpu_ns` / the reference's.
    pub insert_cpu_ratio: Option<f64>,
    /// `fetch_ns` / the reference's.
    pub fetch_ratio: f64,
    /// `fetch_read_ns` / the reference's.
    pub fetch_read_ratio: f64,
    /// `stream_ns` / the reference's.
    pub stream_ratio: Option<f64>,
    /// Threads in the concurrent figures.
    pub threads: usize,
    /// Million hit saves per second, one thread.
    pub hit_mops_1t: f64,
    /// Million hit saves per second, all threads together.
    pub hit_mops_mt: f64,
    /// Multi-thread over one-thread hit throughput: the median over runs of each
    /// run's ratio (the two are measured back to back, so load that comes and goes
    /// on a shared machine mostly cancels), or the ratio of the medians when the
    /// per-run ratios are not available.
    pub hit_scaling: f64,
    /// Million fetches per second, one thread.
    pub fetch_mops_1t: f64,
    /// Million fetches per second, all threads together.
    pub fetch_mops_mt: f64,
    /// Multi-thread over one-thread fetch throughput, computed like `hit_scaling`.
    pub fetch_scaling: f64,
    /// Million fetch + read operations per second, one thread.
    pub fetch_read_mops_1t: f64,
    /// Million fetch + read operations per second, all threads together.
    pub fetch_read_mops_mt: f64,
    /// Multi-thread over one-thread fetch + read throughput, computed like `hit_scaling`.
    pub fetch_read_scaling: f64,
    /// Bytes the store's contents cost, index included ([`TraceStore::bytes_used`](crate::TraceStore::bytes_used)).
    pub bytes_used: u64,
    /// `bytes_used` per stored frame.
    pub bytes_per_frame: f64,
    /// Depot: all bytes mapped (reserve and spare tables included).
    /// Kernel array: its preallocated size. Baselines: none.
    pub bytes_mapped: Option<u64>,
    /// Runs measured.
    pub runs: usize,
    /// Runs in which a hit, fetch or fetch + read measurement (one thread or several) spent more
    /// than [`DISTURBED_SHARE`](crate::measure::DISTURBED_SHARE) of its time
    /// waiting for a CPU; their samples are set aside when clean ones exist.
    pub disturbed_runs: usize,
}

impl StoreFigures {
    /// The detail column of the report tables: the store's configuration and how many
    /// of its runs another process disturbed.
    pub fn detail_note(&self) -> String {
        let mut parts = Vec::new();
        if !self.detail.is_empty() {
            parts.push(self.detail.clone());
        }
        if self.disturbed_runs > 0 {
            parts.push(format!(
                "{}/{} runs disturbed",
                self.disturbed_runs, self.runs
            ));
        }
        parts.join(", ")
    }

    /// Figures with the memory side filled from `store` holding `frames` frames.
    pub fn new(store: &AnyStore, frames: usize, threads: usize) -> StoreFigures {
        let s = store.as_dyn();
        let bytes_used = s.bytes_used() as u64;
        let bytes_mapped = match store {
            AnyStore::Depot(d) | AnyStore::DepotHugePages(d) => Some(d.stats().bytes_mapped),
            AnyStore::KernelFixed(f) => Some(f.bytes_reserved() as u64),
            _ => None,
        };
        StoreFigures {
            store: s.name().to_string(),
            detail: s.detail(),
            threads,
            bytes_used,
            bytes_per_frame: if frames == 0 {
                0.0
            } else {
                bytes_used as f64 / frames as f64
            },
            bytes_mapped,
            ..StoreFigures::default()
        }
    }

    /// Sets the one-thread medians (ns per operation); `fetch` is the fetch call
    /// alone (handle to slice).
    pub fn with_times(
        mut self,
        hit: f64,
        insert: f64,
        fetch: f64,
        stream: Option<f64>,
    ) -> StoreFigures {
        self.hit_ns = hit;
        self.insert_ns = insert;
        self.fetch_ns = fetch;
        self.stream_ns = stream;
        self.hit_mops_1t = mops(hit);
        self.fetch_mops_1t = mops(fetch);
        self
    }

    /// Sets the process CPU time per insert (all threads) and how many runs' CPU
    /// figure was unsettled.
    pub fn with_insert_cpu(mut self, ns: Option<f64>, unsettled_runs: usize) -> StoreFigures {
        self.insert_cpu_ns = ns;
        self.insert_cpu_unsettled_runs = unsettled_runs;
        self
    }

    /// Sets the concurrent medians (wall ns per operation, all threads' operations counted).
    pub fn with_scaling(mut self, hit_mt_ns: f64, fetch_mt_ns: f64) -> StoreFigures {
        self.hit_mops_mt = mops(hit_mt_ns);
        self.fetch_mops_mt = mops(fetch_mt_ns);
        self.hit_scaling = self.hit_mops_mt / self.hit_mops_1t;
        self.fetch_scaling = self.fetch_mops_mt / self.fetch_mops_1t;
        self
    }

    /// Sets the fetch + read medians: one thread and all threads (wall ns per
    /// operation, all threads' operations counted).
    pub fn with_fetch_read(mut self, ns: f64, mt_ns: f64) -> StoreFigures {
        self.fetch_read_ns = ns;
        self.fetch_read_mops_1t = mops(ns);
        self.fetch_read_mops_mt = mops(mt_ns);
        self.fetch_read_scaling = self.fetch_read_mops_mt / self.fetch_read_mops_1t;
        self
    }

    /// Sets the scaling from paired per-run samples (one thread and all threads,
    /// run `r` at index `r` of both): the median of the ratios of the pairs in
    /// which neither was disturbed, or of all pairs if none is clean.
    pub fn with_paired_scaling(
        mut self,
        hit: (&[Sample], &[Sample]),
        fetch: (&[Sample], &[Sample]),
        fetch_read: (&[Sample], &[Sample]),
    ) -> StoreFigures {
        if let Some(r) = paired_ratio(hit.0, hit.1) {
            self.hit_scaling = r;
        }
        if let Some(r) = paired_ratio(fetch.0, fetch.1) {
            self.fetch_scaling = r;
        }
        if let Some(r) = paired_ratio(fetch_read.0, fetch_read.1) {
            self.fetch_read_scaling = r;
        }
        self
    }
}

/// Raw per-run samples of one store.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunSamples {
    pub(crate) hit: Vec<Sample>,
    /// The fetch call alone (handle to slice).
    pub(crate) fetch: Vec<Sample>,
    /// Fetch + read every frame.
    pub(crate) fetch_read: Vec<Sample>,
    pub(crate) insert: Vec<Sample>,
    /// Process CPU time (all threads) over each `insert` window, same index.
    pub(crate) insert_cpu: Vec<Option<CpuSample>>,
    /// The mixed stream (empty when not measured).
    pub(crate) stream: Vec<Sample>,
    /// Wall ns per operation over all threads.
    pub(crate) hit_mt: Vec<Sample>,
    pub(crate) fetch_mt: Vec<Sample>,
    pub(crate) fetch_read_mt: Vec<Sample>,
}

impl RunSamples {
    /// Figures for `store` holding `frames` frames, from these samples.
    pub(crate) fn figures(&self, store: &AnyStore, frames: usize, threads: usize) -> StoreFigures {
        let m = |s: &[Sample]| clean_median(s).0;
        // Save new: every run. A depot saver made to wait for a CPU by the depot's own
        // populator thread is the depot's cost; setting such runs aside as
        // "disturbed" would flatter it.
        let all = |s: &[Sample]| median(&mut s.iter().map(|x| x.ns).collect::<Vec<_>>());
        let stream = if self.stream.is_empty() {
            None
        } else {
            Some(m(&self.stream))
        };
        let runs = self.hit.len();
        let disturbed_runs = (0..runs)
            .filter(|&r| {
                [
                    &self.hit,
                    &self.fetch,
                    &self.fetch_read,
                    &self.hit_mt,
                    &self.fetch_mt,
                    &self.fetch_read_mt,
                ]
                .iter()
                .any(|v| v.get(r).is_some_and(Sample::disturbed))
            })
            .count();
        let mut f = StoreFigures::new(store, frames, threads)
            .with_times(m(&self.hit), all(&self.insert), m(&self.fetch), stream)
            .with_scaling(m(&self.hit_mt), m(&self.fetch_mt))
            .with_fetch_read(m(&self.fetch_read), m(&self.fetch_read_mt))
            .with_insert_cpu(
                // Like the wall time, over every run (each treated as undisturbed);
                // unsettled CPU samples are still set aside.
                clean_cpu_median(
                    &self
                        .insert
                        .iter()
                        .map(|x| Sample { waited: 0.0, ..*x })
                        .collect::<Vec<_>>(),
                    &self.insert_cpu,
                ),
                self.insert_cpu
                    .iter()
                    .filter(|c| c.is_some_and(|c| !c.settled))
                    .count(),
            )
            .with_paired_scaling(
                (&self.hit, &self.hit_mt),
                (&self.fetch, &self.fetch_mt),
                (&self.fetch_read, &self.fetch_read_mt),
            );
        f.runs = runs;
        f.disturbed_runs = disturbed_runs;
        f
    }
}

/// Million operations per second from ns per operation; 0 for a time that is not
/// positive (an infinite one gives 0 too).
pub(crate) fn mops(ns_per_op: f64) -> f64 {
    if ns_per_op > 0.0 {
        1e3 / ns_per_op
    } else {
        0.0
    }
}

/// Fills every entry's ratios against the reference store's entry (if present).
pub fn fill_ratios(stores: &mut [StoreFigures]) {
    let Some(reference) = stores
        .iter()
        .find(|f| f.store == MutexHashMapStore::NAME)
        .cloned()
    else {
        return;
    };
    for f in stores {
        f.hit_ratio = f.hit_ns / reference.hit_ns;
        f.insert_ratio = f.insert_ns / reference.insert_ns;
        f.insert_cpu_ratio = f
            .insert_cpu_ns
            .zip(reference.insert_cpu_ns)
            .map(|(a, b)| a / b);
        f.fetch_ratio = f.fetch_ns / reference.fetch_ns;
        f.fetch_read_ratio = f.fetch_read_ns / reference.fetch_read_ns;
        f.stream_ratio = f.stream_ns.zip(reference.stream_ns).map(|(a, b)| a / b);
    }
}
