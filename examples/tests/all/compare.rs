//! The fixed_vs_growable logic at small scale.

use lockdep_graph::StoreKind;
use stackdepot_examples::compare::{CompareConfig, fixed_bits_for_scale, run};

use crate::support::small;

#[test]
fn fixed_bits_follow_scale() {
    assert_eq!(fixed_bits_for_scale(19, 1.0), 19);
    assert_eq!(fixed_bits_for_scale(19, 0.25), 17);
    assert_eq!(fixed_bits_for_scale(21, 0.01), 14);
    assert_eq!(fixed_bits_for_scale(19, 0.001), 10);
    assert_eq!(fixed_bits_for_scale(19, f64::NAN), 19);
}

#[test]
fn the_fixed_array_dies_before_the_inversion_and_only_the_depot_reports_it() {
    let config = CompareConfig::rfc(small(51, 0.02));
    assert_eq!(config.stores[0], StoreKind::Fixed { bits: 13 });
    let mut progress = Vec::new();
    let c = run(&config, &mut |n| progress.push(n)).expect("valid config");

    assert!(progress.windows(2).all(|w| w[0] < w[1]) && progress.last() == Some(&c.events));
    let [fixed19, _fixed21, depot] = &c.runs[..] else {
        panic!("three runs")
    };

    // Today's array (scaled) overflows, reports it once, and stops validating before the ABBA.
    let death = fixed19
        .death
        .as_ref()
        .expect("the scaled 2^19 array overflows");
    assert!(
        death.event < c.inversion.forward_event,
        "died at {} after the plant at {}",
        death.event,
        c.inversion.forward_event
    );
    assert!(
        death
            .report
            .contains("BUG: MAX_STACK_TRACE_ENTRIES too low!"),
        "{}",
        death.report
    );
    assert!(!death.stats.debug_locks && !fixed19.stats.debug_locks);
    assert_eq!(death.stats.stack_trace_entries_max, Some(1 << 13));
    assert!(
        death.stats.stack_trace_entries + 64 > 1 << 13,
        "died at {} entries",
        death.stats.stack_trace_entries
    );
    assert!(!fixed19.inversion_reported);
    assert_eq!(
        fixed19.findings,
        vec![("validator_disabled".to_string(), 1)]
    );

    // The depot keeps validating and reports the planted cycle, and only it.
    assert!(depot.death.is_none() && depot.stats.debug_locks);
    assert!(depot.inversion_reported);
    assert_eq!(depot.findings, vec![("circular_dependency".to_string(), 1)]);
    assert!(
        depot
            .inversion_report
            .as_deref()
            .is_some_and(|r| r.contains("circular"))
    );
    // It stored every trace the fixed array had when it died, and more.
    assert!(depot.stats.stack_traces > death.stats.stack_traces);
    assert!(depot.memory.used > 0 && depot.memory.reserved >= depot.memory.used);
    assert_eq!(fixed19.memory.reserved, (8 << 13) + 16_384 * 8);

    // The same events reached every validator.
    assert!(c.runs.iter().all(|r| r.elapsed_ns > 0));
    assert_eq!(depot.stats.acquisitions, c.acquisitions);
}

#[test]
fn the_table_names_every_store_and_the_outcome() {
    let c = run(&CompareConfig::rfc(small(52, 0.01)), &mut |_| {}).expect("valid");
    let text = c.to_string();
    for needle in [
        "Fixed 2^12",
        "Fixed 2^14",
        "Depot",
        "planted ABBA reported",
        "lock-classes",
        "stack traces",
        "RFC",
    ] {
        assert!(text.contains(needle), "table lacks {needle:?}:\n{text}");
    }
    let json = serde_json::to_value(&c).expect("serializes");
    assert_eq!(json["runs"].as_array().map(Vec::len), Some(3));
    assert!(
        json["runs"][2]["inversion_reported"]
            .as_bool()
            .unwrap_or(false)
    );
}
