//! Where the validator keeps the stack traces it must be able to print later: the trace of each
//! dependency's two acquisitions and each class's first use.
//!
//! One internal trait, two backends:
//! - [`DepotStore`]: the growable `stackdepot`. Saves happen under the validator's graph lock,
//!   so they use `Alloc::NoWait` (never map memory, never wait); the reserve is refilled after
//!   the graph lock is released. A failed save is not fatal: the dependency is recorded without
//!   a trace and reports print `<trace unavailable>`.
//! - [`FixedStore`]: lockdep's fixed array ([`FixedTraceStore`]). A failed save means the array is
//!   full, and, as in lockdep, the validator turns itself off.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use stackdepot::{Alloc, Handle, StackDepot};

use crate::ValidatorStats;
use crate::fixed_store::FixedTraceStore;

/// A stored trace as the graph references it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TraceRef {
    /// The event came without a trace (`Trace::None` or empty frames).
    None,
    /// `Trace::Capture`, but the acquisition hit the chain cache, so nothing was captured.
    NotCaptured,
    /// The store could not save it.
    Unavailable,
    /// Saved; `captured` says the frames are real return addresses worth symbolising.
    Stored { id: u32, captured: bool },
}

/// What a save produced.
pub(crate) enum SaveOutcome {
    Saved(u32),
    /// The store could not save this trace; later saves may succeed.
    Unavailable,
    /// The store is full for good (Fixed): validation must stop.
    Overflow,
}

/// The storage backend. Called only under the graph lock.
pub(crate) trait TraceStore: Send {
    fn save(&mut self, frames: &[usize]) -> SaveOutcome;
    fn fetch(&self, id: u32) -> Option<&[usize]>;
    /// Forget everything that can be forgotten (Fixed: a new array; Depot: nothing, a depot is
    /// append-only and may be shared).
    fn reset(&mut self);
    fn fill_stats(&self, stats: &mut ValidatorStats);
}

/// The stackdepot backend.
pub(crate) struct DepotStore {
    depot: Arc<StackDepot>,
    /// Set by saves (under the graph lock), consumed by [`refill_if_needed`] after it.
    needs_refill: Arc<AtomicBool>,
}

impl DepotStore {
    pub(crate) fn new(depot: Arc<StackDepot>, needs_refill: Arc<AtomicBool>) -> DepotStore {
        DepotStore {
            depot,
            needs_refill,
        }
    }
}

/// Tops up the depot's no-wait reserve if a save used it. Call it with no validator lock held.
pub(crate) fn refill_if_needed(depot: &StackDepot, flag: &AtomicBool) {
    // Load first: the flag's cache line stays shared between threads on the hot path.
    if flag.load(Ordering::Relaxed) && flag.swap(false, Ordering::Relaxed) {
        // A failed refill only means the next no-wait save may fail too, which is already
        // handled as "trace unavailable".
        let _ = depot.refill();
    }
}

impl TraceStore for DepotStore {
    fn save(&mut self, frames: &[usize]) -> SaveOutcome {
        let result = self.depot.save_with(frames, Alloc::NoWait);
        // Every save may have used reserve space; topping it up is cheap when it is full.
        self.needs_refill.store(true, Ordering::Relaxed);
        match result {
            Ok(h) => SaveOutcome::Saved(h.to_raw()),
            Err(_) => SaveOutcome::Unavailable,
        }
    }

    fn fetch(&self, id: u32) -> Option<&[usize]> {
        self.depot.fetch(Handle::from_raw(id)?)
    }

    fn reset(&mut self) {}

    fn fill_stats(&self, stats: &mut ValidatorStats) {
        let s = self.depot.stats();
        stats.stack_trace_entries = 0;
        stats.stack_trace_entries_max = None;
        stats.depot_bytes = s.bytes_used;
        stats.stack_traces = s.traces;
        // The depot's index is open-addressed: one slot per trace, no chains.
        stats.stack_hash_chains = s.traces;
    }
}

/// The fixed-array backend.
pub(crate) struct FixedStore {
    bits: u32,
    store: FixedTraceStore,
}

impl FixedStore {
    pub(crate) fn new(bits: u32) -> FixedStore {
        FixedStore {
            bits,
            store: FixedTraceStore::new(bits),
        }
    }
}

impl TraceStore for FixedStore {
    fn save(&mut self, frames: &[usize]) -> SaveOutcome {
        match self.store.save(frames) {
            Some(off) => SaveOutcome::Saved(off),
            None => SaveOutcome::Overflow,
        }
    }

    fn fetch(&self, id: u32) -> Option<&[usize]> {
        self.store.fetch(id)
    }

    fn reset(&mut self) {
        self.store = FixedTraceStore::new(self.bits);
    }

    fn fill_stats(&self, stats: &mut ValidatorStats) {
        stats.stack_trace_entries = self.store.entries_used();
        stats.stack_trace_entries_max = Some(self.store.entries_max());
        stats.depot_bytes = self.store.bytes_used();
        stats.stack_traces = self.store.traces();
        stats.stack_hash_chains = self.store.hash_chains();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_backend_reports_overflow_not_unavailable() {
        let mut s = FixedStore::new(10);
        let frames: Vec<usize> = (1..200).collect();
        let mut overflowed = false;
        for i in 0..20 {
            let mut f = frames.clone();
            f[0] = 10_000 + i;
            match s.save(&f) {
                SaveOutcome::Saved(id) => assert_eq!(s.fetch(id).map(|x| x[0]), Some(10_000 + i)),
                SaveOutcome::Overflow => {
                    overflowed = true;
                    break;
                }
                SaveOutcome::Unavailable => panic!("fixed store never degrades softly"),
            }
        }
        assert!(overflowed);
        s.reset();
        assert!(matches!(s.save(&[1, 2]), SaveOutcome::Saved(_)));
    }

    #[test]
    fn depot_backend_round_trips() {
        let flag = Arc::new(AtomicBool::new(false));
        let depot = Arc::new(StackDepot::new());
        let mut s = DepotStore::new(depot.clone(), flag.clone());
        let SaveOutcome::Saved(id) = s.save(&[0x10, 0x20]) else {
            panic!("save failed")
        };
        assert_eq!(s.fetch(id), Some(&[0x10, 0x20][..]));
        assert!(matches!(s.save(&[]), SaveOutcome::Unavailable));
        assert!(flag.load(Ordering::Relaxed));
        refill_if_needed(&depot, &flag);
        assert!(!flag.load(Ordering::Relaxed));
        let mut st = ValidatorStats::default();
        s.fill_stats(&mut st);
        assert_eq!(st.stack_traces, 1);
        assert_eq!(st.stack_trace_entries_max, None);
    }
}
