//! The benchmark workloads and the scenario's SDW1 export.

use stackdepot_examples::scenario::Scenario;
use stackdepot_examples::sdw1::Sdw1;
use stackdepot_examples::workload::{WorkloadSpec, scenario_workload};

use crate::support::{distinct_traces, events, small};

#[test]
fn bench_workloads_have_the_requested_shape() {
    for spec in [
        WorkloadSpec::rfc().scaled(0.05),
        WorkloadSpec::kasan().scaled(0.005),
    ] {
        let sdw = spec.generate();
        let s = sdw.summary();
        assert_eq!(s.traces as usize, spec.traces, "{}", spec.name);
        assert_eq!(s.events as usize, spec.saves, "{}", spec.name);
        // Every trace is saved at least once: inserts = traces.
        let expected_hits = 1.0 - spec.traces as f64 / spec.saves as f64;
        assert!(
            (s.hit_ratio - expected_hits).abs() < 1e-9,
            "{}: {}",
            spec.name,
            s.hit_ratio
        );
        assert!(
            (s.mean_depth - spec.mean_depth).abs() < 1.0,
            "{}: depth {}",
            spec.name,
            s.mean_depth
        );
        // First occurrences come in trace order (the builder numbers traces as it meets them).
        let mut next = 0u32;
        for &e in sdw.events() {
            assert!(e <= next);
            if e == next {
                next += 1;
            }
        }
        assert_eq!(Sdw1::from_bytes(&sdw.to_bytes()).expect("valid"), sdw);
    }
}

#[test]
fn the_full_kasan_spec_is_200k_traces_4m_saves() {
    let k = WorkloadSpec::kasan();
    assert_eq!((k.traces, k.saves), (200_000, 4_000_000));
    let r = WorkloadSpec::rfc();
    assert_eq!(r.traces, 22_080);
}

#[test]
fn scenario_export_holds_every_acquisition_trace_in_order() {
    let config = small(41, 0.01);
    let evs = events(config);
    let sdw = scenario_workload(config, None).expect("valid");
    let acquisitions: Vec<&[usize]> = evs.iter().filter_map(|e| e.frames()).collect();
    assert_eq!(sdw.n_events(), acquisitions.len());
    assert_eq!(sdw.n_traces(), distinct_traces(&evs).len());
    assert!(sdw.saves().zip(&acquisitions).all(|(a, b)| a == *b));

    let part = scenario_workload(config, Some(1000)).expect("valid");
    let want = Scenario::new(config)
        .expect("valid")
        .take(1000)
        .filter(|e| e.frames().is_some())
        .count();
    assert_eq!(part.n_events(), want);
}
