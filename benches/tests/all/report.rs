//! The report's arithmetic: ratios against the reference and goal checks.

use stackdepot_benches::calibration::MachineCeiling;
use stackdepot_benches::measure::Sample;
use stackdepot_benches::report::{
    Effort, Machine, Report, Sdw1Report, SizeReport, StoreFigures, evaluate_goals, fill_ratios,
    goal_ceilings, store_goals,
};

fn figures(store: &str, hit: f64, insert: f64, fetch: f64) -> StoreFigures {
    StoreFigures {
        store: store.to_string(),
        threads: 2,
        ..StoreFigures::default()
    }
    .with_times(hit, insert, fetch, Some(hit * 2.0))
    // Reading the frames costs the same in every store: 30 ns on top of the fetch.
    .with_fetch_read(fetch + 30.0, (fetch + 30.0) / 2.0)
}

#[test]
fn ratios_are_against_the_hand_written_store() {
    let mut stores = vec![
        figures("stackdepot", 40.0, 100.0, 10.0).with_scaling(25.0, 5.0),
        figures("mutex-hashmap", 100.0, 200.0, 50.0).with_scaling(100.0, 50.0),
    ];
    fill_ratios(&mut stores);
    let d = &stores[0];
    assert!((d.hit_ratio - 0.4).abs() < 1e-9);
    assert!((d.insert_ratio - 0.5).abs() < 1e-9);
    assert!((d.fetch_ratio - 0.2).abs() < 1e-9);
    // fetch + read: 40 / 80.
    assert!((d.fetch_read_ratio - 0.5).abs() < 1e-9);
    assert!((d.fetch_read_scaling - 2.0).abs() < 1e-9);
    assert_eq!(d.stream_ratio, Some(0.4));
    // 40 ns one thread = 25 Mops/s; 25 ns per op over 2 threads = 40 Mops/s.
    assert!((d.hit_scaling - 1.6).abs() < 1e-9);
    assert!((d.fetch_scaling - 2.0).abs() < 1e-9);
    assert!((stores[1].hit_ratio - 1.0).abs() < 1e-9);
}

#[test]
fn goals_use_the_kasan_size_and_report_misses() {
    let mut stores = vec![
        figures("mutex-hashmap", 100.0, 200.0, 50.0).with_scaling(100.0, 50.0),
        figures("stackdepot", 40.0, 100.0, 10.0).with_scaling(25.0, 5.0),
    ];
    stores[1].bytes_per_frame = 9.0;
    fill_ratios(&mut stores);
    let size = |name: &str, stores: Vec<StoreFigures>| size_report(name, stores, None);
    // The rfc entry would meet everything; the goals must come from kasan's.
    let mut good = stores.clone();
    good[1] = figures("stackdepot", 1.0, 1.0, 1.0).with_scaling(0.5, 0.5);
    fill_ratios(&mut good);
    let goals = evaluate_goals(&[size("rfc", good), size("kasan", stores)], None, None);
    let met = |what: &str| {
        goals
            .iter()
            .find(|g| g.what.starts_with(what))
            .map(|g| g.met)
    };
    assert_eq!(met("save hit, ratio"), Some(true)); // 0.4 <= 0.45
    assert_eq!(met("save new, ratio"), Some(false)); // 0.5 > 0.25
    assert_eq!(met("fetch, ratio"), Some(true)); // 0.2 <= 0.3
    assert_eq!(met("save hit, 2 threads"), Some(false)); // 1.6 < 1.8
    assert_eq!(met("fetch, 2 threads"), Some(true)); // 2.0
    // fetch + read (40 / 80 = 0.5) is shown with no bound: neither met nor missed.
    let read = goals
        .iter()
        .find(|g| g.what.starts_with("fetch + read every frame, ratio"))
        .expect("the fetch + read row is reported");
    assert!(read.informational);
    assert!((read.measured - 0.5).abs() < 1e-9);
    assert_eq!(goals.iter().filter(|g| g.informational).count(), 1);
    assert_eq!(met("bytes per stored frame"), Some(true));
    assert!(goals.iter().all(|g| g.what.contains("(kasan)")));
}

