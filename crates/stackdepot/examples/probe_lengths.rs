//! Index probe lengths as a depot grows from 10^3 to 10^7 traces.
//!
//! ```text
//! cargo run --release -p stackdepot --example probe_lengths [MAX_TRACES]
//! ```
//!
//! Saves distinct 8-frame traces (10^7 of them take about 720 MB, inside the default
//! layout's 1 GiB) and prints, at each power of ten, the mean and longest number of
//! index slots a lookup of a stored trace visits, with the index size. The index has
//! no fixed bucket count: each shard doubles at 80 % load, so probes stay short.

use stackdepot::StackDepot;

fn main() {
    let max: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let depot = StackDepot::new();
    let mut next_report = 1_000u64;
    println!(
        "{:>10} {:>10} {:>8} {:>8} {:>12}",
        "traces", "slots", "load", "mean", "longest"
    );
    for i in 0..max {
        let trace: [usize; 8] =
            core::array::from_fn(|f| 0xffff_ffff_8100_0000 + (i as usize) * 64 + f * 8);
        if let Err(e) = depot.save(&trace) {
            eprintln!("save {i} failed: {e}");
            break;
        }
        if i + 1 == next_report {
            let s = depot.stats();
            println!(
                "{:>10} {:>10} {:>8.2} {:>8.2} {:>12}",
                s.traces,
                s.index_slots,
                s.traces as f64 / s.index_slots as f64,
                s.mean_probe(),
                s.index_longest_probe
            );
            next_report *= 10;
        }
    }
}
