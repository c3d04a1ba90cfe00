//! The plain-text rendering of a [`Report`].

use std::fmt::Write;

use super::{Report, SCALING_LIMIT, StoreFigures, goal_ceilings};
use crate::calibration::MachineCeiling;

/// Renders the report as aligned text tables.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let m = &r.machine;
    let _ = writeln!(
        out,
        "machine: {} | {} threads | {} MiB | load {:.2} -> {:.2} | source {}{}",
        m.cpu,
        m.threads,
        m.memory_mib,
        m.load_at_start,
        m.load_at_end,
        m.revision,
        if m.optimized {
            ""
        } else {
            " | DEBUG BUILD: numbers meaningless"
        }
    );
    let _ = writeln!(
        out,
        "medians of {} runs; ratios are against {} in the same run",
        r.runs, r.reference
    );
    let _ = writeln!(
        out,
        "fetch = the fetch call alone, handle -> slice (address and length, no frame read; \
         the fetch goals use it); f+read = fetch, then read every frame (the consumer's work, \
         the same in every store); new ns = wall time on the saving thread, new cpu = the \
         process's CPU time per insert over all threads in the same windows (the depot's \
         populator thread included)\n"
    );
    for s in &r.sizes {
        let _ = writeln!(
            out,
            "== {}: {} traces, {} frames (mean {:.1}); mixed stream {} saves ({:.1}% hits); input reading alone {:.1} ns/op",
            s.size,
            s.traces,
            s.frames,
            s.mean_frames,
            s.stream_saves,
            s.stream_hit_ratio * 100.0,
            s.input_only_ns
        );
        store_tables(&mut out, &s.stores);
        let _ = writeln!(out, "(throughput in million operations per second)");
        ceiling_line(&mut out, s.ceiling.as_ref());
        let _ = writeln!(out);
    }
    for f in &r.sdw1 {
        let _ = writeln!(
            out,
            "== sdw1 {}: {} traces ({} saved), {} events ({:.1}% hits), mean depth {:.1}; {}",
            f.file,
            f.summary.traces,
            f.referenced_traces,
            f.summary.events,
            f.summary.hit_ratio * 100.0,
            f.summary.mean_depth,
            if f.verified {
                "every id fetched its exact trace in every store"
            } else {
                "NOT VERIFIED"
            }
        );
        let _ = writeln!(
            out,
            "(\"new\": each saved trace once into a fresh store; \"mixed\": the whole file into a fresh store)"
        );
        store_tables(&mut out, &f.stores);
        let _ = writeln!(out, "(throughput in million operations per second)");
        ceiling_line(&mut out, f.ceiling.as_ref());
        let _ = writeln!(out);
    }
    if let Some(small) = &r.small {
        let _ = writeln!(
            out,
            "== small depot: {} traces, {} frames: depot maps {} B (uses {} B); an empty depot maps {} B; \
             kernel array preallocates {} B",
            small.traces,
            small.frames,
            small.depot_bytes_mapped,
            small.depot_bytes_used,
            small.empty_depot_bytes_mapped,
            small.kernel_fixed_reserved
        );
        for (name, bytes) in &small.store_bytes {
            let _ = writeln!(out, "   {name:<14} bytes used {bytes:>10}");
        }
        let _ = writeln!(out);
    }
    if let Some(v) = &r.validator {
        let _ = writeln!(out, "== validator: ns per lock+unlock, chain cached");
        let _ = writeln!(
            out,
            "{:<14} {:>10} {:>12}",
            "mutex", "one lock", "two nested"
        );
        for ((name, single), (_, nested)) in v.single_ns.iter().zip(&v.nested_ns) {
            let _ = writeln!(out, "{name:<14} {single:>10.1} {nested:>12.1}");
        }
        let _ = writeln!(
            out,
            "lockdep-graph overhead over parking_lot: {:.1} ns per lock+unlock",
            v.overhead_ns
        );
        let _ = writeln!(
            out,
            "new dependency (event API, classes known): {:.0} ns; tracing-mutex new edge: {:.0} ns",
            v.new_dependency_ns, v.tracing_mutex_new_edge_ns
        );
        let _ = writeln!(
            out,
            "{:<18} {:>8} {:>8} {:>9} {:>10} {:>10} {:>10} {:>22}",
            "graph",
            "classes",
            "deps",
            "chains",
            "events",
            "cold Mev/s",
            "warm Mev/s",
            "validator cls/deps/chn"
        );
        for s in &v.scale {
            let _ = writeln!(
                out,
                "{:<18} {:>8} {:>8} {:>9} {:>10} {:>10.2} {:>10.2} {:>22}{}",
                s.size,
                s.classes,
                s.dependencies,
                s.chains,
                s.events,
                s.cold_mevents_per_s,
                s.warm_mevents_per_s,
                format!(
                    "{}/{}/{}",
                    s.validator_classes, s.validator_dependencies, s.validator_chains
                ),
                if s.findings > 0 {
                    format!("  {} FINDINGS (unexpected)", s.findings)
                } else {
                    String::new()
                }
            );
        }
        let _ = writeln!(out);
    }
    if !r.goals.is_empty() {
        let _ = writeln!(out, "== goals");
        for g in &r.goals {
            let _ = writeln!(
                out,
                "{} {:<55} {:>8} measured {:.3}{}",
                if g.informational {
                    "INFO  "
                } else if g.met {
                    "MET   "
                } else {
                    "MISSED"
                },
                g.what,
                g.target,
                g.measured,
                g.ceiling
                    .as_ref()
                    .map_or_else(String::new, |c| format!("  ({})", c.goal_note()))
            );
        }
        for c in goal_ceilings(&r.goals) {
            let _ = writeln!(out, "{}", c.describe());
            if let Some(t) = c.against_bound(SCALING_LIMIT) {
                let _ = writeln!(out, "{t}");
            }
        }
    }
    out
}

