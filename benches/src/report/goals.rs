//! The goals, checked against measured figures.

use serde::Serialize;

use super::{SizeReport, SmallDepotCost, StoreFigures, ValidatorReport};
use crate::calibration::MachineCeiling;
use crate::stores::StackDepotStore;

/// Bytes a depot holding 2k traces may have mapped ("must not cost megabytes").
pub const SMALL_DEPOT_LIMIT: u64 = 1 << 20;

/// One goal and whether the measurement meets it.
#[derive(Clone, Debug, Serialize)]
pub struct Goal {
    /// What is measured, e.g. "hit ratio vs mutex-hashmap (kasan)".
    pub what: String,
    /// The bound, as text ("<= 0.45").
    pub target: String,
    /// The measured value.
    pub measured: f64,
    /// Whether it meets the bound (always true for an informational row, which
    /// has no bound to miss).
    pub met: bool,
    /// A figure shown beside the goals for context, with no bound: not a goal,
    /// not counted as met or missed.
    pub informational: bool,
    /// For a scaling goal: how work that shares nothing scaled in the same runs,
    /// shown beside the verdict so a machine limit can be told from the store's.
    /// Context only: the verdict is against the goal's own bound.
    pub ceiling: Option<MachineCeiling>,
}

fn at_most(what: String, bound: f64, measured: f64) -> Goal {
    Goal {
        what,
        target: format!("<= {bound}"),
        measured,
        met: measured <= bound,
        informational: false,
        ceiling: None,
    }
}

fn at_least(what: String, bound: f64, measured: f64) -> Goal {
    Goal {
        what,
        target: format!(">= {bound}"),
        measured,
        met: measured >= bound,
        informational: false,
        ceiling: None,
    }
}

/// Target text of an informational row.
const INFORMATIONAL_TARGET: &str = "none (informational)";

fn informational(what: String, measured: f64) -> Goal {
    Goal {
        what,
        target: INFORMATIONAL_TARGET.to_string(),
        measured,
        met: true,
        informational: true,
        ceiling: None,
    }
}

/// 2-thread over 1-thread throughput the save-hit and fetch goals ask for.
pub const SCALING_LIMIT: f64 = 1.8;

/// Per-acquisition overhead of a validated mutex with a cached chain, in ns.
pub const LOCK_OVERHEAD_LIMIT_NS: f64 = 50.0;

/// Our reading of "no super-linear blow-up": building the graph (cold replay)
/// may cost more per event at 100x the size only as much as replaying the same
/// events with every chain cached (warm replay, O(1) per event, so its growth is
/// the memory hierarchy's). The bound is on (cold ns/event / warm ns/event) at the
/// largest size divided by the same at the smallest.
pub const SCALE_COLD_WARM_GROWTH_LIMIT: f64 = 2.0;

/// Checks the goals on the KASAN size (or, if absent, the largest size measured),
/// the small-depot cost and the validator figures.
pub fn evaluate_goals(
    sizes: &[SizeReport],
    small: Option<&SmallDepotCost>,
    validator: Option<&ValidatorReport>,
) -> Vec<Goal> {
    let mut goals = Vec::new();
    let size = sizes
        .iter()
        .find(|s| s.size == "kasan")
        .or_else(|| sizes.iter().max_by_key(|s| s.traces));
    if let Some(size) = size {
        goals.extend(store_goals(&size.size, &size.stores, size.ceiling.as_ref()));
    }
    if let Some(small) = small {
        goals.push(Goal {
            what: format!("bytes mapped by a depot of {} traces", small.traces),
            target: format!("< {SMALL_DEPOT_LIMIT}"),
            measured: small.depot_bytes_mapped as f64,
            met: small.depot_bytes_mapped < SMALL_DEPOT_LIMIT,
            informational: false,
            ceiling: None,
        });
    }
    if let Some(v) = validator {
        goals.push(at_most(
            "validated lock+unlock overhead vs parking_lot, cached chain (ns)".to_string(),
            LOCK_OVERHEAD_LIMIT_NS,
            v.overhead_ns,
        ));
        let clustered: Vec<_> = v
            .scale
            .iter()
            .filter(|s| s.shape == crate::validator::Shape::Clustered)
            .collect();
        if let (Some(first), Some(last)) = (clustered.first(), clustered.last())
            && clustered.len() > 1
        {
            // cold ns/event / warm ns/event = warm Mev/s / cold Mev/s.
            let cold_over_warm =
                |s: &crate::validator::ScaleFigures| s.warm_mevents_per_s / s.cold_mevents_per_s;
            goals.push(at_most(
                format!(
                    "(cold/warm ns per event) at {} / at {}",
                    last.size, first.size
                ),
                SCALE_COLD_WARM_GROWTH_LIMIT,
                cold_over_warm(last) / cold_over_warm(first),
            ));
        }
    }
    goals
}

