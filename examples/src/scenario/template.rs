//! A code path: an entry, a walk through the call graph and the locks it takes on the way,
//! each with the stack trace of its acquisition site. Executions of one path repeat its traces.

use std::sync::Arc;

use lockdep_graph::Mode;
use rand::RngExt;

use super::calibration as cal;
use super::callgraph::{CallGraph, ENTRY_WEIGHTS, EntryKind, FnId};
use super::classes::{ClassUniverse, FamilyId};
use super::sampling::{Rng, clamped_normal};

/// One lock site of a code path.
#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) family: FamilyId,
    pub(crate) mode: Mode,
    pub(crate) trylock: bool,
    /// Held locks released (innermost first) before this one is taken.
    pub(crate) release_before: usize,
    /// The acquisition's stack trace, innermost first.
    pub(crate) frames: Arc<[usize]>,
}

/// A code path.
#[derive(Debug)]
pub(crate) struct Template {
    pub(crate) kind: EntryKind,
    /// Which entry path of `kind` (for kernel threads: which thread runs it).
    pub(crate) entry: usize,
    pub(crate) steps: Vec<Step>,
}

impl Template {
    /// Draws a new code path.
    pub(crate) fn generate(graph: &CallGraph, classes: &ClassUniverse, rng: &mut Rng) -> Template {
        let kind = EntryKind::ALL[weighted(&ENTRY_WEIGHTS, rng)];
        let (entry, entry_path) = graph.pick_entry(kind, rng);
        let subsystem = classes.pick_subsystem(rng);

        let n = weighted(&cal::STEP_COUNT_WEIGHTS, rng) + 1;
        let mut families: Vec<FamilyId> = (0..n)
            .map(|_| classes.pick_family(subsystem, rng))
            .collect();
        families.sort_by(|&a, &b| {
            let (ra, rb) = (
                classes.families[a as usize].rank,
                classes.families[b as usize].rank,
            );
            ra.total_cmp(&rb).then(a.cmp(&b))
        });
        families.dedup();

        // The path's own route from its entry into the subsystem; its locks branch off it.
        let mut spine: Vec<FnId> = Vec::new();
        graph.walk(&mut spine, cal::DEPTH_MAX, rng);

        let mut steps = Vec::with_capacity(families.len());
        for (i, &family) in families.iter().enumerate() {
            let fam = &classes.families[family as usize];
            let mode = fam.kind.pick_mode(rng);
            let depth = clamped_normal(
                rng,
                cal::DEPTH_MEAN,
                cal::DEPTH_SD,
                cal::DEPTH_MIN,
                cal::DEPTH_MAX,
            );
            // depth = entry frames + middle functions + primitive + lock_acquire.
            let middle = depth.saturating_sub(entry_path.len() + 2).max(1);
            let shared = rng.random_range(0..middle).min(spine.len());
            let mut path: Vec<FnId> = entry_path.to_vec();
            path.extend_from_slice(&spine[..shared]);
            let mut own = spine[..shared].to_vec();
            graph.walk(&mut own, middle - shared, rng);
            path.extend_from_slice(&own[shared..]);
            path.push(graph.primitive(fam.kind, mode.is_read(), rng));
            let release_before = if i == 0 || rng.random_bool(cal::NEST_PROBABILITY) {
                0
            } else {
                1
            };
            let trylock = i > 0 && rng.random_bool(cal::TRYLOCK_PROBABILITY);
            steps.push(Step {
                family,
                mode,
                trylock,
                release_before,
                frames: graph.trace(&path).into(),
            });
        }
        Template { kind, entry, steps }
    }
}

/// An index drawn with the given relative weights.
pub(crate) fn weighted(weights: &[f64], rng: &mut Rng) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random_range(0.0..total);
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}
