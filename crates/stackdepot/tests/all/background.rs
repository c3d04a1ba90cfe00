//! `Config::background_population`: the process's populator thread refills the
//! no-wait reserve of a depot that is only ever saved to with `NoWait`, stays
//! ahead of a large depot (at most four 2 MiB chunks beyond the reserve), maps
//! spare index tables and returns retired ones, respects the memory cap, and
//! survives depots dropped while their requests are queued. With it off nothing
//! is populated behind the saver's back.
//!
//! The populator runs on its own schedule, so nothing here asserts how soon it
//! acts: where a test needs it to have acted it polls (see [`eventually`]), with a
//! bound only generous enough to turn a hang into a failure that prints the stats.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use stackdepot::{Alloc, Config, Handle, SaveError, StackDepot};

use crate::support::{Rng, SavedTraces, assert_stats_relations, distinct_trace};

/// How long [`eventually`] polls before it declares the populator stuck.
const PATIENCE: Duration = Duration::from_secs(20);

/// Slabs' bytes a depot opens before every saver asks the populator to stay ahead
/// (a quarter of a 2 MiB chunk).
const LOOKAHEAD_FROM_BYTES: usize = 512 << 10;

/// How far beyond the reserve the populator keeps a large depot backed: at most
/// four 2 MiB chunks (`Config::background_population`).
const LOOKAHEAD_CHUNKS: usize = 4;
const CHUNK_BYTES: usize = 2 << 20;

