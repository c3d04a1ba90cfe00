//! `depot-report`: measures the depot and the baselines in one process, without
//! criterion, and prints ns/op, ratios against the hand-written store, 1- vs
//! 2-thread scaling, bytes per frame and the small-depot cost.
//!
//! ```text
//! cargo run --release -p stackdepot-benches --bin depot-report -- [--quick] [--json out.json]
//! cargo run --release -p stackdepot-benches --bin depot-report -- --sdw1 kasan.sdw1 [--sdw1 rfc.sdw1]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use stackdepot_benches::report::{self, Effort, Machine, Report};
use stackdepot_benches::validator::GraphSpec;
use stackdepot_benches::{SizeSpec, StoreKind};

/// Measure stackdepot against a mutex-guarded HashMap, DashMap and lockdep's fixed array.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Sizes to measure, comma-separated: rfc, kasan, small.
    #[arg(long, value_delimiter = ',', default_value = "rfc,kasan")]
    sizes: Vec<String>,
    /// Stores to measure, comma-separated (mutex-hashmap is always added: ratios need it).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "mutex-hashmap,stackdepot,stackdepot-thp,dashmap,kernel-fixed"
    )]
    stores: Vec<String>,
    /// Repetitions of each measurement (medians are reported).
    #[arg(long)]
    runs: Option<usize>,
    /// Fewer runs and operations: a quick look, not a result.
    #[arg(long)]
    quick: bool,
    /// Threads in the concurrent measurements.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Skip the mixed save stream (4M saves at KASAN size).
    #[arg(long)]
    no_stream: bool,
    /// Skip the store comparison (synthetic sizes and small depot).
    #[arg(long)]
    no_stores: bool,
    /// Skip the validator measurements.
    #[arg(long)]
    no_validator: bool,
    /// Largest validator graph: full (10k/100k/1M), tenth, hundredth. The dense
    /// shape is measured at a hundredth and a tenth only.
    #[arg(long, default_value = "full")]
    validator_scale: String,
    /// Replay these SDW1 workload files through every store instead of the synthetic
    /// sizes and the validator (repeatable). A store that returns different ids for one
    /// trace, or fetches a trace wrong, is an error (exit status 1).
    #[arg(long, value_name = "FILE")]
    sdw1: Vec<PathBuf>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("depot-report: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let mut kinds = vec![StoreKind::MutexHashMap];
    for name in &args.stores {
        let kind = StoreKind::from_name(name).ok_or_else(|| format!("unknown store {name:?}"))?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    let specs = args
        .sizes
        .iter()
        .map(|n| SizeSpec::by_name(n).ok_or_else(|| format!("unknown size {n:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut effort = if args.quick {
        Effort::QUICK
    } else {
        Effort::FULL
    };
    if let Some(runs) = args.runs {
        effort.runs = runs.max(1);
    }
    effort.threads = args.threads.max(1);
    effort.stream = !args.no_stream;

    let mut machine = Machine::probe();
    if !machine.optimized {
        eprintln!("depot-report: warning: debug build; run with --release for meaningful numbers");
    }
    let mut progress = |line: &str| eprintln!("  {line}");
    let scales = GraphSpec::scales_up_to(&args.validator_scale)?;
    let mut sizes = Vec::new();
    let mut small = None;
    let mut sdw1 = Vec::new();
    let sdw1_mode = !args.sdw1.is_empty();
    for path in &args.sdw1 {
        sdw1.push(report::replay_file(path, &kinds, effort, &mut progress)?);
    }
    if !args.no_stores && !sdw1_mode {
        for spec in specs {
            sizes.push(report::measure_size(spec, &kinds, effort, &mut progress)?);
        }
        small = Some(report::small_depot_cost(&kinds)?);
    }
    let validator = if args.no_validator || sdw1_mode {
        None
    } else {
        Some(report::measure_validator(
            effort.runs,
            &scales,
            &mut progress,
        ))
    };
    machine.finish();
    let report = Report::new(machine, effort, sizes, small, validator, sdw1);
    print!("{}", report::render(&report));
    if let Some(path) = &args.json {
        let json =
            serde_json::to_string_pretty(&report).map_err(|e| format!("serialising: {e}"))?;
        std::fs::write(path, json).map_err(|e| format!("writing {}: {e}", path.display()))?;
        eprintln!("depot-report: wrote {}", path.display());
    }
    Ok(())
}
