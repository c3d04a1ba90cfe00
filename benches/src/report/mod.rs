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

pub(crate) use figures::mops;
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

impl Report {
    /// The report of one run's measurements, with ratios against `mutex-hashmap`
    /// and the goals checked on them: [`evaluate_goals`] on the sizes, the small
    /// depot and the validator, then [`store_goals`] for each SDW1 file.
    pub fn new(
        machine: Machine,
        effort: Effort,
        sizes: Vec<SizeReport>,
        small: Option<SmallDepotCost>,
        validator: Option<ValidatorReport>,
        sdw1: Vec<Sdw1Report>,
    ) -> Report {
        let mut goals = evaluate_goals(&sizes, small.as_ref(), validator.as_ref());
        for f in &sdw1 {
            goals.extend(store_goals(&f.file, &f.stores, f.ceiling.as_ref()));
        }
        Report {
            machine,
            runs: effort.runs,
            threads: effort.threads,
            reference: crate::stores::MutexHashMapStore::NAME.to_string(),
            sizes,
            small,
            validator,
            sdw1,
            goals,
        }
    }
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
