//! `docs/benchmarks.md` from a [`BenchReport`]: plain markdown tables, the charts
//! linked by relative path, and the caveats a reader needs to weigh the numbers.

use std::fmt::Write;

use super::BenchReport;
use super::charts::{FETCH_THREADS_SVG, MEMORY_SVG, SAVE_THREADS_SVG};
use super::scenario_runs::ScenarioFigures;
use crate::calibration::MachineCeiling;
use crate::report::{Goal, SCALING_LIMIT, SizeReport, StoreFigures, goal_ceilings};
use crate::stores::{MutexHashMapStore, StackDepotStore};

/// Column alignment in a markdown table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// A markdown table. Header names ending in `>` are right-aligned (the `>` is
/// dropped); a `|` inside a cell is escaped. Rows shorter than the header are
/// padded with empty cells, longer ones cut.
pub fn markdown_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let cols: Vec<(&str, Align)> = headers
        .iter()
        .map(|h| match h.strip_suffix('>') {
            Some(name) => (name, Align::Right),
            None => (*h, Align::Left),
        })
        .collect();
    let mut out = String::new();
    out.push('|');
    for (name, _) in &cols {
        let _ = write!(out, " {} |", escape(name));
    }
    out.push_str("\n|");
    for (_, align) in &cols {
        out.push_str(match align {
            Align::Left => " --- |",
            Align::Right => " ---: |",
        });
    }
    out.push('\n');
    for row in rows {
        out.push('|');
        for i in 0..cols.len() {
            let cell = row.get(i).map_or("", String::as_str);
            let _ = write!(out, " {} |", escape(cell));
        }
        out.push('\n');
    }
    out
}

fn escape(cell: &str) -> String {
    cell.replace('|', "\\|").replace('\n', " ")
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes as KiB below a MiB, MiB above.
fn bytes(b: u64) -> String {
    let b = b as f64;
    if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.2} MiB", b / (1024.0 * 1024.0))
    }
}

fn num(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "n/a".to_string()
    }
}

/// "1 run", "5 runs".
fn runs(n: usize) -> String {
    if n == 1 {
        "1 run".to_string()
    } else {
        format!("{n} runs")
    }
}

/// A ratio `a / b`, `n/a` when either side is missing or zero.
fn ratio(a: f64, b: f64) -> String {
    if a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() {
        format!("{:.2}", a / b)
    } else {
        "n/a".to_string()
    }
}

