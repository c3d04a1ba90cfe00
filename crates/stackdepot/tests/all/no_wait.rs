//! `Alloc::NoWait`: stores new traces only in space already mapped (the open slab
//! and the reserve), fails with `NoReserve` (counted) when that runs out, recovers
//! after `refill`, and always answers a trace already stored. `MayAlloc` saves
//! never fail for want of a reserve.

use stackdepot::{Alloc, Config, SaveError, StackDepot};

use crate::support::{SavedTraces, assert_stats_relations, distinct_trace, tiny_depot};

/// What [`no_wait_until_refused`] saw.
struct Drained {
    /// New traces stored before the refusal.
    stored: usize,
    /// The refusal.
    err: SaveError,
    /// The trace that was refused.
    refused: Vec<usize>,
}

/// Saves new max-length traces with `NoWait` until one fails, starting at id
/// `next_id`. Asserts that no-wait saves never map memory, which bounds how many
/// can succeed, and that a refused trace is not stored.
fn no_wait_until_refused(
    depot: &StackDepot,
    next_id: &mut u64,
    saved: &mut SavedTraces,
) -> Drained {
    let frames = depot.config().max_frames;
    let start = depot.stats();
    // No-wait saves never map, so they fit in what is mapped now; each record
    // holds at least `frames` words.
    let bound = start.bytes_mapped as usize / (frames * 8) + 1;
    for stored in 0..=bound {
        let trace = distinct_trace(*next_id, frames);
        *next_id += 1;
        match depot.save_with(&trace, Alloc::NoWait) {
            Ok(h) => saved.record(&trace, h),
            Err(e) => {
                let stats = depot.stats();
                assert_eq!(
                    stats.traces,
                    saved.by_trace.len() as u64,
                    "a refused no-wait save must not store its trace\n{stats}"
                );
                return Drained {
                    stored,
                    err: e,
                    refused: trace,
                };
            }
        }
        let now = depot.stats();
        assert!(
            now.bytes_mapped <= start.bytes_mapped,
            "a no-wait save mapped memory: bytes_mapped {} -> {}",
            start.bytes_mapped,
            now.bytes_mapped
        );
    }
    panic!(
        "{} no-wait saves of {frames}-frame traces succeeded with only {} bytes mapped",
        bound + 1,
        start.bytes_mapped
    );
}

#[test]
fn a_fresh_depot_holds_its_full_reserve() {
    for config in [
        Config::tiny(),
        Config::default(),
        Config::tiny().reserve_slabs(3),
    ] {
        let depot = StackDepot::with_config(config.clone()).expect("config");
        let stats = depot.stats();
        assert_eq!(stats.reserve_slabs, config.reserve_slabs as u64, "{stats}");
        assert!(
            stats.bytes_in_reserve >= (config.reserve_slabs * config.slab_size) as u64,
            "{stats}"
        );
        assert_stats_relations(&stats, &config);
    }
}

#[test]
fn no_wait_runs_dry_then_recovers_after_refill() {
    let depot = tiny_depot();
    let mut saved = SavedTraces::default();
    let mut next_id = 0;
    let mut refusals = 0;
    for round in 0..5 {
        let Drained {
            stored,
            err,
            refused,
        } = no_wait_until_refused(&depot, &mut next_id, &mut saved);
        assert_eq!(
            err,
            SaveError::NoReserve,
            "round {round}: single-threaded no-wait saves fail only with NoReserve"
        );
        refusals += 1;
        assert!(
            stored >= 1,
            "round {round}: a fresh or refilled depot must accept a no-wait save"
        );
        let stats = depot.stats();
        assert_eq!(stats.no_reserve, refusals, "{stats}");
        // Asking again for the same trace, with nothing refilled, fails again
        // and is counted again.
        assert_eq!(
            depot.save_with(&refused, Alloc::NoWait),
            Err(SaveError::NoReserve),
            "round {round}: the refused trace was accepted with nothing refilled"
        );
        refusals += 1;
        // Stored traces are still answered, without a reserve.
        for (trace, &h) in &saved.by_trace {
            assert_eq!(
                depot.save_with(trace, Alloc::NoWait),
                Ok(h),
                "a stored trace must be a no-wait hit"
            );
        }
        depot.refill().expect("refill without a cap");
        let stats = depot.stats();
        // At least the configured reserve; a growth step may populate more.
        assert!(
            stats.reserve_slabs >= depot.config().reserve_slabs as u64,
            "refill must top the reserve up\n{stats}"
        );
        assert_stats_relations(&stats, depot.config());
        // The refused trace can now be stored and gets a fresh handle.
        saved.save_refused_after_refill(&depot, &refused, round);
    }
    saved.assert_all_fetch(&depot);
    let stats = depot.stats();
    assert_eq!(stats.no_reserve, refusals, "{stats}");
    assert_eq!(stats.traces, saved.by_trace.len() as u64, "{stats}");
    assert_eq!(stats.failures(), refusals, "{stats}");
}

#[test]
fn may_alloc_saves_never_fail_for_want_of_a_reserve() {
    for config in [Config::tiny(), Config::tiny().reserve_slabs(0)] {
        let depot = StackDepot::with_config(config).expect("config");
        let max = depot.config().max_frames;
        let mut saved = SavedTraces::default();
        let mut next_id = 0;
        // Drain the reserve with no-wait saves, then save with MayAlloc.
        let err = no_wait_until_refused(&depot, &mut next_id, &mut saved).err;
        assert_eq!(err, SaveError::NoReserve);
        for id in 10_000..12_000u64 {
            let trace = distinct_trace(id, 1 + id as usize % max);
            let h = depot
                .save(&trace)
                .unwrap_or_else(|e| panic!("MayAlloc save {id} failed: {e:?}"));
            saved.record(&trace, h);
        }
        saved.assert_all_fetch(&depot);
        assert_eq!(depot.stats().no_reserve, 1);
    }
}

#[test]
fn refill_is_idempotent() {
    let depot = tiny_depot();
    let h = depot.save(&[1, 2, 3]).expect("save");
    depot.refill().expect("refill");
    let before = depot.stats();
    for _ in 0..10 {
        depot.refill().expect("refill");
    }
    let after = depot.stats();
    assert_eq!(
        after.bytes_mapped, before.bytes_mapped,
        "refill on a full reserve mapped memory"
    );
    assert_eq!(after.reserve_slabs, before.reserve_slabs);
    assert_eq!(depot.fetch(h), Some(&[1usize, 2, 3][..]));
}

#[test]
fn no_wait_hits_succeed_on_a_drained_depot_with_no_reserve_configured() {
    let depot =
        StackDepot::with_config(Config::tiny().reserve_slabs(0)).expect("reserve 0 is valid");
    let mut saved = SavedTraces::default();
    let mut next_id = 0;
    let err = no_wait_until_refused(&depot, &mut next_id, &mut saved).err;
    assert_eq!(err, SaveError::NoReserve);
    for _ in 0..3 {
        for (trace, &h) in &saved.by_trace {
            assert_eq!(depot.save_with(trace, Alloc::NoWait), Ok(h));
        }
    }
    saved.assert_all_fetch(&depot);
}
