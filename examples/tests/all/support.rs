//! Helpers shared by the test modules.

use std::collections::HashSet;
use std::sync::Arc;

use stackdepot_examples::scenario::{Event, Scenario, ScenarioConfig};

/// A small scenario config.
pub(crate) fn small(seed: u64, scale: f64) -> ScenarioConfig {
    ScenarioConfig {
        seed,
        scale,
        length: 1,
    }
}

/// The whole stream of `config`.
pub(crate) fn events(config: ScenarioConfig) -> Vec<Event> {
    Scenario::new(config).expect("valid config").collect()
}

/// The distinct acquisition traces of a stream, in first-seen order.
pub(crate) fn distinct_traces(events: &[Event]) -> Vec<Arc<[usize]>> {
    let mut seen: HashSet<&[usize]> = HashSet::new();
    let mut out = Vec::new();
    for e in events {
        if let stackdepot_examples::scenario::EventKind::Acquire { frames, .. } = &e.kind
            && seen.insert(frames)
        {
            out.push(frames.clone());
        }
    }
    out
}