/// A measured goal value in the unit its magnitude suggests.
fn goal_value(x: f64) -> String {
    if !x.is_finite() {
        "n/a".to_string()
    } else if x.abs() >= 10_000.0 {
        thousands(x.round() as u64)
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

/// "met" or "missed by ...": how far the measurement is from the bound, in the
/// goal's unit and as a multiple of the bound.
pub(crate) fn goal_verdict(g: &Goal) -> String {
    if g.informational {
        return "informational (no goal)".to_string();
    }
    let (at_least, bound) = match parse_bound(&g.target) {
        Some(b) => b,
        None => {
            return if g.met { "met" } else { "**missed**" }.to_string();
        }
    };
    let m = g.measured;
    if g.met {
        let headroom = if at_least { m - bound } else { bound - m };
        format!("met ({} to spare)", goal_value(headroom))
    } else {
        let short = if at_least { bound - m } else { m - bound };
        let times = if bound != 0.0 { m / bound } else { f64::NAN };
        format!(
            "**missed** by {} ({}× the bound)",
            goal_value(short),
            num(times, 2)
        )
    }
}

/// `"<= 0.45"` as `(false, 0.45)`, `">= 1.8"` as `(true, 1.8)`, `"< 1048576"` as `(false, ...)`.
fn parse_bound(target: &str) -> Option<(bool, f64)> {
    let t = target.trim();
    let (at_least, rest) = if let Some(r) = t.strip_prefix(">=") {
        (true, r)
    } else if let Some(r) = t.strip_prefix("<=") {
        (false, r)
    } else if let Some(r) = t.strip_prefix('>') {
        (true, r)
    } else if let Some(r) = t.strip_prefix('<') {
        (false, r)
    } else {
        return None;
    };
    rest.trim().parse().ok().map(|b| (at_least, b))
}

/// Renders the whole document. Charts are linked as `{img_dir}/<name>.svg`,
/// relative to the document, and only when their data was measured.
pub fn render_markdown(r: &BenchReport, img_dir: &str) -> String {
    let mut out = String::new();
    let e = &r.environment;
    let s = &r.settings;
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Generated by `cargo run --release -p stackdepot-benches --bin bench-report{}` \
         on {} UTC in {:.1} minutes. Do not edit by hand: rerun the command. \
         Criterion's HTML reports (`cargo bench -p stackdepot-benches`) stay in `target/criterion/`.\n",
        if s.quick { " -- --quick" } else { "" },
        e.started_utc,
        e.total_seconds / 60.0
    );
    if s.quick {
        let _ = writeln!(
            out,
            "> **Quick run** (`--quick`): few repetitions and a small scenario. A smoke test of \
             the generator, not a result.\n"
        );
    }
    if !e.machine.optimized {
        let _ = writeln!(
            out,
            "> **Debug build**: every time below is meaningless. Run with `--release`.\n"
        );
    }
    summary_notes(&mut out, r);
    machine(&mut out, r);
    goals(&mut out, &r.depot.goals, r);
    for size in &r.depot.sizes {
        store_size(&mut out, size, r.depot.runs);
    }
    for f in &r.depot.sdw1 {
        let _ = writeln!(
            out,
            "## SDW1 file `{}`\n\n{} traces ({} saved), {} events ({:.1}% hits), mean depth {:.1}; {}.\n",
            f.file,
            thousands(f.summary.traces),
            thousands(f.referenced_traces as u64),
            thousands(f.summary.events),
            f.summary.hit_ratio * 100.0,
            f.summary.mean_depth,
            if f.verified {
                "every id fetched its exact trace in every store"
            } else {
                "**not verified**"
            }
        );
        store_tables(&mut out, &f.stores);
        ceiling_paragraph(&mut out, f.ceiling.as_ref());
    }
    small_depot(&mut out, r);
    threads(&mut out, r, img_dir);
    validator(&mut out, r);
    fixed_vs_growable(&mut out, r, img_dir);
    method(&mut out, r);
    out
}

fn summary_notes(out: &mut String, r: &BenchReport) {
    let e = &r.environment;
    let _ = writeln!(out, "Read these numbers with three things in mind:\n");
    let _ = writeln!(
        out,
        "- **The machine is shared and noisy.** It has {} hardware threads and other agents were \
         building and testing on it during the run: the 1-minute load average was {:.2} at the \
         start and {:.2} at the end (per phase below). Absolute times are inflated by that load \
         and vary between runs; with a load above the core count, the 2-thread scaling mostly \
         measures competition with other processes.",
        e.machine.threads, e.loadavg_start[0], e.loadavg_end[0]
    );
    let _ = writeln!(
        out,
        "- **Ratios are from the same run.** Every store is measured in one process, \
         interleaved run by run, and each figure is the median of {} runs, so the ratios \
         between stores hold up under load better than the times do. A sample during which \
         a measuring thread spent more than {:.0}% of the timed window waiting for a CPU \
         (`/proc/thread-self/schedstat`) is set aside when clean samples exist; the tables \
         count such \"disturbed\" runs.",
        r.depot.runs,
        crate::measure::DISTURBED_SHARE * 100.0
    );
    if let Some(measured) = ceiling_summary(&r.depot) {
        let _ = writeln!(
            out,
            "- **Scaling has a machine ceiling.** Each run also times two loops that share \
             nothing, on 1 and on {} threads, through the same harness as the stores: an \
             ALU-bound one (registers only, no memory traffic) and a memory-latency-bound one \
             (each thread chasing a random cycle through its own 64 MiB buffer). {measured} \
             A store's scaling near these ceilings is the machine's limit; well below them, \
             the store's own (shared writes, contention).",
            r.depot.threads
        );
    }
    let _ = writeln!(
        out,
        "- **Missed goals say by how much** (goals table). Nothing here is estimated except \
         the baselines' memory, which is computed from their allocations (see \
         `benches/README.md`).\n"
    );
}

fn machine(out: &mut String, r: &BenchReport) {
    let e = &r.environment;
    let m = &e.machine;
    let _ = writeln!(out, "## Machine\n");
    let dirty = if e.dirty_paths.is_empty() {
        "none".to_string()
    } else {
        e.dirty_paths
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows = vec![
        vec!["CPU".into(), m.cpu.clone()],
        vec![
            "hardware threads".into(),
            format!(
                "{} available to the process ({} listed in /proc/cpuinfo)",
                m.threads, e.logical_cpus
            ),
        ],
        vec!["memory".into(), format!("{} MiB", thousands(m.memory_mib))],
        vec!["kernel".into(), e.kernel.clone()],
        vec!["rustc".into(), e.rustc.clone()],
        vec![
            "build".into(),
            if m.optimized {
                "release (optimised)".into()
            } else {
                "DEBUG".into()
            },
        ],
        vec!["source revision".into(), format!("`{}`", m.revision)],
        vec!["uncommitted tracked files at start".into(), dirty],
        vec![
            "load average (1/5/15 min) at start".into(),
            format!(
                "{:.2} / {:.2} / {:.2}",
                e.loadavg_start[0], e.loadavg_start[1], e.loadavg_start[2]
            ),
        ],
        vec![
            "load average (1/5/15 min) at end".into(),
            format!(
                "{:.2} / {:.2} / {:.2}",
                e.loadavg_end[0], e.loadavg_end[1], e.loadavg_end[2]
            ),
        ],
        vec!["started".into(), format!("{} UTC", e.started_utc)],
        vec!["total run time".into(), format!("{:.1} s", e.total_seconds)],
    ];
    out.push_str(&markdown_table(&["", ""], &rows));
    let _ = writeln!(out, "\nPhases of the run:\n");
    let rows: Vec<Vec<String>> = e
        .phases
        .iter()
        .map(|p| vec![p.name.clone(), num(p.seconds, 1), num(p.load_at_end, 2)])
        .collect();
    out.push_str(&markdown_table(
        &["phase", "wall s>", "1-min load at its end>"],
        &rows,
    ));
    out.push('\n');
}

/// "In this run they scaled 1.53x (ALU) and 1.95x (memory) at the kasan size, ..."
/// over every size and file measured; `None` if no calibration was measured.
fn ceiling_summary(r: &crate::report::Report) -> Option<String> {
    let parts: Vec<String> = r
        .sizes
        .iter()
        .filter_map(|s| {
            s.ceiling
                .as_ref()
                .map(|c| (format!("the {} size", s.size), c))
        })
        .chain(
            r.sdw1
                .iter()
                .filter_map(|f| f.ceiling.as_ref().map(|c| (format!("`{}`", f.file), c))),
        )
        .map(|(at, c)| {
            let memory = c
                .memory_scaling
                .map_or_else(String::new, |m| format!(" and {m:.2}x (memory)"));
            format!("{:.2}x (ALU){memory} with {at}", c.alu_scaling)
        })
        .collect();
    (!parts.is_empty()).then(|| format!("In this run they scaled {}.", parts.join("; ")))
}

/// The machine's ceiling under a size's or a file's tables.
fn ceiling_paragraph(out: &mut String, ceiling: Option<&MachineCeiling>) {
    if let Some(c) = ceiling {
        let _ = writeln!(
            out,
            "{} Compare the scaling columns above with it.\n",
            c.describe()
        );
    }
}

/// The result cell of a goal row: the verdict, and for a scaling goal the machine's
/// ceiling in the same runs (context; the verdict is against the goal's bound).
fn goal_result(g: &Goal) -> String {
    let verdict = goal_verdict(g);
    match &g.ceiling {
        Some(c) => format!("{verdict}; {}", c.goal_note()),
        None => verdict,
    }
}

fn goals(out: &mut String, goals: &[Goal], r: &BenchReport) {
    if goals.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Goals\n");
    let _ = writeln!(
        out,
        "The issue's goals, checked by `depot-report`'s logic on this run. Store goals are at \
         the KASAN-like size (200k traces of ~24 frames), as ratios of `stackdepot` to \
         `mutex-hashmap` (the hand-written `Mutex<HashMap>` store) measured in the same run, \
         medians of {} runs; scaling is {} threads over 1 thread. \
         \"fetch\" is the fetch call itself: handle to slice (the trace's address and length), \
         no frame read, since the depot's `fetch` is zero-copy and reading the frames afterwards \
         is the caller's work, the same in every store. The same fetch followed by reading every \
         frame is listed after the fetch goals as an informational row. The scaling rows also \
         show the machine's ceiling measured in the same runs (how work that shares nothing \
         scales here, explained below the table); it is context, and the verdict is against \
         the goal's own bound.\n",
        r.depot.runs, r.depot.threads
    );
    let rows: Vec<Vec<String>> = goals
        .iter()
        .map(|g| {
            vec![
                g.what.clone(),
                g.target.clone(),
                goal_value(g.measured),
                goal_result(g),
            ]
        })
        .collect();
    out.push_str(&markdown_table(
        &["goal", "target", "measured>", "result"],
        &rows,
    ));
    let counted: Vec<&Goal> = goals.iter().filter(|g| !g.informational).collect();
    let met = counted.iter().filter(|g| g.met).count();
    let _ = writeln!(
        out,
        "\n{met} of {} goals met (informational rows not counted).\n",
        counted.len()
    );
    for c in goal_ceilings(goals) {
        let _ = write!(out, "{}", c.describe());
        if let Some(t) = c.against_bound(SCALING_LIMIT) {
            let _ = write!(out, " {t}");
        }
        let _ = writeln!(out, "\n");
    }
}

fn store_size(out: &mut String, s: &SizeReport, runs: usize) {
    let _ = writeln!(
        out,
        "## Stores at the {} size\n\n{} distinct traces, {} frames (mean {:.1}); mixed stream of \
         {} saves ({:.1}% hits). Reading the hit loop's input alone costs {:.1} ns per save \
         (included in every store's hit figure). Medians of {runs} runs.\n",
        s.size,
        thousands(s.traces as u64),
        thousands(s.frames as u64),
        s.mean_frames,
        thousands(s.stream_saves as u64),
        s.stream_hit_ratio * 100.0,
        s.input_only_ns
    );
    store_tables(out, &s.stores);
    ceiling_paragraph(out, s.ceiling.as_ref());
}

/// The per-store tables: times with ratios to the reference, the depot against each
/// baseline, then throughput, scaling and memory.
fn store_tables(out: &mut String, stores: &[StoreFigures]) {
    let rows: Vec<Vec<String>> = stores
        .iter()
        .map(|f| {
            vec![
                f.store.clone(),
                f.detail_note(),
                num(f.hit_ns, 1),
                num(f.hit_ratio, 2),
                num(f.insert_ns, 1),
                num(f.insert_ratio, 2),
                num(f.fetch_ns, 1),
                num(f.fetch_ratio, 2),
                num(f.fetch_read_ns, 1),
                num(f.fetch_read_ratio, 2),
                f.stream_ns.map_or("-".into(), |x| num(x, 1)),
                f.stream_ratio.map_or("-".into(), |x| num(x, 2)),
            ]
        })
        .collect();
    let _ = writeln!(
        out,
        "ns per operation, one thread; × = ratio to `{}` in this run (lower is better). \
         **fetch** is the fetch call alone: a random id resolved to the stored trace's address \
         and length (handle to slice), no frame read; the fetch goals use it. **fetch + read** \
         is the same fetch followed by reading every frame of the trace (summing them), the \
         consumer's work. The read is the same in every store, but the cache miss on a trace is \
         paid in different places: `mutex-hashmap` and `dashmap` keep the length beside the \
         pointer and pay it in the read, while `stackdepot` and `kernel-fixed` read the length \
         from a record header just before the frames and pay it in the fetch:\n",
        MutexHashMapStore::NAME
    );
    out.push_str(&markdown_table(
        &[
            "store",
            "detail",
            "save hit ns>",
            "×>",
            "save new ns>",
            "×>",
            "fetch ns>",
            "×>",
            "fetch + read ns>",
            "×>",
            "mixed stream ns>",
            "×>",
        ],
        &rows,
    ));
    if let Some(depot) = stores.iter().find(|f| f.store == StackDepotStore::NAME) {
        let rows: Vec<Vec<String>> = stores
            .iter()
            .filter(|f| f.store != StackDepotStore::NAME)
            .map(|b| {
                vec![
                    b.store.clone(),
                    ratio(depot.hit_ns, b.hit_ns),
                    ratio(depot.insert_ns, b.insert_ns),
                    ratio(depot.fetch_ns, b.fetch_ns),
                    ratio(depot.fetch_read_ns, b.fetch_read_ns),
                    match (depot.stream_ns, b.stream_ns) {
                        (Some(d), Some(x)) => ratio(d, x),
                        _ => "-".into(),
                    },
                    ratio(depot.hit_mops_mt, b.hit_mops_mt),
                    ratio(depot.fetch_mops_mt, b.fetch_mops_mt),
                    ratio(depot.bytes_per_frame, b.bytes_per_frame),
                ]
            })
            .collect();
        let t = depot.threads;
        let _ = writeln!(
            out,
            "\nThe depot against each baseline, same run. Time and memory columns are \
             depot / baseline (below 1: the depot is faster or smaller); throughput columns are \
             depot / baseline at {t} threads (above 1: the depot does more):\n"
        );
        let hit_mt = format!("save hit, {t} threads>");
        let fetch_mt = format!("fetch, {t} threads>");
        out.push_str(&markdown_table(
            &[
                "baseline",
                "save hit>",
                "save new>",
                "fetch>",
                "fetch + read>",
                "mixed>",
                &hit_mt,
                &fetch_mt,
                "bytes/frame>",
            ],
            &rows,
        ));
    }
    let t = stores.first().map_or(2, |f| f.threads);
    let rows: Vec<Vec<String>> = stores
        .iter()
        .map(|f| {
            vec![
                f.store.clone(),
                num(f.hit_mops_1t, 2),
                num(f.hit_mops_mt, 2),
                num(f.hit_scaling, 2),
                num(f.fetch_mops_1t, 2),
                num(f.fetch_mops_mt, 2),
                num(f.fetch_scaling, 2),
                num(f.fetch_read_mops_1t, 2),
                num(f.fetch_read_mops_mt, 2),
                num(f.fetch_read_scaling, 2),
                bytes(f.bytes_used),
                num(f.bytes_per_frame, 2),
                f.bytes_mapped.map_or("-".into(), bytes),
            ]
        })
        .collect();
    let _ = writeln!(
        out,
        "\nThroughput in million operations per second (all threads together); scaling = \
         {t}-thread / 1-thread throughput, the median of per-run ratios (ideal {t}.0). \
         Bytes per frame include the index:\n"
    );
    let hit_mt = format!("hit {t}t>");
    let fetch_mt = format!("fetch {t}t>");
    let fetch_read_mt = format!("fetch + read {t}t>");
    out.push_str(&markdown_table(
        &[
            "store",
            "hit 1t>",
            &hit_mt,
            "scaling>",
            "fetch 1t>",
            &fetch_mt,
            "scaling>",
            "fetch + read 1t>",
            &fetch_read_mt,
            "scaling>",
            "bytes used>",
            "bytes/frame>",
            "bytes mapped>",
        ],
        &rows,
    ));
    out.push('\n');
}

fn small_depot(out: &mut String, r: &BenchReport) {
    let Some(small) = &r.depot.small else {
        return;
    };
    let _ = writeln!(
        out,
        "## A small depot\n\nWith {} traces ({} frames) the depot maps {} and uses {} of it; a \
         brand-new empty depot maps {}. lockdep's fixed array preallocates {} at its default \
         2^19 words whatever it holds.\n",
        thousands(small.traces as u64),
        thousands(small.frames as u64),
        bytes(small.depot_bytes_mapped),
        bytes(small.depot_bytes_used),
        bytes(small.empty_depot_bytes_mapped),
        bytes(small.kernel_fixed_reserved)
    );
    let rows: Vec<Vec<String>> = small
        .store_bytes
        .iter()
        .map(|(name, b)| vec![name.clone(), bytes(*b)])
        .collect();
    out.push_str(&markdown_table(&["store", "bytes used>"], &rows));
    out.push('\n');
}

fn threads(out: &mut String, r: &BenchReport, img_dir: &str) {
    let Some(sweep) = &r.sweep else {
        return;
    };
    let counts: Vec<String> = sweep
        .stores
        .first()
        .map(|s| s.points.iter().map(|p| p.threads.to_string()).collect())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "## Throughput against threads\n\nA separate pass over the {} size ({} traces): each \
         thread does {} hit saves or {} fetches, the median of {}, stores and thread counts \
         interleaved. The fetches here are the fetch call alone (handle to slice, no frame \
         read), as in the fetch goals; fetch + read is not swept. This machine has {} \
         hardware threads, so points above that count share cores and show \
         oversubscription, not scaling (and every such sample counts as disturbed, since its \
         threads wait for each other's cores).\n",
        sweep.size,
        thousands(sweep.traces as u64),
        thousands(sweep.hit_ops_per_thread),
        thousands(sweep.fetch_ops_per_thread),
        runs(sweep.runs),
        r.environment.machine.threads
    );
    let _ = writeln!(
        out,
        "![save hit throughput vs threads]({img_dir}/{SAVE_THREADS_SVG})\n\n\
         ![fetch throughput vs threads]({img_dir}/{FETCH_THREADS_SVG})\n"
    );
    let mut headers: Vec<String> = vec!["store".into()];
    for c in &counts {
        headers.push(format!("save hit, {c}t>"));
    }
    for c in &counts {
        headers.push(format!("fetch, {c}t>"));
    }
    headers.push(format!("disturbed runs ({})>", counts.join("/")));
    let rows: Vec<Vec<String>> = sweep
        .stores
        .iter()
        .map(|s| {
            let mut row = vec![s.store.clone()];
            row.extend(s.points.iter().map(|p| num(p.hit_mops, 2)));
            row.extend(s.points.iter().map(|p| num(p.fetch_mops, 2)));
            row.push(
                s.points
                    .iter()
                    .map(|p| p.disturbed_runs.to_string())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
            row
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let _ = writeln!(
        out,
        "Million operations per second, all threads together:\n"
    );
    out.push_str(&markdown_table(&headers, &rows));
    out.push('\n');
}

fn validator(out: &mut String, r: &BenchReport) {
    let Some(v) = &r.depot.validator else {
        return;
    };
    let _ = writeln!(out, "## Validator (`lockdep-graph`)\n");
    let _ = writeln!(
        out,
        "### Acquisition overhead with a cached chain\n\nns per lock+unlock (one lock) and per \
         lock A, lock B, unlock both (two nested), the chain already validated; medians of {} \
         runs of 2M operations:\n",
        r.depot.runs
    );
    let rows: Vec<Vec<String>> = v
        .single_ns
        .iter()
        .zip(&v.nested_ns)
        .map(|((name, one), (_, two))| vec![name.clone(), num(*one, 1), num(*two, 1)])
        .collect();
    out.push_str(&markdown_table(
        &["mutex", "one lock ns>", "two nested ns>"],
        &rows,
    ));
    let _ = writeln!(
        out,
        "\nOverhead of `lockdep-graph`'s wrapped mutex over a bare `parking_lot::Mutex`: \
         **{:.1} ns** per lock+unlock (goal: at most 50 ns). A never-seen dependency through the \
         event API costs {:.0} ns (dependency, its two trace saves, cycle search, new chain); \
         `tracing-mutex` takes {:.0} ns for a new edge.\n",
        v.overhead_ns, v.new_dependency_ns, v.tracing_mutex_new_edge_ns
    );
    if !r.scenarios.is_empty() {
        let _ = writeln!(
            out,
            "### Events per second on the RFC scenario stream\n\nThe validator fed the RFC \
             desktop scenario's lock events (acquisitions with their stack traces, and \
             releases) through the event API, once per trace backend. Measured while the \
             validator was still validating: a fixed array that overflows turns validation off, \
             so its figure covers only the stream before the overflow (a smaller graph, fewer \
             traces).\n"
        );
        let mut rows = Vec::new();
        for sc in &r.scenarios {
            for b in &sc.backends {
                rows.push(vec![
                    format!("{} h", num(f64::from(sc.hours), 0)),
                    b.label.clone(),
                    thousands(b.validating_events),
                    num(b.ns_per_validating_event, 0),
                    num(b.events_per_second() / 1e6, 2),
                ]);
            }
        }
        out.push_str(&markdown_table(
            &[
                "stream",
                "backend",
                "events validated>",
                "ns/event>",
                "million events/s>",
            ],
            &rows,
        ));
        out.push('\n');
    }
    if !v.scale.is_empty() {
        let _ = writeln!(
            out,
            "### Event throughput as the graph grows\n\nGenerated acyclic programs replayed \
             through the event API; cold = first replay (builds the graph), warm = second \
             (every chain cached). Million events per second:\n"
        );
        let rows: Vec<Vec<String>> = v
            .scale
            .iter()
            .map(|s| {
                vec![
                    s.size.clone(),
                    thousands(s.classes as u64),
                    thousands(s.dependencies as u64),
                    thousands(s.chains as u64),
                    thousands(s.events as u64),
                    num(s.cold_mevents_per_s, 2),
                    num(s.warm_mevents_per_s, 2),
                    s.findings.to_string(),
                ]
            })
            .collect();
        out.push_str(&markdown_table(
            &[
                "graph",
                "classes>",
                "dependencies>",
                "chains>",
                "events>",
                "cold>",
                "warm>",
                "findings>",
            ],
            &rows,
        ));
        out.push('\n');
    }
}

fn fixed_vs_growable(out: &mut String, r: &BenchReport, img_dir: &str) {
    if r.scenarios.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Fixed array against growable depot (`fixed_vs_growable`)\n\nThe RFC's desktop \
         session through the validator three times, differing only in the trace store: \
         lockdep's fixed array at its default 2^19 words, at the RFC's 2^21, and the growable \
         depot (`stackdepot_examples::compare`, the logic of \
         `cargo run --release --example fixed_vs_growable`). A fixed array that overflows \
         turns the validator off, as lockdep does; the question is whether the planted ABBA \
         inversion, which the session reaches late, is still reported.\n"
    );
    for sc in &r.scenarios {
        scenario_table(out, sc);
    }
    if !r.memory_curve.is_empty() {
        let _ = writeln!(
            out,
            "![trace memory vs distinct traces]({img_dir}/{MEMORY_SVG})\n\n\
             The fixed arrays cost their full size from boot and end where they overflow. The \
             depot's lines are its memory sampled at about 500 points along the longest \
             stream above, in a separate pass through a depot-backed validator of its own.\n"
        );
    }
}

fn scenario_table(out: &mut String, sc: &ScenarioFigures) {
    let _ = writeln!(
        out,
        "### {:.0} simulated hours (seed {}, scale {}, length {})\n\n{} events, {} \
         acquisitions; planted inversion {}. The comparison took {:.1} s.\n",
        sc.hours,
        sc.seed,
        sc.scale,
        sc.length,
        thousands(sc.events),
        thousands(sc.acquisitions),
        sc.planted,
        sc.wall_seconds
    );
    let rows: Vec<Vec<String>> = sc
        .backends
        .iter()
        .map(|b| {
            let off = match (b.overflow_hour, b.overflow_event) {
                (Some(h), Some(ev)) => format!("at {h:.1} h (event {})", thousands(ev)),
                _ if b.fixed_bits.is_some() => "no (array held)".into(),
                _ => "no (growable)".into(),
            };
            let findings = if b.findings.is_empty() {
                "none".to_string()
            } else {
                b.findings
                    .iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![
                b.label.clone(),
                off,
                if b.inversion_reported {
                    "yes"
                } else {
                    "**no**"
                }
                .into(),
                thousands(b.traces),
                bytes(b.trace_bytes_used),
                bytes(b.trace_bytes_reserved),
                num(b.ns_per_validating_event, 0),
                num(b.events_per_second() / 1e6, 2),
                findings,
            ]
        })
        .collect();
    out.push_str(&markdown_table(
        &[
            "backend",
            "validator turned itself off",
            "planted ABBA reported",
            "distinct traces>",
            "trace memory used>",
            "reserved / mapped>",
            "ns/event while validating>",
            "M events/s>",
            "findings",
        ],
        &rows,
    ));
    let _ = writeln!(
        out,
        "\nDistinct traces are counted at the overflow for an array that overflowed, at the \
         end otherwise. Memory is at the end of the stream.\n"
    );
}

fn method(out: &mut String, r: &BenchReport) {
    let s = &r.settings;
    let _ = writeln!(out, "## How this was measured\n");
    let _ = writeln!(
        out,
        "- Stores: {} runs per figure (medians), {} hit saves and {} fetches per measurement \
         and per thread, {} threads in the concurrent figures, the mixed stream replayed into a \
         fresh store each run. What each figure is and how the baselines' bytes are estimated: \
         `benches/README.md`.",
        r.depot.runs,
        thousands(s.hit_ops),
        thousands(s.fetch_ops),
        r.depot.threads
    );
    let _ = writeln!(
        out,
        "- `kernel-fixed` runs with the smallest array that holds each size (the `detail` \
         column), not the kernel's 2^19 words, which the RFC size already overflows."
    );
    let _ = writeln!(
        out,
        "- Thread sweep: threads {:?}, {}.",
        s.sweep_threads,
        runs(s.sweep_runs)
    );
    let _ = writeln!(
        out,
        "- Validator: the scale programs at {}.",
        if s.validator_scales.is_empty() {
            "no size".to_string()
        } else {
            s.validator_scales.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "- Fixed vs growable: scenario scale {}, lengths {:?} (24 simulated hours each); below \
         scale 1 the fixed arrays shrink with the stream.",
        s.scenario_scale, s.scenario_lengths
    );
    let _ = writeln!(
        out,
        "- Everything ran in one process, one phase after another (table under Machine), on \
         the machine named there, with other work running beside it."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_numbers_and_escape_pipes() {
        let t = markdown_table(
            &["name", "value>"],
            &[
                vec!["a|b".into(), "1.5".into()],
                vec!["short".into()],
                vec!["x".into(), "2".into(), "dropped".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "| name | value |");
        assert_eq!(lines[1], "| --- | ---: |");
        assert_eq!(lines[2], "| a\\|b | 1.5 |");
        assert_eq!(lines[3], "| short |  |");
        assert_eq!(lines[4], "| x | 2 |");
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn verdicts_say_by_how_much_a_goal_is_missed() {
        // Goals built by depot-report's own logic from made-up figures.
        let depot = StoreFigures {
            store: StackDepotStore::NAME.into(),
            threads: 2,
            hit_ratio: 0.5,
            insert_ratio: 0.2,
            fetch_ratio: 0.3,
            hit_scaling: 1.2,
            fetch_scaling: 1.9,
            bytes_per_frame: 9.0,
            ..StoreFigures::default()
        };
        let goals = crate::report::store_goals("kasan", &[depot], None);
        let verdict = |what: &str| {
            goals
                .iter()
                .find(|g| g.what.starts_with(what))
                .map(goal_verdict)
                .unwrap()
        };
        assert_eq!(
            verdict("save hit, ratio"),
            "**missed** by 0.050 (1.11× the bound)"
        );
        assert_eq!(verdict("save new, ratio"), "met (0.050 to spare)");
        assert_eq!(verdict("fetch, ratio"), "met (0.000 to spare)");
        assert_eq!(
            verdict("save hit, 2 threads"),
            "**missed** by 0.600 (0.67× the bound)"
        );
        assert_eq!(verdict("bytes per stored frame"), "met (0.500 to spare)");
        assert_eq!(parse_bound("< 1048576"), Some((false, 1_048_576.0)));
        assert_eq!(parse_bound(">= 1.8"), Some((true, 1.8)));
        assert_eq!(parse_bound("about 3"), None);
    }

    #[test]
    fn numbers_are_grouped_and_sized() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(bytes(2048), "2.0 KiB");
        assert_eq!(bytes(3 << 20), "3.00 MiB");
        assert_eq!(ratio(1.0, 0.0), "n/a");
        assert_eq!(ratio(1.0, 4.0), "0.25");
    }
}