#[test]
fn process_cpu_per_insert_is_compared_and_shown_without_a_bound() {
    let mut stores = vec![
        figures("mutex-hashmap", 100.0, 200.0, 50.0).with_insert_cpu(Some(210.0), 0),
        figures("stackdepot", 40.0, 40.0, 10.0).with_insert_cpu(Some(105.0), 2),
        figures("dashmap", 90.0, 150.0, 40.0),
    ];
    fill_ratios(&mut stores);
    assert_eq!(stores[1].insert_cpu_ratio, Some(0.5));
    assert_eq!(stores[0].insert_cpu_ratio, Some(1.0));
    // Not measured: no ratio rather than a made-up one.
    assert_eq!(stores[2].insert_cpu_ratio, None);
    let goals = store_goals("kasan", &stores, None);
    let what: Vec<&str> = goals.iter().map(|g| g.what.as_str()).collect();
    let cpu = goals
        .iter()
        .position(|g| {
            g.what
                .starts_with("save new, process CPU time (all threads), ratio")
        })
        .expect("the process CPU row is reported");
    assert_eq!(what[cpu - 1], "save new, ratio vs mutex-hashmap (kasan)");
    let row = &goals[cpu];
    assert!(row.informational && row.met, "{row:?}");
    assert_eq!(row.target, "none (informational)");
    assert!((row.measured - 0.5).abs() < 1e-9);
    // The save new goal itself is still on the saving thread's wall time: 40/200.
    assert!((goals[cpu - 1].measured - 0.2).abs() < 1e-9 && goals[cpu - 1].met);

    // Without a CPU figure for the reference, the row is left out, not zero.
    let mut no_reference = stores.clone();
    no_reference[0].insert_cpu_ns = None;
    fill_ratios(&mut no_reference);
    let goals = store_goals("kasan", &no_reference, None);
    assert!(goals.iter().all(|g| !g.what.contains("process CPU")));
    assert_eq!(goals.iter().filter(|g| g.informational).count(), 1);
}

#[test]
fn paired_scaling_is_the_median_of_clean_per_run_ratios() {
    let s = |ns, waited| Sample { ns, waited };
    // Run 2 was slowed by outside load in both measurements but not flagged: its
    // ratio is still 2. Run 4's two-thread measurement waited for a CPU: set aside.
    let one = [s(10.0, 0.0), s(40.0, 0.0), s(10.0, 0.0), s(10.0, 0.0)];
    let multi = [s(5.0, 0.0), s(20.0, 0.0), s(10.0, 0.0), s(50.0, 0.3)];
    let f = figures("stackdepot", 20.0, 1.0, 20.0)
        // Ratios of medians: 1.0, replaced below.
        .with_scaling(20.0, 20.0)
        .with_fetch_read(20.0, 20.0)
        .with_paired_scaling((&one, &multi), (&one, &multi), (&one, &multi));
    assert!((f.hit_scaling - 2.0).abs() < 1e-9, "{}", f.hit_scaling);
    assert!((f.fetch_scaling - 2.0).abs() < 1e-9);
    assert!((f.fetch_read_scaling - 2.0).abs() < 1e-9);
    // Every pair disturbed: the median of all of them.
    let bad = [s(10.0, 0.5), s(10.0, 0.5), s(10.0, 0.5)];
    let multi = [s(10.0, 0.5), s(5.0, 0.5), s(2.5, 0.5)];
    let f = figures("stackdepot", 20.0, 1.0, 20.0).with_paired_scaling(
        (&bad, &multi),
        (&bad, &multi),
        (&bad, &multi),
    );
    assert!((f.hit_scaling - 2.0).abs() < 1e-9);
}

/// A size's report with only what the goals read: its name, trace count, stores
/// and machine ceiling.
fn size_report(
    name: &str,
    stores: Vec<StoreFigures>,
    ceiling: Option<MachineCeiling>,
) -> SizeReport {
    SizeReport {
        size: name.to_string(),
        traces: if name == "kasan" { 200_000 } else { 22_000 },
        frames: 0,
        mean_frames: 0.0,
        stream_saves: 0,
        stream_hit_ratio: 0.0,
        input_only_ns: 0.0,
        stores,
        ceiling,
    }
}

