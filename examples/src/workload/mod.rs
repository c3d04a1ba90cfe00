//! SDW1 workloads: the depot benches' synthetic ones and the scenario's acquisition traces.

mod bench;
mod from_scenario;

pub use bench::WorkloadSpec;
pub use from_scenario::scenario_workload;
