//! Shared helpers: a seeded generator, trace builders, handle-space probes and the
//! stats relations every depot snapshot must satisfy.
//!
//! Nothing here knows how the depot is built; the checks restate its documentation.

use std::collections::{HashMap, HashSet};

use stackdepot::{Config, Handle, HandleLayout, StackDepot, Stats};

/// A small seeded generator (SplitMix64), so runs are reproducible without a
/// dev-dependency the crate does not have.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next 32 random bits.
    pub(crate) fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A value in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Fisher-Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// A trace of `len` frames that no other `(id, len)` pair produces: the first
/// frame carries `id`, the rest look like return addresses.
pub(crate) fn distinct_trace(id: u64, len: usize) -> Vec<usize> {
    (0..len)
        .map(|k| {
            if k == 0 {
                0x5500_0000_0000 + id as usize
            } else {
                0x7f00_0000_0000 + (id as usize).wrapping_mul(0x1000) + k * 0x10
            }
        })
        .collect()
}

/// A depot with [`Config::tiny`], which the tests rely on being valid.
pub(crate) fn tiny_depot() -> StackDepot {
    StackDepot::with_config(Config::tiny()).expect("Config::tiny() must be a valid config")
}

/// Handle values around every field boundary of `layout`, for the first
/// `slabs_to_cover` slab indices and the last addressable ones. Never 0.
pub(crate) fn boundary_raws(layout: HandleLayout, slabs_to_cover: usize) -> Vec<u32> {
    let body = layout.body_mask();
    let caller = layout.caller_mask();
    let offset = layout.offset_mask();
    let shift = layout.slab_shift();
    let mut raws = vec![
        1,
        2,
        3,
        offset - 1,
        offset,
        offset + 1,
        body - 1,
        body,
        body.wrapping_add(1),
        caller,
        caller | 1,
        caller | offset,
        u32::MAX - 1,
        u32::MAX,
        1 << 31,
        (1 << 31) - 1,
        (1 << 30) - 1,
    ];
    let max = layout.max_slabs();
    let mut slabs: Vec<usize> = (0..=slabs_to_cover.min(max)).collect();
    slabs.extend(max.saturating_sub(2)..=max);
    for s in slabs {
        let base = (s as u64) << shift;
        for o in [0u64, 1, 2, 3, offset as u64 - 1, offset as u64] {
            let raw = (base | o) as u32;
            raws.push(raw);
            raws.push(raw.wrapping_sub(1));
            raws.push(raw | caller);
        }
    }
    raws.retain(|&r| r != 0);
    raws
}

/// Fetches `raw` and checks the documented contract for a handle the caller
/// cannot vouch for: `None`, or exactly one of the traces this depot saved.
/// Returns whether it named a trace.
pub(crate) fn check_unvouched_fetch(
    depot: &StackDepot,
    raw: u32,
    saved: &HashSet<Vec<usize>>,
) -> bool {
    let Some(handle) = Handle::from_raw(raw) else {
        return false;
    };
    match depot.fetch(handle) {
        None => false,
        Some(frames) => {
            assert!(
                saved.contains(frames),
                "fetch({handle:?}) returned {} frames that this depot never saved: {:x?}",
                frames.len(),
                &frames[..frames.len().min(8)]
            );
            true
        }
    }
}

