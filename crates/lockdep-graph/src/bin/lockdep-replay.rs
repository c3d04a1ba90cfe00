//! `lockdep-replay`: replays lock-event logs through the lockdep-graph validator.
//!
//! ```text
//! lockdep-replay [--json] [--stats] [--store depot|fixed:BITS] FILE...
//! ```
//!
//! All FILEs (`-` is stdin) are replayed in order as one run on one validator. Exit status:
//! 0 no findings, 1 findings, 2 bad input or bad flags (`file:line: reason` on stderr).

use std::io::{self, Read, Write};
use std::process::ExitCode;

use lockdep_graph::StoreKind;
use lockdep_graph::fixed_store::{MAX_BITS, MIN_BITS};
use lockdep_graph::replay::{Log, Replayer, parse_log, to_json};

const USAGE: &str = "\
usage: lockdep-replay [--json] [--stats] [--store depot|fixed:BITS] FILE...

Replays lock-event logs (one event per line, `-` reads stdin) through the lockdep-graph
validator and prints each finding's report. All FILEs form one run.

  --json          print {\"findings\":[...],\"stats\":{...}} instead of text reports
  --stats         print the validator's counters after the reports (included in --json)
  --store KIND    trace store: `depot` (default) or `fixed:BITS`, lockdep's fixed array of
                  2^BITS words (BITS 10..=26); when it fills, validation stops
  -h, --help      print this help

exit status: 0 no findings, 1 findings, 2 bad input or bad flags";

/// Exit status for malformed input, unreadable files and bad flags.
const EXIT_BAD_INPUT: u8 = 2;

struct Options {
    json: bool,
    stats: bool,
    store: StoreKind,
    files: Vec<String>,
}

enum Parsed {
    Run(Options),
    Help,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut options = Options {
        json: false,
        stats: false,
        store: StoreKind::Depot,
        files: Vec::new(),
    };
    let mut args = args.peekable();
    let mut only_files = false;
    while let Some(arg) = args.next() {
        if only_files || arg == "-" || !arg.starts_with('-') {
            options.files.push(arg);
            continue;
        }
        match arg.as_str() {
            "--" => only_files = true,
            "-h" | "--help" => return Ok(Parsed::Help),
            "--json" => options.json = true,
            "--stats" => options.stats = true,
            "--store" => {
                let value = args
                    .next()
                    .ok_or_else(|| "--store needs a value: depot or fixed:BITS".to_owned())?;
                options.store = parse_store(&value)?;
            }
            other => match other.strip_prefix("--store=") {
                Some(value) => options.store = parse_store(value)?,
                None => return Err(format!("unknown option `{other}`")),
            },
        }
    }
    if options.files.is_empty() {
        return Err("no input FILE (use `-` for stdin)".to_owned());
    }
    Ok(Parsed::Run(options))
}

fn parse_store(value: &str) -> Result<StoreKind, String> {
    if value == "depot" {
        return Ok(StoreKind::Depot);
    }
    let bits = value
        .strip_prefix("fixed:")
        .ok_or_else(|| format!("bad --store `{value}`: expected depot or fixed:BITS"))?;
    match bits.parse::<u32>() {
        Ok(bits) if (MIN_BITS..=MAX_BITS).contains(&bits) => Ok(StoreKind::Fixed { bits }),
        _ => Err(format!(
            "bad --store `{value}`: BITS must be a number in {MIN_BITS}..={MAX_BITS}"
        )),
    }
}

fn read_input(name: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let result = if name == "-" {
        io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(name).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    result.map_err(|e| format!("{name}: cannot read: {e}"))?;
    Ok(bytes)
}

fn load(files: &[String]) -> Result<Vec<Log>, String> {
    files
        .iter()
        .map(|name| {
            let bytes = read_input(name)?;
            parse_log(name, &bytes).map_err(|e| e.to_string())
        })
        .collect()
}

fn print_results(out: &mut impl Write, options: &Options, run: &Replayer) -> io::Result<()> {
    let stats = run.stats();
    if options.json {
        writeln!(out, "{}", to_json(run.findings(), &stats))?;
        return out.flush();
    }
    for f in run.findings() {
        writeln!(
            out,
            "lockdep-replay: {}:{}: {} (thread {})",
            f.file,
            f.line,
            f.finding.kind.as_str(),
            f.finding.thread_name
        )?;
        writeln!(out, "{}", f.finding.report.trim_end())?;
        writeln!(out)?;
    }
    if options.stats {
        write!(out, "{stats}")?;
    }
    out.flush()
}

/// Writes a message to stderr; a closed stderr is not worth a panic.
fn complain(message: &str) {
    let _ = writeln!(io::stderr(), "{message}");
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(options)) => options,
        Ok(Parsed::Help) => {
            let _ = writeln!(io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            complain(&format!("lockdep-replay: {message}\n\n{USAGE}"));
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };

    let logs = match load(&options.files) {
        Ok(logs) => logs,
        Err(message) => {
            complain(&message);
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };

    let mut run = Replayer::new(options.store);
    for log in &logs {
        run.replay(log);
    }

    let stdout = io::stdout();
    if let Err(e) = print_results(&mut stdout.lock(), &options, &run)
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        complain(&format!("lockdep-replay: cannot write output: {e}"));
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    if run.findings().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
