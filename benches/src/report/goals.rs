//! The goals, checked against measured figures.

use serde::Serialize;

use super::{SizeReport, SmallDepotCost, StoreFigures, ValidatorReport};
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
    /// Whether it meets the bound.
    pub met: bool,
}

fn at_most(what: String, bound: f64, measured: f64) -> Goal {
    Goal {
        what,
        target: format!("<= {bound}"),
        measured,
        met: measured <= bound,
    }
}

fn at_least(what: String, bound: f64, measured: f64) -> Goal {
    Goal {
        what,
        target: format!(">= {bound}"),
        measured,
        met: measured >= bound,
    }
}

/// Per-acquisition overhead of a validated mutex with a cached chain, in ns.
pub const LOCK_OVERHEAD_LIMIT_NS: f64 = 50.0;

/// Lowest acceptable ratio of cold event throughput at the largest graph to the
/// smallest (100x fewer classes, dependencies and chains). Our reading of "no
/// super-linear blow-up": per-event cost may grow (caches), but by far less than the graph.
pub const SCALE_THROUGHPUT_FLOOR: f64 = 0.25;

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
        goals.extend(store_goals(&size.size, &size.stores));
    }
    if let Some(small) = small {
        goals.push(Goal {
            what: format!("bytes mapped by a depot of {} traces", small.traces),
            target: format!("< {SMALL_DEPOT_LIMIT}"),
            measured: small.depot_bytes_mapped as f64,
            met: small.depot_bytes_mapped < SMALL_DEPOT_LIMIT,
        });
    }
    if let Some(v) = validator {
        goals.push(at_most(
            "validated lock+unlock overhead vs parking_lot, cached chain (ns)".to_string(),
            LOCK_OVERHEAD_LIMIT_NS,
            v.overhead_ns,
        ));
        if let (Some(first), Some(last)) = (v.scale.first(), v.scale.last())
            && v.scale.len() > 1
        {
            goals.push(at_least(
                format!("cold events/s at {} / at {}", last.size, first.size),
                SCALE_THROUGHPUT_FLOOR,
                last.cold_mevents_per_s / first.cold_mevents_per_s,
            ));
        }
    }
    goals
}

/// The per-store goals (ratios, scaling, bytes per frame) for the depot's entry in
/// `stores`, labelled with `label` (a size or a file name).
pub fn store_goals(label: &str, stores: &[StoreFigures]) -> Vec<Goal> {
    let Some(d) = stores.iter().find(|f| f.store == StackDepotStore::NAME) else {
        return Vec::new();
    };
    let n = label;
    vec![
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
        at_most(
            format!("fetch, ratio vs mutex-hashmap ({n})"),
            0.3,
            d.fetch_ratio,
        ),
        at_least(
            format!("save hit, {} threads / 1 thread ({n})", d.threads),
            1.8,
            d.hit_scaling,
        ),
        at_least(
            format!("fetch, {} threads / 1 thread ({n})", d.threads),
            1.8,
            d.fetch_scaling,
        ),
        at_most(
            format!("bytes per stored frame, index included ({n})"),
            9.5,
            d.bytes_per_frame,
        ),
    ]
}