/// Polls `attempt` every millisecond until it yields a value; panics with `what`
/// and `depot`'s stats if it has not after [`PATIENCE`].
fn eventually<T>(what: &str, depot: &StackDepot, mut attempt: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = attempt() {
            return value;
        }
        if Instant::now() >= deadline {
            panic!(
                "{what}: still not the case after polling for {PATIENCE:?}\n{}",
                depot.stats()
            );
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Waits until the populator has backed at least one slab for `depot`.
fn eventually_background_slabs(depot: &StackDepot) -> u64 {
    eventually("the populator backed no slab for this depot", depot, || {
        Some(depot.stats().background_slabs).filter(|&n| n > 0)
    })
}

/// `config` with the longest trace that fits a slab: every new trace of that
/// length fills a slab of its own, so every no-wait save opens one, needs the
/// reserve and, when it finds it short, asks the populator.
fn one_record_per_slab(config: Config) -> Config {
    // One word of every slab holds no record.
    let words = config.slab_size / size_of::<usize>() - 1;
    config.max_frames(words)
}

/// A trace of about 24 frames (20..=28), like a kernel stack.
fn kernel_sized_trace(id: u64) -> Vec<usize> {
    distinct_trace(id, 20 + (id % 9) as usize)
}

/// Slabs a depot with `config` opens before savers ask for lookahead.
fn lookahead_threshold_slabs(config: &Config) -> u64 {
    (LOOKAHEAD_FROM_BYTES / config.slab_size) as u64
}

#[test]
#[cfg_attr(miri, ignore = "the populator thread does not run under Miri")]
fn a_no_wait_only_depot_gets_its_reserve_back_without_refill() {
    let config = one_record_per_slab(Config::tiny().background_population(true));
    let frames = config.max_frames;
    // Stay below the slab count where lookahead starts, so only the reserve
    // request (not the large-depot lookahead) is what brings the room back.
    let slab_limit = lookahead_threshold_slabs(&config) * 3 / 4;
    let mut next_id = 0u64;
    // A round: a refusal, then the refused trace accepted with no refill.
    let (mut rounds, mut slab_rounds) = (0, 0);
    let mut depots = 0;
    // An idle machine's populator often keeps pace with a single saver (it wakes
    // on the other core while a debug-build save hashes a slab's worth of frames);
    // a depot that nears `slab_limit` without enough refusals is replaced by a
    // fresh one (about a hundred saves each, so hundreds of depots stay cheap).
    while rounds < 3 || slab_rounds < 1 {
        depots += 1;
        assert!(
            depots <= 200,
            "{depots} depots of up to {slab_limit} one-record slabs saw only {rounds} \
             no-wait refusals ({slab_rounds} for want of a slab): the reserve never ran dry"
        );
        let depot = StackDepot::with_config(config.clone()).expect("tiny config");
        let mut saved = SavedTraces::default();
        let mut refusals = 0u64;
        while depot.stats().slabs < slab_limit && (rounds < 3 || slab_rounds < 1) {
            let trace = distinct_trace(next_id, frames);
            next_id += 1;
            let err = match depot.save_with(&trace, Alloc::NoWait) {
                Ok(h) => {
                    saved.record(&trace, h);
                    continue;
                }
                Err(e) => e,
            };
            assert_eq!(
                err,
                SaveError::NoReserve,
                "a single no-wait saver with no cap is refused only for want of a reserve"
            );
            refusals += 1;
            let at_refusal = depot.stats();
            assert_eq!(
                at_refusal.traces,
                saved.by_trace.len() as u64,
                "a refused save stored its trace\n{at_refusal}"
            );
            if at_refusal.reserve_slabs == 0 {
                slab_rounds += 1;
            }
            // No refill: the refusal itself asked the populator for room.
            let h = eventually(
                "a no-wait save refused for want of a reserve is accepted again, without refill",
                &depot,
                || match depot.save_with(&trace, Alloc::NoWait) {
                    Ok(h) => Some(h),
                    Err(e) => {
                        assert_eq!(e, SaveError::NoReserve, "retrying a refused trace");
                        refusals += 1;
                        None
                    }
                },
            );
            saved.record(&trace, h);
            rounds += 1;
        }
        saved.assert_all_fetch(&depot);
        for (trace, &h) in &saved.by_trace {
            assert_eq!(depot.save_with(trace, Alloc::NoWait), Ok(h), "no-wait hit");
        }
        let stats = depot.stats();
        assert_eq!(stats.no_reserve, refusals, "{stats}");
        assert_eq!(stats.failures(), refusals, "{stats}");
        assert_eq!(stats.traces, saved.by_trace.len() as u64, "{stats}");
        assert_stats_relations(&stats, &config);
        // The first no-wait save opened the slab populated at creation and asked
        // for one behind it; a no-wait saver never populates, so only the
        // populator can back it.
        assert!(
            !saved.by_trace.is_empty(),
            "a fresh depot refused its first no-wait save"
        );
        eventually_background_slabs(&depot);
    }
}

#[test]
#[cfg_attr(miri, ignore = "the populator thread does not run under Miri")]
fn no_wait_saves_grow_the_index_with_tables_the_populator_maps() {
    // One-frame traces: 300 of them fit in the one slab a fresh depot has
    // populated, but not in two 8-slot index shards. A no-wait save never maps an
    // index table and nothing here refills, so every table beyond the first was
    // mapped by the populator, asked by the saves that passed half a table or
    // found it full.
    let config = Config::tiny().background_population(true);
    let depot = StackDepot::with_config(config.clone()).expect("tiny config");
    let start = depot.stats();
    let mut saved = SavedTraces::default();
    let mut refusals = 0u64;
    for id in 0..300u64 {
        let trace = distinct_trace(id, 1);
        let h = eventually(
            &format!("no-wait save of new trace {id} is accepted, without refill"),
            &depot,
            || match depot.save_with(&trace, Alloc::NoWait) {
                Ok(h) => Some(h),
                Err(e) => {
                    assert_eq!(e, SaveError::NoReserve, "trace {id}");
                    refusals += 1;
                    None
                }
            },
        );
        saved.record(&trace, h);
    }
    saved.assert_all_fetch(&depot);
    let stats = depot.stats();
    assert_eq!(stats.traces, 300, "{stats}");
    assert!(
        stats.index_slots >= 300 && stats.index_slots > start.index_slots,
        "the index grew from {} slots\n{stats}",
        start.index_slots
    );
    assert!(
        stats.bytes_index_retired > start.bytes_index_retired,
        "tables were replaced\n{stats}"
    );
    assert_eq!(stats.no_reserve, refusals, "{stats}");
    assert_eq!(stats.failures(), refusals, "{stats}");
    assert_stats_relations(&stats, &config);
}

/// Saves new max-length traces with `NoWait` until one is refused; returns the
/// refused trace. Nothing but the saver populates here, so what is mapped bounds
/// how many can succeed.
fn drain_without_background(
    depot: &StackDepot,
    next_id: &mut u64,
    saved: &mut SavedTraces,
) -> Vec<usize> {
    let frames = depot.config().max_frames;
    let bound = depot.stats().bytes_mapped as usize / (frames * size_of::<usize>()) + 1;
    for _ in 0..=bound {
        let trace = distinct_trace(*next_id, frames);
        *next_id += 1;
        match depot.save_with(&trace, Alloc::NoWait) {
            Ok(h) => saved.record(&trace, h),
            Err(e) => {
                assert_eq!(e, SaveError::NoReserve);
                return trace;
            }
        }
    }
    panic!(
        "{} no-wait saves of {frames}-frame traces fit in what was mapped\n{}",
        bound + 1,
        depot.stats()
    );
}

#[test]
fn without_background_a_drained_depot_stays_refused_until_refill() {
    let large_default = Config::default().background_population(false);
    for (config, fill) in [
        (Config::tiny(), 0u64),
        // Past the size at which a background depot would ask for lookahead.
        (
            large_default.clone(),
            2 * LOOKAHEAD_FROM_BYTES as u64 / (24 * 8),
        ),
    ] {
        let depot = StackDepot::with_config(config.clone()).expect("config");
        let mut saved = SavedTraces::default();
        for id in 0..fill {
            let trace = kernel_sized_trace(1 << 40 | id);
            saved.record(&trace, depot.save(&trace).expect("MayAlloc save"));
        }
        let filled = depot.stats();
        if fill > 0 {
            assert!(
                filled.slabs >= lookahead_threshold_slabs(&config),
                "fill too small\n{filled}"
            );
        }
        assert_eq!(filled.background_slabs, 0, "{filled}");
        let mut next_id = 0;
        let mut refusals = 0;
        for round in 0..2 {
            let refused = drain_without_background(&depot, &mut next_id, &mut saved);
            refusals += 1;
            let drained = depot.stats();
            for check in 0..5 {
                thread::sleep(Duration::from_millis(2));
                assert_eq!(
                    depot.save_with(&refused, Alloc::NoWait),
                    Err(SaveError::NoReserve),
                    "round {round}, check {check}: accepted with nothing refilled ({config:?})"
                );
                refusals += 1;
                let now = depot.stats();
                assert_eq!(now.background_slabs, 0, "{now}");
                assert_eq!(now.background_failures, 0, "{now}");
                assert_eq!(
                    (now.bytes_mapped, now.bytes_in_reserve, now.reserve_slabs),
                    (
                        drained.bytes_mapped,
                        drained.bytes_in_reserve,
                        drained.reserve_slabs
                    ),
                    "memory was populated for an idle depot without background population\n{now}"
                );
            }
            depot.refill().expect("refill without a cap");
            saved.save_refused_after_refill(&depot, &refused, round);
        }
        saved.assert_all_fetch(&depot);
        let stats = depot.stats();
        assert_eq!(stats.no_reserve, refusals, "{stats}");
        assert_eq!(stats.background_slabs, 0, "{stats}");
        assert_eq!(stats.traces, saved.by_trace.len() as u64, "{stats}");
        assert_stats_relations(&stats, &config);
    }
}

#[test]
#[cfg_attr(miri, ignore = "the populator thread does not run under Miri")]
fn a_large_depot_is_populated_ahead_in_the_background() {
    let depot = StackDepot::new();
    let config = depot.config().clone();
    assert!(config.background_population, "on by default");
    let n = 20_000u64;
    let handles: Vec<Handle> = (0..n)
        .map(|id| {
            depot
                .save(&kernel_sized_trace(id))
                .unwrap_or_else(|e| panic!("save {id}: {e:?}"))
        })
        .collect();
    let stats = depot.stats();
    assert!(
        stats.slabs >= 4 * lookahead_threshold_slabs(&config),
        "the workload must open well over 512 KiB of slabs\n{stats}"
    );
    eventually_background_slabs(&depot);
    let distinct: HashSet<Handle> = handles.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        handles.len(),
        "distinct traces share a handle"
    );
    for (id, &h) in (0..n).zip(&handles) {
        let trace = kernel_sized_trace(id);
        assert_eq!(depot.fetch(h), Some(trace.as_slice()), "trace {id}");
        assert_eq!(depot.save(&trace), Ok(h), "trace {id} saved again");
        assert_eq!(depot.save_with(&trace, Alloc::NoWait), Ok(h), "trace {id}");
    }
    let stats = depot.stats();
    assert_eq!(stats.traces, n, "{stats}");
    assert_eq!(stats.dedup_hits, 2 * n, "{stats}");
    assert_eq!(stats.failures(), 0, "{stats}");
    assert_eq!(
        stats.background_failures, 0,
        "no cap, so nothing to refuse\n{stats}"
    );
    assert_stats_relations(&stats, &config);
}

#[test]
#[cfg_attr(miri, ignore = "the populator thread does not run under Miri")]
fn background_lookahead_stays_within_four_chunks() {
    let depot = StackDepot::new();
    let config = depot.config().clone();
    let chunk_slabs = (CHUNK_BYTES / config.slab_size) as u64;
    let most_ahead = config.reserve_slabs as u64 + LOOKAHEAD_CHUNKS as u64 * chunk_slabs;
    // Enough to open more slabs than the full lookahead, so it is asked for.
    let n = 2 * LOOKAHEAD_CHUNKS as u64 * CHUNK_BYTES as u64 / (24 * 8);
    let check = |when: &str| {
        let stats = depot.stats();
        assert!(
            stats.reserve_slabs <= most_ahead,
            "{when}: {} slabs populated ahead, more than the reserve plus {LOOKAHEAD_CHUNKS} \
             chunks ({most_ahead})\n{stats}",
            stats.reserve_slabs
        );
        stats
    };
    for id in 0..n {
        depot
            .save(&kernel_sized_trace(id))
            .unwrap_or_else(|e| panic!("save {id}: {e:?}"));
        if id % 1024 == 0 {
            check(&format!("after save {id}"));
        }
    }
    let stats = check("after the last save");
    assert!(
        stats.slabs > LOOKAHEAD_CHUNKS as u64 * chunk_slabs,
        "the workload must open more than the lookahead\n{stats}"
    );
    // Once the populator has acted on the last request, the bound still holds.
    eventually_background_slabs(&depot);
    for _ in 0..20 {
        thread::sleep(Duration::from_millis(1));
        check("while idle");
    }
    assert_eq!(depot.stats().failures(), 0);
}

#[test]
#[cfg_attr(miri, ignore = "the populator thread does not run under Miri")]
fn hits_stay_exact_while_index_tables_are_replaced_and_released_in_the_background() {
    // Released pages are not visible in `Stats` (retired bytes count the address
    // space, released or not): what is checked is that readers probing tables
    // being retired, and released by the populator rather than under the lock,
    // still get exact answers, and that tables were in fact retired.
    let config = Config::tiny().background_population(true);
    let depot = StackDepot::with_config(config.clone()).expect("tiny config");
    let early: Vec<(Vec<usize>, Handle)> = (0..64u64)
        .map(|id| {
            let trace = distinct_trace(id, 1 + id as usize % 8);
            let h = depot.save(&trace).expect("MayAlloc save");
            (trace, h)
        })
        .collect();
    let start = depot.stats();
    let done = AtomicBool::new(false);
    let new = 8_000u64;
    let mut retired_seen = vec![start.bytes_index_retired];
    let reader_passes = thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut passes = 0u64;
            while !done.load(Ordering::Relaxed) || passes == 0 {
                for (trace, h) in &early {
                    let alloc = if passes.is_multiple_of(2) {
                        Alloc::MayAlloc
                    } else {
                        Alloc::NoWait
                    };
                    assert_eq!(
                        depot.save_with(trace, alloc),
                        Ok(*h),
                        "a stored trace was not answered with its handle while the index grew"
                    );
                    assert_eq!(depot.fetch(*h), Some(trace.as_slice()));
                }
                passes += 1;
            }
            passes
        });
        let mut saved = SavedTraces::default();
        for id in 0..new {
            let trace = distinct_trace(1_000 + id, 1 + id as usize % 8);
            let h = depot
                .save(&trace)
                .unwrap_or_else(|e| panic!("save {id}: {e:?}"));
            saved.record(&trace, h);
            if id % 1000 == 999 {
                retired_seen.push(depot.stats().bytes_index_retired);
                for (trace, &h) in &saved.by_trace {
                    assert_eq!(depot.save(trace), Ok(h), "after {id} inserts");
                }
            }
        }
        done.store(true, Ordering::Relaxed);
        let passes = reader.join().expect("reader panicked");
        saved.assert_all_fetch(&depot);
        passes
    });
    assert!(reader_passes > 0);
    let stats = depot.stats();
    assert_eq!(stats.traces, early.len() as u64 + new, "{stats}");
    assert!(
        stats.index_slots >= stats.traces,
        "the index grew with the traces\n{stats}"
    );
    assert!(
        retired_seen.windows(2).all(|w| w[0] <= w[1]),
        "retired bytes only grow: {retired_seen:?}"
    );
    assert!(
        stats.bytes_index_retired > start.bytes_index_retired,
        "{} inserts into 2 shards of 8 slots replaced no table\n{stats}",
        new
    );
    assert!(
        retired_seen.windows(2).filter(|w| w[0] < w[1]).count() >= 2,
        "tables were replaced more than once: {retired_seen:?}"
    );
    for (trace, h) in &early {
        assert_eq!(depot.save(trace), Ok(*h));
    }
    assert_eq!(stats.failures(), 0, "{stats}");
    assert_stats_relations(&stats, &config);
}

