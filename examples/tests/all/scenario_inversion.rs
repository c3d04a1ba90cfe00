//! The planted ABBA: where and when it appears, and that it is the stream's only cycle.

use lockdep_graph::{FindingKind, StoreKind, Validator, ValidatorConfig};
use stackdepot_examples::scenario::{EventKind, Scenario};

use crate::support::small;

#[test]
fn the_planted_classes_appear_only_in_the_two_planted_orders_near_the_end() {
    let s = Scenario::new(small(31, 0.01)).expect("valid");
    let inv = s.planted_inversion().clone();
    assert!(inv.forward_hour >= 22.9 && inv.reverse_hour > inv.forward_hour);
    let mut order = Vec::new();
    for e in s {
        if let EventKind::Acquire { lock, .. } = &e.kind
            && (lock.class == inv.first.key || lock.class == inv.second.key)
        {
            assert!(
                e.index >= inv.forward_event,
                "planted class used at event {}",
                e.index
            );
            order.push((e.thread, lock.class));
        }
    }
    assert_eq!(
        order,
        vec![
            (inv.forward_thread.key, inv.first.key),
            (inv.forward_thread.key, inv.second.key),
            (inv.reverse_thread.key, inv.second.key),
            (inv.reverse_thread.key, inv.first.key),
        ]
    );
}

#[test]
fn a_depot_validator_finds_exactly_the_planted_cycle() {
    let s = Scenario::new(small(32, 0.02)).expect("valid");
    let inv = s.planted_inversion().clone();
    let v = Validator::new(ValidatorConfig {
        store: StoreKind::Depot,
        ..ValidatorConfig::default()
    });
    s.register_names(&v);
    for e in s {
        e.apply(&v);
    }
    let findings = v.findings();
    assert!(
        inv.is_reported_in(&findings),
        "planted ABBA not reported: {findings:?}"
    );
    // The generator keeps every other path in one global order: nothing else is reported.
    assert_eq!(
        findings.len(),
        1,
        "unexpected findings: {:?}",
        findings.iter().map(|f| f.kind).collect::<Vec<_>>()
    );
    assert_eq!(findings[0].kind, FindingKind::CircularDependency);
    assert!(v.is_validating());
}
