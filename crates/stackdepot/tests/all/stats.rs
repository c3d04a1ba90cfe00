//! Stats: counters equal what the caller can count from outside, byte figures
//! keep their documented relations, and `Display` prints one line per counter.

use stackdepot::{Alloc, SaveError, StackDepot, Stats};

use crate::support::{Rng, SavedTraces, assert_stats_relations, distinct_trace, tiny_depot};

#[test]
fn a_fresh_depot_has_counted_nothing() {
    for depot in [StackDepot::new(), tiny_depot()] {
        let stats = depot.stats();
        assert_eq!(
            (
                stats.traces,
                stats.frames,
                stats.saves,
                stats.dedup_hits,
                stats.failures()
            ),
            (0, 0, 0, 0, 0),
            "{stats}"
        );
        assert_eq!(
            (stats.truncated, stats.lost_races, stats.bytes_wasted),
            (0, 0, 0),
            "{stats}"
        );
        assert_eq!(stats.bytes_per_frame(), 0.0);
        assert_stats_relations(&stats, depot.config());
    }
}

#[test]
fn counters_match_what_the_caller_saw() {
    let depot = tiny_depot();
    let max = depot.config().max_frames;
    let mut rng = Rng::new(3);
    let mut saved = SavedTraces::default();
    let (mut calls, mut hits, mut empty, mut truncated) = (0u64, 0u64, 0u64, 0u64);
    for step in 0..3_000u64 {
        // A pool of 400 ids so about half the saves repeat a stored trace.
        let id = rng.below(400) as u64;
        let len = rng.below(max + 6);
        let trace = distinct_trace(id * 64 + len.min(max) as u64, len);
        let stored = &trace[..len.min(max)];
        let known = saved.by_trace.contains_key(stored);
        calls += 1;
        match depot.save(&trace) {
            Ok(h) => {
                hits += u64::from(known);
                truncated += u64::from(len > max);
                saved.record(stored, h);
            }
            Err(SaveError::Empty) => {
                assert_eq!(len, 0);
                empty += 1;
            }
            Err(e) => panic!("step {step}: unexpected {e:?}"),
        }
        if step % 100 == 0 {
            assert_stats_relations(&depot.stats(), depot.config());
        }
    }
    let stats = depot.stats();
    assert_eq!(stats.saves, calls, "saves\n{stats}");
    assert_eq!(stats.traces, saved.by_trace.len() as u64, "traces\n{stats}");
    assert_eq!(stats.frames, saved.frames(), "frames\n{stats}");
    assert_eq!(stats.dedup_hits, hits, "dedup_hits\n{stats}");
    assert_eq!(stats.empty, empty, "empty\n{stats}");
    assert_eq!(stats.truncated, truncated, "truncated\n{stats}");
    assert_eq!(stats.failures(), empty, "failures\n{stats}");
    assert_eq!(
        stats.lost_races, 0,
        "one thread cannot lose a race\n{stats}"
    );
    assert_eq!(
        stats.saves,
        stats.dedup_hits + stats.traces + stats.failures(),
        "single-threaded, every save is a hit, a new trace or a failure\n{stats}"
    );
    assert_stats_relations(&stats, depot.config());
    assert!(
        stats.slabs > 1,
        "3000 saves must fill more than one tiny slab\n{stats}"
    );
    assert!(stats.index_slots >= stats.traces.min(1), "{stats}");
    let expected = stats.bytes_used as f64 / stats.frames as f64;
    assert!((stats.bytes_per_frame() - expected).abs() < 1e-9);
}

#[test]
fn each_new_trace_counts_once_and_a_repeat_changes_no_size() {
    let depot = tiny_depot();
    let max = depot.config().max_frames;
    let mut before = depot.stats();
    for id in 0..1_500u64 {
        let len = 1 + (id as usize * 7) % max;
        let trace = distinct_trace(id, len);
        depot.save(&trace).expect("save");
        let after_new = depot.stats();
        assert_eq!(
            after_new.traces,
            before.traces + 1,
            "new trace {id}\n{after_new}"
        );
        assert_eq!(
            after_new.frames,
            before.frames + len as u64,
            "new trace {id}\n{after_new}"
        );
        assert!(
            after_new.bytes_used >= before.bytes_used + 8 * len as u64,
            "a new {len}-frame record must add at least {} bytes to bytes_used ({} -> {})",
            8 * len,
            before.bytes_used,
            after_new.bytes_used
        );
        depot
            .save_with(&trace, Alloc::NoWait)
            .expect("a repeat is a hit");
        let after_repeat = depot.stats();
        assert_eq!(after_repeat.dedup_hits, after_new.dedup_hits + 1);
        assert_eq!(
            (
                after_repeat.traces,
                after_repeat.frames,
                after_repeat.bytes_used,
                after_repeat.bytes_mapped
            ),
            (
                after_new.traces,
                after_new.frames,
                after_new.bytes_used,
                after_new.bytes_mapped
            ),
            "a repeated save changed the depot's size\nbefore:\n{after_new}after:\n{after_repeat}"
        );
        before = after_repeat;
    }
}

/// A `Stats` whose every documented field holds a different value.
fn distinct_valued_stats() -> (Stats, Vec<u64>) {
    let mut s = Stats::default();
    let fields: [&mut u64; 22] = [
        &mut s.traces,
        &mut s.frames,
        &mut s.bytes_mapped,
        &mut s.bytes_used,
        &mut s.bytes_in_reserve,
        &mut s.bytes_index,
        &mut s.bytes_index_retired,
        &mut s.bytes_wasted,
        &mut s.slabs,
        &mut s.reserve_slabs,
        &mut s.index_slots,
        &mut s.index_longest_probe,
        &mut s.saves,
        &mut s.dedup_hits,
        &mut s.lost_races,
        &mut s.truncated,
        &mut s.empty,
        &mut s.no_reserve,
        &mut s.cap_reached,
        &mut s.map_failed,
        &mut s.contended,
        &mut s.handle_space_exhausted,
    ];
    let mut values = Vec::new();
    for (i, field) in fields.into_iter().enumerate() {
        let v = 1_000_003 * (i as u64 + 1);
        *field = v;
        values.push(v);
    }
    (s, values)
}

#[test]
fn display_prints_one_line_per_counter() {
    let (stats, values) = distinct_valued_stats();
    let text = stats.to_string();
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines {
        let last = line.split_whitespace().last().unwrap_or("");
        assert!(
            line.contains(':') && last.parse::<u64>().is_ok(),
            "every line is `name: value`, got {line:?}"
        );
    }
    for v in &values {
        let holding: Vec<&&str> = lines
            .iter()
            .filter(|l| l.split_whitespace().last() == Some(v.to_string().as_str()))
            .collect();
        assert_eq!(
            holding.len(),
            1,
            "value {v} must be printed on exactly one line:\n{text}"
        );
    }
    assert!(lines.len() >= values.len());
    // A live depot's stats print the same rows.
    let depot = tiny_depot();
    depot.save(&[1, 2, 3]).expect("save");
    assert_eq!(depot.stats().to_string().lines().count(), lines.len());
}

#[test]
fn failures_sums_every_failure_kind() {
    let (stats, _) = distinct_valued_stats();
    assert_eq!(
        stats.failures(),
        stats.empty
            + stats.no_reserve
            + stats.cap_reached
            + stats.map_failed
            + stats.contended
            + stats.handle_space_exhausted
    );
}
