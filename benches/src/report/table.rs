//! The plain-text rendering of a [`Report`].

use std::fmt::Write;

use super::{Report, StoreFigures};

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
         the same in every store)\n"
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
        let _ = writeln!(out, "(throughput in million operations per second)\n");
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
        let _ = writeln!(out, "(throughput in million operations per second)\n");
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
                "{} {:<55} {:>8} measured {:.3}",
                if g.informational {
                    "INFO  "
                } else if g.met {
                    "MET   "
                } else {
                    "MISSED"
                },
                g.what,
                g.target,
                g.measured
            );
        }
    }
    out
}

/// The two per-store tables: latencies with ratios, then scaling and memory.
fn store_tables(out: &mut String, stores: &[StoreFigures]) {
    let _ = writeln!(
        out,
        "{:<14} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6}",
        "store", "hit ns", "x", "new ns", "x", "fetch ns", "x", "f+read ns", "x", "mixed ns", "x"
    );
    for f in stores {
        let (mixed, mixed_x) = match (f.stream_ns, f.stream_ratio) {
            (Some(ns), Some(x)) => (format!("{ns:.1}"), format!("{x:.2}")),
            (Some(ns), None) => (format!("{ns:.1}"), "-".into()),
            _ => ("-".into(), "-".into()),
        };
        let _ = writeln!(
            out,
            "{:<14} {:>9.1} {:>6.2} {:>9.1} {:>6.2} {:>9.1} {:>6.2} {:>9.1} {:>6.2} {:>9} {:>6}",
            f.store,
            f.hit_ns,
            f.hit_ratio,
            f.insert_ns,
            f.insert_ratio,
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