fn ceiling(label: &str, alu: f64) -> MachineCeiling {
    MachineCeiling {
        label: label.to_string(),
        threads: 2,
        alu_scaling: alu,
        alu_ns_per_step: 1.0,
        memory_scaling: Some(1.95),
        memory_ns_per_step: Some(90.0),
        runs: 3,
        disturbed_runs: 0,
    }
}

#[test]
fn scaling_goals_carry_the_machine_ceiling_without_changing_verdicts() {
    let mut stores = vec![
        figures("mutex-hashmap", 100.0, 200.0, 50.0).with_scaling(100.0, 50.0),
        // hit 1.6 (missed), fetch 2.0 (met).
        figures("stackdepot", 40.0, 100.0, 10.0).with_scaling(25.0, 5.0),
    ];
    fill_ratios(&mut stores);
    let size = |name: &str, c: Option<MachineCeiling>| size_report(name, stores.clone(), c);
    let with = evaluate_goals(
        &[
            size("rfc", Some(ceiling("rfc", 1.7))),
            size("kasan", Some(ceiling("kasan", 1.53))),
        ],
        None,
        None,
    );
    let without = evaluate_goals(&[size("kasan", None)], None, None);
    // Same goals, same verdicts: the ceiling is context only.
    assert_eq!(with.len(), without.len());
    for (a, b) in with.iter().zip(&without) {
        assert_eq!((&a.what, &a.target, a.met), (&b.what, &b.target, b.met));
        assert!(b.ceiling.is_none());
    }
    // Only the two scaling rows carry it, and it is the goals' size's (kasan), not rfc's.
    let carrying: Vec<&str> = with
        .iter()
        .filter(|g| g.ceiling.is_some())
        .map(|g| g.what.as_str())
        .collect();
    assert_eq!(
        carrying,
        [
            "save hit, 2 threads / 1 thread (kasan)",
            "fetch, 2 threads / 1 thread (kasan)"
        ]
    );
    assert!(
        with.iter()
            .any(|g| g.what.starts_with("save hit, 2") && !g.met)
    );
    let shown = goal_ceilings(&with);
    assert_eq!(shown.len(), 1);
    assert_eq!(
        (shown[0].label.as_str(), shown[0].alu_scaling),
        ("kasan", 1.53)
    );
    // An SDW1 file's goals add their own ceiling, listed once after kasan's.
    let mut all = with.clone();
    all.extend(store_goals(
        "f.sdw1",
        &stores,
        Some(&ceiling("f.sdw1", 1.6)),
    ));
    let labels: Vec<&str> = goal_ceilings(&all)
        .iter()
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(labels, ["kasan", "f.sdw1"]);
}

#[test]
fn a_report_checks_the_sizes_goals_then_each_sdw1_files() {
    let mut stores = vec![
        figures("mutex-hashmap", 100.0, 200.0, 50.0).with_scaling(100.0, 50.0),
        figures("stackdepot", 40.0, 100.0, 10.0).with_scaling(25.0, 5.0),
    ];
    fill_ratios(&mut stores);
    let file = Sdw1Report {
        file: "f.sdw1".into(),
        summary: Default::default(),
        referenced_traces: 0,
        referenced_frames: 0,
        verified: true,
        stores: stores.clone(),
        ceiling: None,
    };
    let r = Report::new(
        Machine::default(),
        Effort::QUICK,
        vec![size_report("kasan", stores.clone(), None)],
        None,
        None,
        vec![file],
    );
    let kasan = evaluate_goals(&[size_report("kasan", stores.clone(), None)], None, None);
    let sdw1 = store_goals("f.sdw1", &stores, None);
    let whats: Vec<&str> = r.goals.iter().map(|g| g.what.as_str()).collect();
    let expected: Vec<&str> = kasan.iter().chain(&sdw1).map(|g| g.what.as_str()).collect();
    assert_eq!(whats, expected);
    assert!(whats.last().is_some_and(|w| w.ends_with("(f.sdw1)")));
    assert_eq!(
        (r.runs, r.threads, r.reference.as_str()),
        (Effort::QUICK.runs, Effort::QUICK.threads, "mutex-hashmap")
    );
}
