//! Exact deduplication: equal frame sequences get equal handles, different ones
//! different handles, whatever a hash of them might say.
//!
//! A collision in the depot's hash cannot be forced from outside, so these tests
//! save large families of near-identical traces (shared prefixes, one differing
//! frame, one flipped bit, other lengths, permutations) where a weak or
//! length-blind hash, or a comparison of only a prefix or only the hash, would merge two.

use std::collections::HashSet;

use stackdepot::{Config, StackDepot};

use crate::support::{SavedTraces, tiny_depot};

/// Traces that differ from `base` in the smallest ways.
fn near_identical_family(base: &[usize]) -> Vec<Vec<usize>> {
    let mut family = vec![base.to_vec()];
    // Every prefix, and the trace extended by one frame of several kinds.
    for len in 1..base.len() {
        family.push(base[..len].to_vec());
    }
    for extra in [0usize, 1, base[0], base[base.len() - 1], usize::MAX] {
        let mut t = base.to_vec();
        t.push(extra);
        family.push(t);
    }
    // The last frame, the first frame and every other frame changed.
    for k in 0..base.len() {
        for delta in [1usize, 0x10, 1 << 32] {
            let mut t = base.to_vec();
            t[k] = t[k].wrapping_add(delta);
            family.push(t);
        }
    }
    // One bit flipped, at every frame and every bit position.
    for k in 0..base.len() {
        for bit in 0..usize::BITS {
            let mut t = base.to_vec();
            t[k] ^= 1 << bit;
            family.push(t);
        }
    }
    // Two frames swapped (order matters), rotations and the reversal.
    for i in 0..base.len() {
        for j in i + 1..base.len() {
            let mut t = base.to_vec();
            t.swap(i, j);
            family.push(t);
        }
        let mut t = base.to_vec();
        t.rotate_left(i);
        family.push(t);
    }
    let mut t = base.to_vec();
    t.reverse();
    family.push(t);
    // Frame values a hash might fold away: zeros of every length, all-ones.
    for len in 1..=base.len() + 1 {
        family.push(vec![0; len]);
        family.push(vec![usize::MAX; len]);
    }
    family
}

fn base_trace(len: usize) -> Vec<usize> {
    (0..len).map(|k| 0x5555_0000_1000 + k * 0x37).collect()
}

/// Saves every member of `family` (twice, in two orders) and checks exact dedup:
/// one handle per distinct trace, distinct handles for distinct traces, exact fetch.
fn assert_exact_dedup(depot: &StackDepot, family: &[Vec<usize>]) {
    let distinct: HashSet<&Vec<usize>> = family.iter().collect();
    let mut saved = SavedTraces::default();
    for trace in family {
        let handle = depot
            .save(trace)
            .unwrap_or_else(|e| panic!("save of {} frames failed: {e:?}", trace.len()));
        saved.record(trace, handle);
    }
    for trace in family.iter().rev() {
        let handle = depot.save(trace).expect("re-save of a stored trace failed");
        saved.record(trace, handle);
    }
    assert_eq!(saved.by_trace.len(), distinct.len());
    assert_eq!(
        saved.by_handle.len(),
        distinct.len(),
        "distinct traces must have distinct handles"
    );
    saved.assert_all_fetch(depot);
    let stats = depot.stats();
    assert_eq!(
        stats.traces,
        distinct.len() as u64,
        "stats.traces must count each distinct trace once\n{stats}"
    );
    assert_eq!(stats.frames, saved.frames(), "stats.frames\n{stats}");
}

#[test]
fn equal_contents_from_different_buffers_get_one_handle() {
    let depot = StackDepot::new();
    let a = vec![0x10usize, 0x20, 0x30];
    let b: Vec<usize> = a.to_vec();
    let c = [0x10usize, 0x20, 0x30];
    let ha = depot.save(&a).expect("save a");
    assert_eq!(depot.save(&b), Ok(ha));
    assert_eq!(depot.save(&c), Ok(ha));
    assert_eq!(depot.save(&a[..]), Ok(ha));
    let stats = depot.stats();
    assert_eq!(stats.traces, 1);
    assert_eq!(stats.dedup_hits, 3);
}

#[test]
fn near_identical_traces_are_told_apart_default_config() {
    let depot = StackDepot::new();
    let family = near_identical_family(&base_trace(12));
    assert!(
        family.len() > 12 * 64,
        "the family holds every one-bit flip"
    );
    assert_exact_dedup(&depot, &family);
}

#[test]
fn near_identical_traces_are_told_apart_across_slabs_and_index_growth() {
    // Tiny slabs and 8-slot index tables: the family spans many slabs and every
    // index table grows several times while it is being saved.
    let depot = tiny_depot();
    let max = depot.config().max_frames;
    let family: Vec<Vec<usize>> = near_identical_family(&base_trace(max - 1))
        .into_iter()
        .filter(|t| t.len() <= max)
        .collect();
    assert_exact_dedup(&depot, &family);
    assert!(
        depot.stats().slabs > 1,
        "the family should fill more than one tiny slab"
    );
}

#[test]
fn every_permutation_of_a_short_trace_is_distinct() {
    let depot = StackDepot::with_config(Config::tiny()).expect("tiny config");
    let frames = [0x1usize, 0x2, 0x3, 0x4, 0x5, 0x6];
    let mut perms = Vec::new();
    permutations(&mut frames.to_vec(), 0, &mut perms);
    assert_eq!(perms.len(), 720);
    assert_exact_dedup(&depot, &perms);
}

fn permutations(items: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
    if k == items.len() {
        out.push(items.clone());
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, out);
        items.swap(k, i);
    }
}

#[test]
fn traces_that_differ_only_in_length_are_distinct() {
    // Runs of one repeated value: only the length tells them apart.
    let depot = StackDepot::new();
    let max = depot.config().max_frames;
    let mut family = Vec::new();
    for value in [0usize, 1, 0xdead_beef, usize::MAX] {
        for len in 1..=max {
            family.push(vec![value; len]);
        }
    }
    assert_exact_dedup(&depot, &family);
}
