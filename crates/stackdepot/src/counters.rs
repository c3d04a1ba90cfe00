//! Per-thread statistics counters.
//!
//! A save that hits must write nothing shared (issue: "except, at most, statistics
//! counters that are per-thread or sharded"). Each thread is given its own shard,
//! round-robin, on its first save (a const-initialised thread local: no allocation,
//! no destructor), and shards are cache-line aligned so two threads never share a line
//! unless there are more threads than shards.

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Number of counter shards.
const SHARDS: usize = 32;

/// What a save ended as; each save bumps exactly one of these, except a save that
/// stored a new trace, which its index shard counts (under its lock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(crate) enum Outcome {
    Hit,
    LostRace,
    Empty,
    NoReserve,
    CapReached,
    MapFailed,
    Contended,
    Exhausted,
}

const OUTCOMES: usize = Outcome::Exhausted as usize + 1;

/// Extra tallies that accompany an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(crate) enum Tally {
    Truncated,
    WastedBytes,
}

const TALLIES: usize = Tally::WastedBytes as usize + 1;

#[repr(align(128))]
struct Shard {
    outcomes: [AtomicU64; OUTCOMES],
    tallies: [AtomicU64; TALLIES],
}

pub(crate) struct Counters {
    shards: Box<[Shard]>,
}

static NEXT_THREAD_SHARD: AtomicUsize = AtomicUsize::new(0);

std::thread_local! {
    static THREAD_SHARD: core::cell::Cell<usize> = const { core::cell::Cell::new(usize::MAX) };
}

#[inline]
fn thread_shard() -> usize {
    // `try_with`: during thread teardown the slot may be gone; fall back to shard 0.
    THREAD_SHARD
        .try_with(|s| {
            let mut v = s.get();
            if v == usize::MAX {
                v = NEXT_THREAD_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
                s.set(v);
            }
            v
        })
        .unwrap_or(0)
}

impl Counters {
    pub(crate) fn new() -> Counters {
        Counters {
            shards: (0..SHARDS)
                .map(|_| Shard {
                    outcomes: Default::default(),
                    tallies: Default::default(),
                })
                .collect(),
        }
    }

    #[inline]
    pub(crate) fn outcome(&self, o: Outcome) {
        self.shards[thread_shard()].outcomes[o as usize].fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn tally(&self, t: Tally, n: u64) {
        self.shards[thread_shard()].tallies[t as usize].fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn sum_outcome(&self, o: Outcome) -> u64 {
        self.shards
            .iter()
            .map(|s| s.outcomes[o as usize].load(Ordering::Relaxed))
            .sum()
    }

    /// Every outcome of every shard: the saves that did not store a new trace.
    pub(crate) fn sum_all_outcomes(&self) -> u64 {
        self.shards
            .iter()
            .flat_map(|s| s.outcomes.iter())
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    pub(crate) fn sum_tally(&self, t: Tally) -> u64 {
        self.shards
            .iter()
            .map(|s| s.tallies[t as usize].load(Ordering::Relaxed))
            .sum()
    }
}
