//! The scale knob shrinks the session.

use std::collections::HashSet;

use stackdepot_examples::scenario::{EventKind, Scenario};

use crate::support::{distinct_traces, events, small};

struct Counts {
    events: usize,
    acquisitions: usize,
    traces: usize,
    classes: usize,
    class_universe: usize,
}

fn counts(scale: f64) -> Counts {
    let config = small(5, scale);
    let evs = events(config);
    let classes: HashSet<_> = evs
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Acquire { lock, .. } => Some(lock.class),
            EventKind::Release { .. } => None,
        })
        .collect();
    Counts {
        events: evs.len(),
        acquisitions: evs.iter().filter(|e| e.frames().is_some()).count(),
        traces: distinct_traces(&evs).len(),
        classes: classes.len(),
        class_universe: Scenario::new(config).expect("valid").class_count(),
    }
}

#[test]
fn smaller_scale_means_fewer_events_traces_and_classes() {
    let big = counts(0.08);
    let small = counts(0.02);
    // Events are planned proportionally to scale (plus a few to release held locks).
    let ratio = big.events as f64 / small.events as f64;
    assert!((3.9..4.1).contains(&ratio), "event ratio {ratio}");
    assert!(big.acquisitions > 3 * small.acquisitions);
    assert!(
        big.traces > 2 * small.traces,
        "traces {} vs {}",
        big.traces,
        small.traces
    );
    assert!(
        big.classes > small.classes,
        "classes {} vs {}",
        big.classes,
        small.classes
    );
    assert!(big.class_universe > small.class_universe);
}

#[test]
fn planned_events_follow_scale_and_length() {
    let base = Scenario::new(small(1, 0.1))
        .expect("valid")
        .planned_events();
    let half = Scenario::new(small(1, 0.05))
        .expect("valid")
        .planned_events();
    let double = Scenario::new(stackdepot_examples::scenario::ScenarioConfig {
        length: 2,
        ..small(1, 0.1)
    })
    .expect("valid")
    .planned_events();
    assert_eq!(half * 2, base);
    assert_eq!(double, base * 2);
}
