//! `bench-report`: everything `docs/benchmarks.md` shows, collected in one process
//! and rendered as markdown with SVG charts.
//!
//! The measurements themselves are the ones `depot-report` makes
//! ([`crate::report`]) and the `fixed_vs_growable` demo's comparison
//! ([`stackdepot_examples::compare`]); this module adds what the document needs on
//! top: a thread sweep for the throughput chart, the depot's memory sampled along
//! the RFC scenario for the memory chart, a description of the build environment,
//! and the rendering.

mod charts;
mod environment;
mod markdown;
mod memory_curve;
mod scenario_runs;
mod thread_sweep;

pub use charts::{
    ChartFile, FixedLine, MemoryChart, memory_chart_svg, throughput_chart_svg, write_chart,
};
pub use environment::{Environment, Phase};
pub use markdown::{markdown_table, render_markdown};
pub use memory_curve::{MemorySample, sample_depot_memory};
pub use scenario_runs::{BackendFigures, ScenarioFigures, run_scenario};
pub use thread_sweep::{StoreSweep, SweepPoint, ThreadSweep, measure_thread_sweep};

use serde::Serialize;

/// How much `bench-report` measured (printed in the document so every figure's
/// sample size is known).
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    /// `--quick`: a smoke run, not a result.
    pub quick: bool,
    /// Repetitions of each `depot-report` measurement (medians reported).
    pub runs: usize,
    /// Saves per hit measurement, per thread.
    pub hit_ops: u64,
    /// Fetches per fetch measurement, per thread.
    pub fetch_ops: u64,
    /// Graph sizes of the validator's scale measurement.
    pub validator_scales: Vec<String>,
    /// Thread counts of the throughput sweep.
    pub sweep_threads: Vec<usize>,
    /// Repetitions of the sweep.
    pub sweep_runs: usize,
    /// Scenario scale of the fixed-vs-growable comparison.
    pub scenario_scale: f64,
    /// Scenario lengths (24-hour sessions) compared.
    pub scenario_lengths: Vec<u32>,
}

/// Everything the document shows.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Machine, toolchain, source, load, and how long each phase took.
    pub environment: Environment,
    /// Sample sizes.
    pub settings: Settings,
    /// `depot-report`'s figures: every store on the RFC and KASAN sizes, the small
    /// depot, the validator, the goals.
    pub depot: crate::report::Report,
    /// Save-hit and fetch throughput against thread count at one size.
    pub sweep: Option<ThreadSweep>,
    /// The fixed-vs-growable comparison, one entry per scenario length.
    pub scenarios: Vec<ScenarioFigures>,
    /// The growable depot's memory along the longest scenario measured.
    pub memory_curve: Vec<MemorySample>,
}