/// The smallest cap `config` starts with, from the error a zero cap gives.
fn min_cap(config: &Config) -> usize {
    match config.clone().memory_cap(Some(0)).validate() {
        Err(stackdepot::ConfigError::MemoryCap { min, .. }) => min,
        other => panic!("a zero cap must be refused with MemoryCap, got {other:?}"),
    }
}

/// Asserts `depot`'s `bytes_mapped` is within `cap`.
fn assert_within_cap(depot: &StackDepot, cap: usize, when: &str) {
    let stats = depot.stats();
    assert!(
        stats.bytes_mapped <= cap as u64,
        "{when}: bytes_mapped {} exceeds the cap {cap}\n{stats}",
        stats.bytes_mapped
    );
}

#[test]
#[cfg_attr(miri, ignore = "the populator thread does not run under Miri")]
fn background_population_respects_the_memory_cap() {
    let tiny = one_record_per_slab(Config::tiny().background_population(true));
    let room_slabs = 40;
    let cap = min_cap(&tiny) + room_slabs * tiny.slab_size;
    let config = tiny.memory_cap(Some(cap));
    let slab_frames = config.max_frames;
    let depot = StackDepot::with_config(config.clone()).expect("cap above the minimum");
    let mut saved = SavedTraces::default();
    let mut no_reserve = 0u64;
    // A fresh depot holds one reserve slab; the first no-wait save opens it and,
    // finding none behind it, asks the populator for one, under the cap as without.
    let trace = distinct_trace(0, slab_frames);
    let h = depot
        .save_with(&trace, Alloc::NoWait)
        .expect("a fresh depot's reserve takes a no-wait save");
    saved.record(&trace, h);
    assert_within_cap(&depot, cap, "the first save");
    eventually_background_slabs(&depot);
    assert_within_cap(&depot, cap, "after the populator's first slab");
    let mut id = 1u64;
    // Both kinds of save, short and slab-sized traces (so index tables grow too,
    // their spares mapped by the populator), until a MayAlloc save meets the cap.
    let mut cap_reached = 0u64;
    let bound = id + (cap / size_of::<usize>()) as u64;
    let mut may_alloc_refused = false;
    while !may_alloc_refused {
        assert!(
            id <= bound,
            "{id} distinct traces under a cap of {cap} bytes, no MayAlloc save refused by it"
        );
        let frames = if id.is_multiple_of(3) { slab_frames } else { 8 };
        let trace = distinct_trace(id, frames);
        let alloc = if id.is_multiple_of(2) {
            Alloc::MayAlloc
        } else {
            Alloc::NoWait
        };
        match depot.save_with(&trace, alloc) {
            Ok(h) => saved.record(&trace, h),
            Err(SaveError::CapReached) => {
                cap_reached += 1;
                may_alloc_refused = alloc == Alloc::MayAlloc;
            }
            Err(SaveError::NoReserve) if alloc == Alloc::NoWait => no_reserve += 1,
            Err(e) => panic!("save {id} ({alloc:?}): unexpected {e:?}"),
        }
        assert_within_cap(&depot, cap, &format!("save {id} ({alloc:?})"));
        id += 1;
    }
    // At the cap, no-wait saves of slab-sized traces are refused; the populator
    // is not woken for each of them (it could only fail), and nothing maps past
    // the cap.
    let failures_at_cap = depot.stats().background_failures;
    for _ in 0..200 {
        let trace = distinct_trace(id, slab_frames);
        id += 1;
        match depot.save_with(&trace, Alloc::NoWait) {
            Ok(h) => saved.record(&trace, h),
            Err(SaveError::CapReached) => cap_reached += 1,
            Err(SaveError::NoReserve) => no_reserve += 1,
            Err(e) => panic!("no-wait save at the cap: unexpected {e:?}"),
        }
        assert_within_cap(&depot, cap, "a no-wait save at the cap");
    }
    let failures = depot.stats().background_failures - failures_at_cap;
    assert!(
        failures <= 2,
        "200 refused no-wait saves at the cap made the populator fail {failures} times: \
         it is woken for requests it cannot serve\n{}",
        depot.stats()
    );
    for k in 0..5 {
        thread::sleep(Duration::from_millis(1));
        assert_within_cap(&depot, cap, &format!("idle at the cap, check {k}"));
    }
    saved.assert_all_fetch(&depot);
    for (trace, &h) in &saved.by_trace {
        assert_eq!(depot.save_with(trace, Alloc::NoWait), Ok(h));
    }
    let stats = depot.stats();
    assert_eq!(stats.cap_reached, cap_reached, "{stats}");
    assert_eq!(stats.no_reserve, no_reserve, "{stats}");
    assert_eq!(stats.traces, saved.by_trace.len() as u64, "{stats}");
    assert_stats_relations(&stats, &config);
}

