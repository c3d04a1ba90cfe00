//! The `depot-report` measurements: every store on the same workloads in one
//! process, interleaved, medians of several runs, without criterion. Produces a
//! plain-text table and (optionally) JSON for the report generator.

mod figures;
mod goals;
pub mod machine;
pub mod sdw1_replay;
pub mod synthetic;
mod table;
pub mod validator;

pub use figures::{StoreFigures, fill_ratios};
pub use goals::{
    Goal, LOCK_OVERHEAD_LIMIT_NS, SCALE_COLD_WARM_GROWTH_LIMIT, SCALING_LIMIT, SMALL_DEPOT_LIMIT,
    evaluate_goals, goal_ceilings, store_goals,
};
pub use machine::Machine;
pub use sdw1_replay::{Sdw1Report, replay_file};
pub use synthetic::{Effort, SizeReport, SmallDepotCost, measure_size, small_depot_cost};
pub use table::render;
pub use validator::{ValidatorReport, measure_validator};

use serde::Serialize;

/// Everything one `depot-report` run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Where it ran.
    pub machine: Machine,
    /// Repetitions per measurement (medians reported).
    pub runs: usize,
    /// Threads in the concurrent measurements.
    pub threads: usize,
    /// The store every ratio is against.
    pub reference: String,
    /// One entry per synthetic size.
    pub sizes: Vec<SizeReport>,
    /// The small-depot fixed cost.
    pub small: Option<SmallDepotCost>,
    /// The validator's figures.
    pub validator: Option<ValidatorReport>,
    /// SDW1 workload files replayed (`--sdw1`).
    pub sdw1: Vec<Sdw1Report>,
    /// The goals checked against these numbers.
    pub goals: Vec<Goal>,
}

#[cfg(test)]
impl Report {
    /// A 3-run, 2-thread report against mutex-hashmap with only `sizes` and
    /// `goals` filled in: what the renderers' tests need.
    pub(crate) fn for_test(sizes: Vec<SizeReport>, goals: Vec<Goal>) -> Report {
        Report {
            machine: Machine::default(),
            runs: 3,
            threads: 2,
            reference: "mutex-hashmap".into(),
            sizes,
            small: None,
            validator: None,
            sdw1: Vec::new(),
            goals,
        }
    }
}
