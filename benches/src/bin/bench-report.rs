//! `bench-report`: the one command that regenerates `docs/benchmarks.md` and its
//! SVG charts (`docs/img/`). It runs `depot-report`'s measurements (every store at
//! the RFC and KASAN-like sizes, the small depot, the validator, the goals), a
//! thread sweep, and the `fixed_vs_growable` comparison, all in this process.
//!
//! ```text
//! cargo run --release -p stackdepot-benches --bin bench-report            # the real run
//! cargo run --release -p stackdepot-benches --bin bench-report -- --quick # smoke run
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use stackdepot_benches::report::{self, Effort, Report};
use stackdepot_benches::report_md::{
    self, BenchReport, Environment, Settings, report_charts, write_chart,
};
use stackdepot_benches::validator::GraphSpec;
use stackdepot_benches::{SizeSpec, StoreKind};
use stackdepot_examples::scenario::ScenarioConfig;

/// Regenerate docs/benchmarks.md (tables and SVG charts) from one measuring run.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Few repetitions, a small scenario: a smoke test of the generator, not a result.
    #[arg(long)]
    quick: bool,
    /// The markdown file to write; the charts go to `img/` beside it.
    /// Default: docs/benchmarks.md in the workspace.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Repetitions of each store and validator measurement (default 9, quick 3).
    #[arg(long)]
    runs: Option<usize>,
    /// Repetitions of the thread sweep (default 5, quick 1).
    #[arg(long)]
    sweep_runs: Option<usize>,
    /// Thread counts of the throughput sweep.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    sweep_threads: Vec<usize>,
    /// Scenario lengths (24-hour sessions) of the fixed-vs-growable comparison
    /// (default 1,2; quick 1).
    #[arg(long, value_delimiter = ',')]
    lengths: Option<Vec<u32>>,
    /// Scenario scale (default 1, the RFC's session; quick 0.1).
    #[arg(long)]
    scale: Option<f64>,
    /// Largest validator graph: full (10k/100k/1M), tenth, hundredth (default full, quick tenth).
    #[arg(long)]
    validator_scale: Option<String>,
    /// Also replay these SDW1 workload files through every store (repeatable).
    #[arg(long, value_name = "FILE")]
    sdw1: Vec<PathBuf>,
    /// Also write every figure as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-report: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `docs/benchmarks.md` of the workspace this binary was built from, so the command
/// works from any directory.
fn default_out() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("docs")
        .join("benchmarks.md")
}

fn run(args: &Args) -> Result<(), String> {
    let mut env = Environment::probe();
    if !env.machine.optimized {
        eprintln!("bench-report: warning: debug build; run with --release for meaningful numbers");
    }
    let mut effort = if args.quick {
        Effort::QUICK
    } else {
        Effort::FULL
    };
    if let Some(runs) = args.runs {
        effort.runs = runs.max(1);
    }
    let scales =
        GraphSpec::scales_up_to(args.validator_scale.as_deref().unwrap_or(if args.quick {
            "tenth"
        } else {
            "full"
        }))?;
    let lengths = args
        .lengths
        .clone()
        .unwrap_or_else(|| if args.quick { vec![1] } else { vec![1, 2] });
    let scale = args.scale.unwrap_or(if args.quick { 0.1 } else { 1.0 });
    let sweep_runs = args
        .sweep_runs
        .unwrap_or(if args.quick { 1 } else { 5 })
        .max(1);
    let settings = Settings {
        quick: args.quick,
        runs: effort.runs,
        hit_ops: effort.hit_ops,
        fetch_ops: effort.fetch_ops,
        validator_scales: scales.iter().map(|s| s.name.to_string()).collect(),
        sweep_threads: args.sweep_threads.clone(),
        sweep_runs,
        scenario_scale: scale,
        scenario_lengths: lengths.clone(),
    };
    let scenarios_configs: Vec<ScenarioConfig> = lengths
        .iter()
        .map(|&length| {
            let c = ScenarioConfig {
                scale,
                length,
                ..ScenarioConfig::default()
            };
            c.validate()
                .map(|()| c)
                .map_err(|e| format!("scenario: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let out = args.out.clone().unwrap_or_else(default_out);
    let img_dir = out
        .parent()
        .map_or_else(|| PathBuf::from("img"), |d| d.join("img"));
    let mut progress = |line: &str| eprintln!("  {line}");
    let kinds = StoreKind::ALL;

    let mut sizes = Vec::new();
    for spec in SizeSpec::BENCH_SIZES {
        sizes.push(report::measure_size(spec, &kinds, effort, &mut progress)?);
        env.end_phase(&format!("stores at the {} size", spec.name));
    }
    let small = report::small_depot_cost(&kinds)?;
    env.end_phase("small depot");
    let validator = report::measure_validator(effort.runs, &scales, &mut progress);
    env.end_phase("validator");
    let sweep = report_md::measure_thread_sweep(
        SizeSpec::KASAN,
        &kinds,
        &args.sweep_threads,
        sweep_runs,
        effort.hit_ops,
        effort.fetch_ops,
        &mut progress,
    )?;
    env.end_phase("thread sweep at the kasan size");
    let mut scenarios = Vec::new();
    for config in &scenarios_configs {
        progress(&format!(
            "fixed vs growable: scale {}, length {}",
            config.scale, config.length
        ));
        scenarios.push(report_md::run_scenario(*config)?);
        env.end_phase(&format!(
            "fixed vs growable, {:.0} simulated hours",
            config.total_hours()
        ));
    }
    let memory_curve = match scenarios_configs.iter().max_by_key(|c| c.length) {
        Some(&config) => {
            progress("depot memory along the longest scenario");
            // About 500 points along the stream.
            let every = (config.planned_events() / 500).max(1);
            let curve = report_md::sample_depot_memory(config, every)?;
            env.end_phase("depot memory curve");
            curve
        }
        None => Vec::new(),
    };
    let mut sdw1 = Vec::new();
    for path in &args.sdw1 {
        sdw1.push(report::replay_file(path, &kinds, effort, &mut progress)?);
        env.end_phase(&format!("sdw1 {}", path.display()));
    }
    env.finish();

    let depot = Report::new(
        env.machine.clone(),
        effort,
        sizes,
        Some(small),
        Some(validator),
        sdw1,
    );
    let bench = BenchReport {
        environment: env,
        settings,
        depot,
        sweep: Some(sweep),
        scenarios,
        memory_curve,
    };

    print!("{}", report::render(&bench.depot));
    for chart in report_charts(&bench)? {
        let path = write_chart(&img_dir, &chart)?;
        eprintln!("bench-report: wrote {}", path.display());
    }
    let markdown = report_md::render_markdown(&bench, "img");
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::write(&out, markdown).map_err(|e| format!("writing {}: {e}", out.display()))?;
    eprintln!(
        "bench-report: wrote {} in {:.1} s",
        out.display(),
        bench.environment.total_seconds
    );
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&bench).map_err(|e| format!("serialising: {e}"))?;
        std::fs::write(path, json).map_err(|e| format!("writing {}: {e}", path.display()))?;
        eprintln!("bench-report: wrote {}", path.display());
    }
    Ok(())
}