#[test]
#[cfg_attr(miri, ignore = "the populator thread does not run under Miri")]
fn depots_dropped_with_requests_queued_leave_the_populator_working() {
    let mut next_id = 0u64;
    for round in 0..50 {
        let depot = StackDepot::new();
        let mut saved = SavedTraces::default();
        // Drain the reserve with no-wait saves: each opened slab asks for it back.
        for _ in 0..600 {
            let trace = kernel_sized_trace(next_id);
            next_id += 1;
            match depot.save_with(&trace, Alloc::NoWait) {
                Ok(h) => saved.record(&trace, h),
                Err(SaveError::NoReserve) => break,
                Err(e) => panic!("round {round}: no-wait save: {e:?}"),
            }
        }
        // Every tenth depot grows past the lookahead threshold, so its savers ask
        // for chunks ahead and the populator is likely busy with them at the drop.
        let more = if round % 10 == 0 {
            2 * LOOKAHEAD_FROM_BYTES / (24 * 8)
        } else {
            50
        };
        for _ in 0..more {
            let trace = kernel_sized_trace(next_id);
            next_id += 1;
            let h = depot
                .save(&trace)
                .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
            saved.record(&trace, h);
            let trace = kernel_sized_trace(next_id);
            next_id += 1;
            match depot.save_with(&trace, Alloc::NoWait) {
                Ok(h) => saved.record(&trace, h),
                Err(SaveError::NoReserve | SaveError::Contended) => {}
                Err(e) => panic!("round {round}: no-wait save: {e:?}"),
            }
        }
        saved.assert_all_fetch(&depot);
        drop(depot);
    }
    // The populator outlived those depots and serves a new one.
    let depot = StackDepot::new();
    let mut saved = SavedTraces::default();
    for id in 0..(2 * LOOKAHEAD_FROM_BYTES / (24 * 8)) as u64 {
        let trace = kernel_sized_trace(next_id + id);
        saved.record(&trace, depot.save(&trace).expect("save"));
    }
    eventually_background_slabs(&depot);
    saved.assert_all_fetch(&depot);
    let stats = depot.stats();
    assert_eq!(stats.failures(), 0, "{stats}");
    assert_eq!(stats.traces, saved.by_trace.len() as u64, "{stats}");
    assert_stats_relations(&stats, depot.config());
}