/// The machine's ceiling under a size's scaling table; nothing if it was not measured.
fn ceiling_line(out: &mut String, ceiling: Option<&MachineCeiling>) {
    if let Some(c) = ceiling {
        let _ = writeln!(out, "{}", c.describe());
    }
}

/// The two per-store tables: latencies with ratios, then scaling and memory.
fn store_tables(out: &mut String, stores: &[StoreFigures]) {
    let _ = writeln!(
        out,
        "{:<14} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6}",
        "store",
        "hit ns",
        "x",
        "new ns",
        "x",
        "new cpu",
        "x",
        "fetch ns",
        "x",
        "f+read ns",
        "x",
        "mixed ns",
        "x"
    );
    for f in stores {
        let (mixed, mixed_x) = match (f.stream_ns, f.stream_ratio) {
            (Some(ns), Some(x)) => (format!("{ns:.1}"), format!("{x:.2}")),
            (Some(ns), None) => (format!("{ns:.1}"), "-".into()),
            _ => ("-".into(), "-".into()),
        };
        let cpu = f.insert_cpu_ns.map_or("-".into(), |ns| format!("{ns:.1}"));
        let cpu_x = f.insert_cpu_ratio.map_or("-".into(), |x| format!("{x:.2}"));
        let _ = writeln!(
            out,
            "{:<14} {:>9.1} {:>6.2} {:>9.1} {:>6.2} {:>9} {:>6} {:>9.1} {:>6.2} {:>9.1} {:>6.2} {:>9} {:>6}",
            f.store,
            f.hit_ns,
            f.hit_ratio,
            f.insert_ns,
            f.insert_ratio,
            cpu,
            cpu_x,
            f.fetch_ns,
            f.fetch_ratio,
            f.fetch_read_ns,
            f.fetch_read_ratio,
            mixed,
            mixed_x
        );
    }
    let t = stores.first().map_or(2, |f| f.threads);
    let _ = writeln!(
        out,
        "\n{:<14} {:>9} {:>9} {:>6} {:>9} {:>9} {:>6} {:>9} {:>9} {:>6} {:>12} {:>7} {:>12}  detail",
        "store",
        "hit 1t",
        format!("hit {t}t"),
        "scale",
        "fetch 1t",
        format!("fetch {t}t"),
        "scale",
        "f+read 1t",
        format!("f+read {t}t"),
        "scale",
        "bytes used",
        "B/frame",
        "bytes mapped"
    );
    for f in stores {
        let _ = writeln!(
            out,
            "{:<14} {:>9.2} {:>9.2} {:>6.2} {:>9.2} {:>9.2} {:>6.2} {:>9.2} {:>9.2} {:>6.2} {:>12} {:>7.2} {:>12}  {}",
            f.store,
            f.hit_mops_1t,
            f.hit_mops_mt,
            f.hit_scaling,
            f.fetch_mops_1t,
            f.fetch_mops_mt,
            f.fetch_scaling,
            f.fetch_read_mops_1t,
            f.fetch_read_mops_mt,
            f.fetch_read_scaling,
            f.bytes_used,
            f.bytes_per_frame,
            f.bytes_mapped
                .map_or_else(|| "-".to_string(), |b| b.to_string()),
            f.detail_note()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{SizeReport, evaluate_goals, fill_ratios};

    #[test]
    fn the_text_report_shows_the_ceiling_beside_scaling_and_under_the_goals() {
        let depot = |name: &str, hit: f64, scaling: f64| {
            StoreFigures {
                store: name.into(),
                threads: 2,
                runs: 3,
                ..StoreFigures::default()
            }
            .with_times(hit, hit, hit / 10.0, None)
            .with_scaling(hit / scaling, hit / 10.0 / scaling)
        };
        let mut stores = vec![
            depot("mutex-hashmap", 100.0, 1.0),
            depot("stackdepot", 40.0, 1.4),
        ];
        fill_ratios(&mut stores);
        let ceiling = MachineCeiling {
            label: "kasan".into(),
            threads: 2,
            alu_scaling: 1.5,
            alu_ns_per_step: 1.0,
            memory_scaling: Some(1.9),
            memory_ns_per_step: Some(90.0),
            runs: 3,
            disturbed_runs: 1,
        };
        let sizes = vec![SizeReport {
            size: "kasan".into(),
            traces: 200_000,
            frames: 1,
            mean_frames: 1.0,
            stream_saves: 0,
            stream_hit_ratio: 0.0,
            input_only_ns: 1.0,
            stores,
            ceiling: Some(ceiling),
        }];
        let goals = evaluate_goals(&sizes, None, None);
        let text = render(&Report::for_test(sizes, goals));
        let line = |start: &str| {
            text.lines()
                .find(|l| l.starts_with(start))
                .unwrap_or_else(|| panic!("no line {start:?} in\n{text}"))
        };
        // Verdict against 1.8 unchanged (1.4 missed), the ceiling beside it.
        let fetch = line("MISSED fetch, 2 threads / 1 thread (kasan)");
        assert!(
            fetch.ends_with("measured 1.400  (machine ceiling 1.50 ALU / 1.90 memory)"),
            "{fetch}"
        );
        assert!(!line("MET    save hit, ratio").contains("machine ceiling"));
        // Once under the kasan tables and once under the goals, with the bound's consequence.
        let described = text
            .lines()
            .filter(|l| l.starts_with("Machine ceiling in this run (kasan): ALU-bound work"))
            .count();
        assert_eq!(described, 2, "{text}");
        assert!(line("Machine ceiling in this run").contains("(median of 3 runs, 1 disturbed)"));
        let tail = text.lines().last().unwrap_or_default();
        assert!(
            tail.starts_with("A scaling goal of 1.8 is above the ALU ceiling"),
            "{tail}"
        );
    }
}
