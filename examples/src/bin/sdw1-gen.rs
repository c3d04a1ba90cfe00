//! Writes SDW1 trace workloads: the depot benches' two (`rfc`, `kasan`), the scenario's
//! acquisition traces (`scenario`), and prints a summary of any SDW1 file (`info`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stackdepot_examples::scenario::ScenarioConfig;
use stackdepot_examples::sdw1::Sdw1;
use stackdepot_examples::workload::{WorkloadSpec, scenario_workload};

#[derive(Parser)]
#[command(about = "Generate or inspect SDW1 stack-trace workloads")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// lockdep at the RFC's size: 22080 traces of ~20.7 frames, 98k saves.
    Rfc {
        /// Output file.
        #[arg(short, long, default_value = "rfc.sdw1")]
        out: PathBuf,
        /// Multiply traces and saves by this factor.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// KASAN-like: 200k distinct traces of ~24 frames, 4M saves (95% hits).
    Kasan {
        /// Output file.
        #[arg(short, long, default_value = "kasan.sdw1")]
        out: PathBuf,
        /// Multiply traces and saves by this factor.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Seed.
        #[arg(long, default_value_t = 2)]
        seed: u64,
    },
    /// Every acquisition's trace of the RFC scenario, in stream order.
    Scenario {
        /// Output file.
        #[arg(short, long, default_value = "scenario.sdw1")]
        out: PathBuf,
        /// Scenario scale (0.001..=1).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Sessions of 24 simulated hours.
        #[arg(long, default_value_t = 1)]
        length: u32,
        /// Seed.
        #[arg(long, default_value_t = ScenarioConfig::default().seed)]
        seed: u64,
    },
    /// Validate an SDW1 file and print its figures.
    Info {
        /// The file.
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sdw1-gen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let (sdw, out) = match cli.command {
        Command::Rfc { out, scale, seed } => (
            WorkloadSpec {
                seed,
                ..WorkloadSpec::rfc()
            }
            .scaled(scale)
            .generate(),
            out,
        ),
        Command::Kasan { out, scale, seed } => (
            WorkloadSpec {
                seed,
                ..WorkloadSpec::kasan()
            }
            .scaled(scale)
            .generate(),
            out,
        ),
        Command::Scenario {
            out,
            scale,
            length,
            seed,
        } => (
            scenario_workload(
                ScenarioConfig {
                    seed,
                    scale,
                    length,
                },
                None,
            )?,
            out,
        ),
        Command::Info { path } => {
            let sdw = Sdw1::read_path(&path)?;
            println!("{}:", path.display());
            print!("{}", sdw.summary());
            return Ok(());
        }
    };
    sdw.write_path(&out)?;
    println!("wrote {}:", out.display());
    print!("{}", sdw.summary());
    Ok(())
}