/// The machine ceilings the goals carry, one per label, in the goals' order: what
/// the goals table explains beneath it.
pub fn goal_ceilings(goals: &[Goal]) -> Vec<&MachineCeiling> {
    let mut out: Vec<&MachineCeiling> = Vec::new();
    for c in goals.iter().filter_map(|g| g.ceiling.as_ref()) {
        if !out.iter().any(|o| o.label == c.label) {
            out.push(c);
        }
    }
    out
}

/// The per-store goals (ratios, scaling, bytes per frame) for the depot's entry in
/// `stores`, labelled with `label` (a size or a file name). The scaling goals carry
/// `ceiling`, the machine's ceiling measured in the same runs, as context.
///
/// "fetch" is the fetch call alone, handle to slice
/// ([`TraceStore::fetch_slice`](crate::TraceStore::fetch_slice)): the goal is about
/// the call, and reading the frames afterwards is the caller's work, the same in
/// every store. "fetch + read every frame" follows the fetch goals as an
/// informational row, so the figure that includes the read is never left out.
/// Likewise "save new" (wall time on the saving thread) is followed, where
/// measured, by the process's CPU time per insert over all threads, which counts
/// the page population the depot's background thread does for the saver.
pub fn store_goals(
    label: &str,
    stores: &[StoreFigures],
    ceiling: Option<&MachineCeiling>,
) -> Vec<Goal> {
    let Some(d) = stores.iter().find(|f| f.store == StackDepotStore::NAME) else {
        return Vec::new();
    };
    // Every run disturbed by other processes: say so in the goal's text (the
    // verdict is still computed, but says little).
    let n = if d.runs > 0 && d.disturbed_runs >= d.runs {
        format!("{label}; every run disturbed: unreliable")
    } else {
        label.to_string()
    };
    let scaling = |what: String, measured: f64| Goal {
        ceiling: ceiling.cloned(),
        ..at_least(what, SCALING_LIMIT, measured)
    };
    let mut goals = vec![
        at_most(
            format!("save hit, ratio vs mutex-hashmap ({n})"),
            0.45,
            d.hit_ratio,
        ),
        at_most(
            format!("save new, ratio vs mutex-hashmap ({n})"),
            0.25,
            d.insert_ratio,
        ),
    ];
    // Right after the "save new" goal it puts in perspective.
    goals.extend(d.insert_cpu_ratio.map(|r| {
        informational(
            format!("save new, process CPU time (all threads), ratio vs mutex-hashmap ({n})"),
            r,
        )
    }));
    goals.extend([
        at_most(
            format!("fetch, ratio vs mutex-hashmap ({n})"),
            0.3,
            d.fetch_ratio,
        ),
        scaling(
            format!("save hit, {} threads / 1 thread ({n})", d.threads),
            d.hit_scaling,
        ),
        scaling(
            format!("fetch, {} threads / 1 thread ({n})", d.threads),
            d.fetch_scaling,
        ),
        informational(
            format!("fetch + read every frame, ratio vs mutex-hashmap ({n})"),
            d.fetch_read_ratio,
        ),
        at_most(
            format!("bytes per stored frame, index included ({n})"),
            9.5,
            d.bytes_per_frame,
        ),
    ]);
    goals
}