/// One save a thread made: the pool index, how, and what it returned.
type SaveRecord = (usize, Alloc, Result<Handle, SaveError>);

#[test]
#[cfg_attr(miri, ignore = "the populator thread does not run under Miri")]
fn concurrent_savers_agree_while_the_populator_grows_the_depot() {
    let depot = StackDepot::new();
    let config = depot.config().clone();
    // About 1.1 MB of records: well past the lookahead threshold.
    let pool: Vec<Vec<usize>> = (0..6_000u64).map(kernel_sized_trace).collect();
    let threads = 4;
    let per_thread = 6_000;
    let results: Vec<Vec<SaveRecord>> = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (depot, pool) = (&depot, &pool);
                s.spawn(move || {
                    let mut rng = Rng::new(0xb6 + t as u64);
                    (0..per_thread)
                        .map(|_| {
                            let i = rng.below(pool.len());
                            let alloc = if rng.below(3) == 0 {
                                Alloc::NoWait
                            } else {
                                Alloc::MayAlloc
                            };
                            let r = depot.save_with(&pool[i], alloc);
                            if let Ok(h) = r {
                                assert_eq!(depot.fetch(h), Some(pool[i].as_slice()));
                            }
                            (i, alloc, r)
                        })
                        .collect()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("saver thread panicked"))
            .collect()
    });
    let mut canonical: HashMap<usize, Handle> = HashMap::new();
    let mut failures = 0u64;
    for (i, alloc, r) in results.into_iter().flatten() {
        match r {
            Ok(h) => {
                let first = *canonical.entry(i).or_insert(h);
                assert_eq!(first, h, "trace {i} got two handles");
            }
            Err(SaveError::NoReserve | SaveError::Contended) if alloc == Alloc::NoWait => {
                failures += 1;
            }
            Err(e) => panic!("{alloc:?} save of trace {i}: {e:?}"),
        }
    }
    let owners: HashSet<Handle> = canonical.values().copied().collect();
    assert_eq!(
        owners.len(),
        canonical.len(),
        "distinct traces share a handle"
    );
    for (&i, &h) in &canonical {
        assert_eq!(depot.fetch(h), Some(pool[i].as_slice()), "trace {i}");
        assert_eq!(depot.save(&pool[i]), Ok(h), "trace {i} saved again");
    }
    let stats = depot.stats();
    assert_eq!(stats.traces, canonical.len() as u64, "{stats}");
    assert_eq!(stats.failures(), failures, "{stats}");
    assert!(
        stats.slabs >= lookahead_threshold_slabs(&config),
        "the workload must pass the lookahead threshold\n{stats}"
    );
    eventually_background_slabs(&depot);
    assert_stats_relations(&depot.stats(), &config);
}
