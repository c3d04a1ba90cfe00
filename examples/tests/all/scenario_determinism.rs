//! Same seed, same stream; different seed, different stream.

use stackdepot_examples::scenario::{Scenario, ScenarioConfig};

use crate::support::{events, small};

#[test]
fn same_seed_gives_the_same_stream() {
    let a = events(small(7, 0.01));
    let b = events(small(7, 0.01));
    assert!(
        a.len() > 10_000,
        "stream too short to mean anything: {}",
        a.len()
    );
    assert_eq!(a, b);
}

#[test]
fn different_seeds_give_different_streams() {
    let a = events(small(7, 0.01));
    let b = events(small(8, 0.01));
    let same_prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    assert!(
        same_prefix < 10,
        "seeds 7 and 8 agree on {same_prefix} leading events"
    );
}

#[test]
fn a_longer_stream_starts_like_the_shorter_one() {
    // `length` only moves the end of the stream (and the planted inversion with it).
    let one = ScenarioConfig {
        seed: 3,
        scale: 0.01,
        length: 1,
    };
    let two = ScenarioConfig { length: 2, ..one };
    let inv = Scenario::new(one)
        .expect("valid")
        .planted_inversion()
        .forward_event;
    let a: Vec<_> = Scenario::new(one)
        .expect("valid")
        .take(inv as usize)
        .collect();
    let b: Vec<_> = Scenario::new(two)
        .expect("valid")
        .take(inv as usize)
        .collect();
    assert_eq!(a.len() as u64, inv);
    assert_eq!(a, b);
}

#[test]
fn out_of_range_knobs_are_errors() {
    for scale in [0.0, -1.0, 1.5, f64::NAN, 0.0001] {
        assert!(
            Scenario::new(ScenarioConfig {
                scale,
                ..ScenarioConfig::default()
            })
            .is_err(),
            "scale {scale}"
        );
    }
    for length in [0, 17, u32::MAX] {
        assert!(
            Scenario::new(ScenarioConfig {
                length,
                ..ScenarioConfig::default()
            })
            .is_err(),
            "length {length}"
        );
    }
}
