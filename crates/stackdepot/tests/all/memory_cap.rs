//! `memory_cap`: once storing a new trace would map past the cap, saves fail with
//! `CapReached` (counted); everything stored before still fetches exactly and is
//! still answered by a save; `bytes_mapped` never exceeds the cap.

use stackdepot::{Alloc, Config, ConfigError, SaveError, StackDepot};

use crate::support::{SavedTraces, assert_stats_relations, distinct_trace};

/// The smallest cap `config` starts with, from the error a zero cap gives.
fn min_cap(config: &Config) -> usize {
    match config.clone().memory_cap(Some(0)).validate() {
        Err(ConfigError::MemoryCap { min, .. }) => min,
        other => panic!("a zero cap must be refused with MemoryCap, got {other:?}"),
    }
}

fn capped_tiny(extra_slabs: usize) -> StackDepot {
    let tiny = Config::tiny();
    let cap = min_cap(&tiny) + extra_slabs * tiny.slab_size;
    StackDepot::with_config(tiny.memory_cap(Some(cap))).expect("cap at or above the minimum")
}

#[test]
fn saves_past_the_cap_fail_and_earlier_traces_survive() {
    let depot = capped_tiny(3);
    let config = depot.config().clone();
    let cap = config.memory_cap.expect("capped");
    let frames = 8;
    // Each record holds at least `frames` words, so the cap bounds the count.
    let bound = cap / (frames * 8) + 1;
    let mut saved = SavedTraces::default();
    let mut first_refusal = None;
    let mut refusals = 0u64;
    for id in 0..bound as u64 + 200 {
        let trace = distinct_trace(id, frames);
        match depot.save(&trace) {
            Ok(h) => saved.record(&trace, h),
            Err(SaveError::CapReached) => {
                refusals += 1;
                first_refusal.get_or_insert(id);
            }
            Err(e) => panic!("save {id}: only CapReached is expected under a cap, got {e:?}"),
        }
        let stats = depot.stats();
        assert!(
            stats.bytes_mapped <= cap as u64,
            "after save {id}: bytes_mapped {} > cap {cap}\n{stats}",
            stats.bytes_mapped
        );
    }
    let first = first_refusal.unwrap_or_else(|| {
        panic!(
            "{} distinct {frames}-frame traces cannot fit under a {cap}-byte cap, yet none was refused",
            bound + 200
        )
    });
    assert!(first > 0, "the cap leaves room for at least one trace");
    let stats = depot.stats();
    assert_eq!(stats.cap_reached, refusals, "{stats}");
    assert_eq!(stats.traces, saved.by_trace.len() as u64, "{stats}");
    assert_stats_relations(&stats, &config);
    saved.assert_all_fetch(&depot);
    // Stored traces are still answered, by either kind of save.
    for (trace, &h) in &saved.by_trace {
        assert_eq!(depot.save(trace), Ok(h));
        assert_eq!(depot.save_with(trace, Alloc::NoWait), Ok(h));
    }
}

#[test]
fn no_wait_and_refill_respect_the_cap() {
    let depot = capped_tiny(2);
    let config = depot.config().clone();
    let cap = config.memory_cap.expect("capped") as u64;
    let mut saved = SavedTraces::default();
    let max = config.max_frames;
    for id in 0..3_000u64 {
        let trace = distinct_trace(id, 1 + id as usize % max);
        let alloc = if id % 3 == 0 {
            Alloc::NoWait
        } else {
            Alloc::MayAlloc
        };
        match depot.save_with(&trace, alloc) {
            Ok(h) => saved.record(&trace, h),
            Err(SaveError::CapReached) => {}
            Err(SaveError::NoReserve) if alloc == Alloc::NoWait => {}
            Err(e) => panic!("save {id} ({alloc:?}): unexpected {e:?}"),
        }
        if id % 50 == 0 {
            // Refill may be refused by the cap, but must not break it.
            match depot.refill() {
                Ok(()) | Err(SaveError::CapReached) => {}
                Err(e) => panic!("refill: unexpected {e:?}"),
            }
        }
        assert!(depot.stats().bytes_mapped <= cap);
    }
    let stats = depot.stats();
    assert!(
        stats.cap_reached > 0,
        "3000 traces cannot fit in a cap of {cap} bytes\n{stats}"
    );
    assert_stats_relations(&stats, &config);
    saved.assert_all_fetch(&depot);
}

#[test]
fn a_cap_at_the_minimum_still_stores_something() {
    let tiny = Config::tiny();
    let depot = StackDepot::with_config(tiny.clone().memory_cap(Some(min_cap(&tiny))))
        .expect("minimum cap");
    let h = depot
        .save(&[0x1, 0x2])
        .expect("the first slab is part of the minimum");
    assert_eq!(depot.fetch(h), Some(&[0x1usize, 0x2][..]));
    assert!(depot.stats().bytes_mapped <= min_cap(&tiny) as u64);
}

/// `bytes_mapped` is what the cap is charged with: when a `MayAlloc` save is refused
/// for the cap, what is left under the cap is less than the one thing that save
/// needed next (a slab, or a shard's next index table). Retired index tables keep
/// their first page resident and charged; a snapshot that left them out once showed
/// the cap "reached" at under half of it.
#[test]
fn the_cap_is_reached_when_bytes_mapped_says_so() {
    let tiny = Config::tiny().index_shards(16);
    let page = 4096.max(tiny.slab_size) as u64;
    let cap = min_cap(&tiny) + 40 * 4096;
    let depot = StackDepot::with_config(tiny.clone().memory_cap(Some(cap))).expect("cap above min");
    let mut saved = SavedTraces::default();
    let mut id = 0;
    let stats = loop {
        let trace = distinct_trace(id, 8);
        id += 1;
        match depot.save(&trace) {
            Ok(h) => saved.record(&trace, h),
            Err(SaveError::CapReached) => break depot.stats(),
            Err(e) => panic!("unexpected {e:?} before the cap\n{}", depot.stats()),
        }
        assert!(id < 100_000, "the cap was never reached\n{}", depot.stats());
    };
    assert_stats_relations(&stats, depot.config());
    let left = cap as u64 - stats.bytes_mapped;
    // The largest thing a save maps: a slab with its bits, or the next table of a
    // shard (twice the largest live one, rounded up to pages).
    let next_table = 2 * (stats.bytes_index / 16 + page);
    let slab = tiny.slab_size as u64 + page;
    assert!(
        left < next_table.max(slab),
        "refused at {} of a {cap}-byte cap: {left} bytes left, more than a slab ({slab}) \
         or a table ({next_table}) needs\n{stats}",
        stats.bytes_mapped
    );
    saved.assert_all_fetch(&depot);
}
