//! The RFC's desktop session through lockdep three times: today's fixed 2^19-word trace array,
//! the RFC's 2^21, and the growable stack depot, side by side.
//!
//! ```text
//! cargo run --release --example fixed_vs_growable [-- --length 2 --scale 0.25 --json out.json]
//! ```

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stackdepot_examples::compare::{CompareConfig, run};
use stackdepot_examples::scenario::{Scenario, ScenarioConfig};
use stackdepot_examples::workload::scenario_workload;

/// Lines of the depot validator's report of the planted inversion to show.
const REPORT_LINES: usize = 40;

#[derive(Parser)]
#[command(
    about = "lockdep's fixed trace arrays against the growable stack depot on the RFC's session"
)]
struct Args {
    /// Sessions of 24 simulated hours to run (the 2^19 array dies at about 14 h).
    #[arg(long, default_value_t = 1, value_parser = parse_length)]
    length: u32,
    /// Size of the session (0.001..=1); below 1 the fixed arrays shrink to match.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Scenario seed.
    #[arg(long, default_value_t = ScenarioConfig::default().seed)]
    seed: u64,
    /// Write the figures as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write every acquisition's trace of the stream as an SDW1 workload to this file.
    #[arg(long)]
    sdw1: Option<PathBuf>,
}

fn parse_length(s: &str) -> Result<u32, String> {
    match s {
        "1" | "2" | "4" => s.parse().map_err(|e| format!("{e}")),
        _ => Err(format!("{s:?} is not 1, 2 or 4")),
    }
}

fn main() -> ExitCode {
    match real_main(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fixed_vs_growable: {e}");
            ExitCode::FAILURE
        }
    }
}

fn real_main(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let scenario = ScenarioConfig {
        seed: args.seed,
        scale: args.scale,
        length: args.length,
    };
    let planned = Scenario::new(scenario)?.planned_events();
    let bar = ProgressBar::new(planned);
    if std::io::stdout().is_terminal() {
        bar.set_style(ProgressStyle::with_template(
            "{bar:40} {pos}/{len} events ({eta} left)",
        )?);
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let comparison = run(&CompareConfig::rfc(scenario), &mut |done| {
        bar.set_position(done)
    })?;
    bar.finish_and_clear();

    print!("{comparison}");
    if let Some(report) = comparison
        .runs
        .iter()
        .rev()
        .find_map(|r| r.inversion_report.as_ref().map(|t| (r, t)))
    {
        let (r, text) = report;
        println!();
        println!(
            "The planted inversion as {} reported it (first {REPORT_LINES} lines):",
            r.label
        );
        for line in text.lines().take(REPORT_LINES) {
            println!("  | {line}");
        }
    }
    println!();
    println!(
        "wall time: {:.1} s (stream generation included)",
        comparison.wall_ms as f64 / 1000.0
    );

    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&comparison)?)?;
        println!("figures written to {}", path.display());
    }
    if let Some(path) = &args.sdw1 {
        let sdw = scenario_workload(scenario, None)?;
        sdw.write_path(path)?;
        println!(
            "{} acquisition traces ({} distinct) written to {}",
            sdw.n_events(),
            sdw.n_traces(),
            path.display()
        );
    }
    Ok(())
}
