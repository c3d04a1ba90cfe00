//! Structural properties of the event stream: balanced, LIFO, ordered, kernel-like frames.

use std::collections::HashMap;

use lockdep_graph::{ClassKey, LockInstance};
use stackdepot_examples::scenario::{EventKind, KERNEL_TEXT_BASE, Scenario};

use crate::support::{events, small};

#[test]
fn every_thread_releases_what_it_took_in_reverse_order() {
    let evs = events(small(11, 0.02));
    let mut held: HashMap<u64, Vec<LockInstance>> = HashMap::new();
    for e in &evs {
        let stack = held.entry(e.thread).or_default();
        match &e.kind {
            EventKind::Acquire { lock, .. } => {
                assert!(
                    !stack.iter().any(|h| h.class == lock.class),
                    "event {}: thread {} takes class {:?} twice",
                    e.index,
                    e.thread,
                    lock.class
                );
                stack.push(*lock);
            }
            EventKind::Release { lock } => {
                assert_eq!(
                    stack.pop(),
                    Some(*lock),
                    "event {}: release out of LIFO order",
                    e.index
                );
            }
        }
    }
    assert!(
        held.values().all(Vec::is_empty),
        "locks still held at the end of the stream"
    );
}

#[test]
fn indices_are_sequential_and_hours_never_go_back() {
    let s = Scenario::new(small(12, 0.01)).expect("valid");
    let eph = s.events_per_hour();
    let evs: Vec<_> = s.collect();
    for (i, e) in evs.iter().enumerate() {
        assert_eq!(e.index, i as u64);
        assert!((e.hour as f64 - i as f64 / eph).abs() < 1e-3 * (1.0 + e.hour as f64));
    }
    assert!(evs.windows(2).all(|w| w[0].hour <= w[1].hour));
    let last = evs.last().expect("non-empty stream");
    assert!(
        last.hour > 23.9 && last.hour < 24.1,
        "a length-1 stream covers 24 h, ended at {}",
        last.hour
    );
}

#[test]
fn frames_are_kernel_text_return_addresses_with_lock_acquire_on_top() {
    let s = Scenario::new(small(13, 0.01)).expect("valid");
    let names: HashMap<ClassKey, String> = s.class_names();
    let sym = Scenario::new(small(13, 0.01)).expect("valid");
    let mut checked = 0;
    for e in s.take(20_000) {
        if let EventKind::Acquire { lock, frames, .. } = &e.kind {
            assert!(
                names.contains_key(&lock.class),
                "class of event {} has no name",
                e.index
            );
            assert!(
                frames
                    .iter()
                    .all(|&f| (KERNEL_TEXT_BASE..KERNEL_TEXT_BASE + (64 << 20)).contains(&f))
            );
            let (top, _) = sym
                .symbolize(frames[0])
                .expect("innermost frame symbolizes");
            assert_eq!(top, "lock_acquire");
            for &f in frames.iter() {
                assert!(
                    sym.symbolize(f).is_some(),
                    "frame {f:#x} is outside every function"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 5_000);
}