/// The relations between byte figures and counters that every snapshot of a
/// depot built with `config` satisfies, whatever was saved.
pub(crate) fn assert_stats_relations(stats: &Stats, config: &Config) {
    let slab = config.slab_size as u64;
    assert!(
        stats.bytes_used <= stats.bytes_mapped,
        "bytes_used {} > bytes_mapped {}\n{stats}",
        stats.bytes_used,
        stats.bytes_mapped
    );
    assert!(
        stats.bytes_used + stats.bytes_in_reserve <= stats.bytes_mapped,
        "bytes_used {} + bytes_in_reserve {} > bytes_mapped {} (used and reserve are disjoint parts of the mapping)\n{stats}",
        stats.bytes_used,
        stats.bytes_in_reserve,
        stats.bytes_mapped
    );
    assert!(
        stats.bytes_index <= stats.bytes_used,
        "bytes_index {} is documented as included in bytes_used {}\n{stats}",
        stats.bytes_index,
        stats.bytes_used
    );
    assert!(
        stats.frames * 8 <= stats.bytes_used,
        "{} stored frames need at least {} bytes but bytes_used is {}\n{stats}",
        stats.frames,
        stats.frames * 8,
        stats.bytes_used
    );
    assert!(
        stats.reserve_slabs * slab <= stats.bytes_in_reserve,
        "{} reserve slabs of {slab} bytes but bytes_in_reserve is {}\n{stats}",
        stats.reserve_slabs,
        stats.bytes_in_reserve
    );
    assert!(
        (stats.slabs + stats.reserve_slabs) * slab + stats.bytes_index <= stats.bytes_mapped,
        "{} slabs + {} reserve slabs of {slab} bytes + {} index bytes exceed bytes_mapped {}\n{stats}",
        stats.slabs,
        stats.reserve_slabs,
        stats.bytes_index,
        stats.bytes_mapped
    );
    // Populated ahead: the configured reserve plus at most one growth step (steps
    // double up to 2 MiB, rounded to whole 2 MiB chunks) — or, with the background
    // populator and no cap, its lookahead of up to four chunks and a piece.
    let chunk = (2usize << 20).div_ceil(config.slab_size);
    let ahead_chunks = if config.background_population && config.memory_cap.is_none() {
        5
    } else {
        2
    };
    assert!(
        stats.reserve_slabs <= (config.reserve_slabs + ahead_chunks * chunk) as u64,
        "{} reserve slabs held, config asks for {} (+ {ahead_chunks} chunks)\n{stats}",
        stats.reserve_slabs,
        config.reserve_slabs
    );
    assert!(
        stats.traces == 0 || stats.slabs >= 1,
        "{} traces stored in 0 slabs\n{stats}",
        stats.traces
    );
    assert!(
        stats.frames >= stats.traces,
        "{} traces but only {} frames (every trace has at least one)\n{stats}",
        stats.traces,
        stats.frames
    );
    assert!(
        stats.frames <= stats.traces * config.max_frames as u64,
        "{} frames in {} traces of at most {} frames\n{stats}",
        stats.frames,
        stats.traces,
        config.max_frames
    );
    if let Some(cap) = config.memory_cap {
        assert!(
            stats.bytes_mapped <= cap as u64,
            "bytes_mapped {} exceeds memory_cap {cap}\n{stats}",
            stats.bytes_mapped
        );
    }
}

/// A record of what a single-threaded test saved: trace (after truncation) to
/// handle, plus the reverse map to catch two traces sharing a handle.
#[derive(Default)]
pub(crate) struct SavedTraces {
    /// Trace to the handle it was given.
    pub(crate) by_trace: HashMap<Vec<usize>, Handle>,
    /// Handle to its trace.
    pub(crate) by_handle: HashMap<Handle, Vec<usize>>,
}

impl SavedTraces {
    /// Records that `trace` was answered with `handle`, asserting exact dedup:
    /// the same trace always gets the same handle and different traces never share one.
    pub(crate) fn record(&mut self, trace: &[usize], handle: Handle) {
        if let Some(&earlier) = self.by_trace.get(trace) {
            assert_eq!(
                earlier, handle,
                "the same trace {trace:x?} got two handles: {earlier:?} then {handle:?}"
            );
            return;
        }
        if let Some(other) = self.by_handle.get(&handle) {
            panic!("different traces share {handle:?}: {other:x?} and {trace:x?}");
        }
        self.by_trace.insert(trace.to_vec(), handle);
        self.by_handle.insert(handle, trace.to_vec());
    }

    /// Saves `refused` (a trace a no-wait save was refused) with `Alloc::NoWait`
    /// now that the reserve was refilled, which must succeed, and records it.
    pub(crate) fn save_refused_after_refill(
        &mut self,
        depot: &StackDepot,
        refused: &[usize],
        round: usize,
    ) {
        let h = depot
            .save_with(refused, stackdepot::Alloc::NoWait)
            .unwrap_or_else(|e| panic!("round {round}: no-wait save after refill: {e:?}"));
        self.record(refused, h);
    }

    /// The set of stored traces.
    pub(crate) fn trace_set(&self) -> HashSet<Vec<usize>> {
        self.by_trace.keys().cloned().collect()
    }

    /// Total frames of the stored traces.
    pub(crate) fn frames(&self) -> u64 {
        self.by_trace.keys().map(|t| t.len() as u64).sum()
    }

    /// Asserts every recorded handle fetches exactly its trace.
    pub(crate) fn assert_all_fetch(&self, depot: &StackDepot) {
        for (trace, &handle) in &self.by_trace {
            assert_eq!(
                depot.fetch(handle),
                Some(trace.as_slice()),
                "{handle:?} does not fetch the trace it was returned for"
            );
        }
    }
}
