//! Handles the depot did not hand out (forged, from another depot, near a real
//! one, at every field boundary) fetch `None` or exactly one of the traces this
//! depot saved, and never panic.

use std::collections::{BTreeSet, HashSet};

use stackdepot::{Config, Handle, StackDepot};

use crate::support::{Rng, SavedTraces, boundary_raws, check_unvouched_fetch, distinct_trace};

const RANDOM_SAMPLE: usize = 200_000;

/// Saves `n` traces of mixed lengths (some truncated) and returns what was stored.
fn fill(depot: &StackDepot, n: u64, seed: u64) -> SavedTraces {
    let max = depot.config().max_frames;
    let mut rng = Rng::new(seed);
    let mut saved = SavedTraces::default();
    for id in 0..n {
        let len = 1 + rng.below(max + 4);
        let trace = distinct_trace(id ^ (seed << 32), len);
        let handle = depot.save(&trace).expect("save");
        saved.record(&trace[..len.min(max)], handle);
    }
    saved
}

#[test]
fn an_empty_depot_names_no_trace_for_any_handle() {
    for config in [Config::default(), Config::tiny()] {
        let depot = StackDepot::with_config(config).expect("config");
        let none = HashSet::new();
        let mut rng = Rng::new(7);
        for raw in boundary_raws(depot.layout(), 8) {
            assert!(!check_unvouched_fetch(&depot, raw, &none));
        }
        for _ in 0..20_000 {
            assert!(!check_unvouched_fetch(&depot, rng.next_u32(), &none));
        }
    }
}

#[test]
fn random_raw_values_fetch_none_or_a_saved_trace() {
    for (config, n) in [(Config::tiny(), 400), (Config::default(), 2_000)] {
        let depot = StackDepot::with_config(config).expect("config");
        let saved = fill(&depot, n, 11);
        let traces = saved.trace_set();
        let mut rng = Rng::new(12);
        for _ in 0..RANDOM_SAMPLE / 2 {
            check_unvouched_fetch(&depot, rng.next_u32(), &traces);
        }
        saved.assert_all_fetch(&depot);
    }
}

#[test]
fn every_value_in_the_used_slabs_and_at_field_boundaries_is_safe() {
    let depot = StackDepot::with_config(Config::tiny()).expect("tiny");
    let saved = fill(&depot, 600, 21);
    let traces = saved.trace_set();
    let layout = depot.layout();
    let slabs = depot.stats().slabs as usize;
    let mut named = 0usize;
    for raw in boundary_raws(layout, slabs + 2) {
        check_unvouched_fetch(&depot, raw, &traces);
    }
    // The slab indices the saved handles name, their neighbours and the first
    // few: every offset in them, with and without caller bits. The depot must
    // validate offsets into the middle of a record, at a slab's unused first word, or past
    // the last record.
    let mut slab_indices: BTreeSet<usize> = (0..(slabs + 2).min(layout.max_slabs())).collect();
    for handle in saved.by_handle.keys() {
        let slab = ((handle.to_raw() & layout.body_mask()) >> layout.slab_shift()) as usize;
        slab_indices.extend([
            slab.saturating_sub(1),
            slab,
            (slab + 1).min(layout.max_slabs() - 1),
        ]);
    }
    for slab in slab_indices {
        for offset in 0..=layout.offset_mask() {
            let raw = ((slab as u32) << layout.slab_shift()) | offset;
            if check_unvouched_fetch(&depot, raw, &traces) {
                named += 1;
            }
            let with_caller = raw | layout.caller_mask();
            let (Some(h), Some(hc)) = (Handle::from_raw(raw), Handle::from_raw(with_caller)) else {
                continue;
            };
            assert_eq!(
                depot.fetch(h).map(<[usize]>::as_ptr),
                depot.fetch(hc).map(<[usize]>::as_ptr),
                "caller bits changed what {h:?} fetches"
            );
        }
    }
    assert!(
        named >= saved.by_trace.len(),
        "the scan covered the slab of every saved handle, so it must have met all {} of them, met {named}",
        saved.by_trace.len()
    );
    saved.assert_all_fetch(&depot);
}

#[test]
fn values_next_to_real_handles_are_safe() {
    let depot = StackDepot::with_config(Config::tiny()).expect("tiny");
    let saved = fill(&depot, 300, 31);
    let traces = saved.trace_set();
    for &handle in saved.by_handle.keys() {
        let raw = handle.to_raw();
        for delta in -20i64..=20 {
            check_unvouched_fetch(&depot, (raw as i64 + delta) as u32, &traces);
        }
        for bit in 0..32 {
            check_unvouched_fetch(&depot, raw ^ (1 << bit), &traces);
        }
    }
}

#[test]
fn handles_from_another_depot_fetch_none_or_this_depots_trace() {
    for config in [Config::tiny(), Config::default()] {
        let a = StackDepot::with_config(config.clone()).expect("config");
        let b = StackDepot::with_config(config).expect("config");
        let in_a = fill(&a, 500, 41);
        // b stores fewer, different traces, so many of a's handles point past b's data.
        let in_b = fill(&b, 120, 42);
        let b_traces = in_b.trace_set();
        let a_traces = in_a.trace_set();
        for &handle in in_a.by_handle.keys() {
            check_unvouched_fetch(&b, handle.to_raw(), &b_traces);
        }
        for &handle in in_b.by_handle.keys() {
            check_unvouched_fetch(&a, handle.to_raw(), &a_traces);
        }
        in_a.assert_all_fetch(&a);
        in_b.assert_all_fetch(&b);
    }
}

#[test]
fn stale_handles_of_a_dropped_depot_are_safe_in_a_new_one() {
    let old = StackDepot::with_config(Config::tiny()).expect("tiny");
    let handles: Vec<Handle> = fill(&old, 300, 51).by_handle.keys().copied().collect();
    drop(old);
    let fresh = StackDepot::with_config(Config::tiny()).expect("tiny");
    let none = HashSet::new();
    for &h in &handles {
        assert!(
            !check_unvouched_fetch(&fresh, h.to_raw(), &none),
            "an empty depot returned a trace for {h:?}"
        );
    }
    let saved = fill(&fresh, 50, 52);
    let traces = saved.trace_set();
    for &h in &handles {
        check_unvouched_fetch(&fresh, h.to_raw(), &traces);
    }
}

#[test]
fn zero_is_not_a_handle() {
    assert_eq!(Handle::from_raw(0), None);
    assert_eq!(Handle::from_raw(1).map(Handle::to_raw), Some(1));
    assert_eq!(
        Handle::from_raw(u32::MAX).map(Handle::to_raw),
        Some(u32::MAX)
    );
}

#[test]
fn every_slab_index_is_safe_at_its_edges() {
    // Each addressable slab index, at the offsets around its start and end, with
    // and without caller bits: most name slabs that were never mapped.
    for (config, n) in [(Config::tiny(), 300), (Config::default(), 300)] {
        let depot = StackDepot::with_config(config).expect("config");
        let saved = fill(&depot, n, 61);
        let traces = saved.trace_set();
        let layout = depot.layout();
        for slab in 0..layout.max_slabs() as u32 {
            let base = slab << layout.slab_shift();
            for offset in [0, 1, 2, layout.offset_mask()] {
                check_unvouched_fetch(&depot, base | offset, &traces);
                check_unvouched_fetch(&depot, base | offset | layout.caller_mask(), &traces);
            }
        }
        saved.assert_all_fetch(&depot);
    }
}
