//! The growable depot's memory as the RFC scenario's traces accumulate: one pass of
//! the stream through a depot-backed validator, sampling its counters. The
//! comparison (`stackdepot_examples::compare`) only reports the end state, and the
//! chart needs the whole curve.

use lockdep_graph::{StoreKind, Validator, ValidatorConfig};
use serde::Serialize;
use stackdepot_examples::scenario::{Scenario, ScenarioConfig};

/// The depot-backed validator's trace memory at one point of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MemorySample {
    /// Events applied so far.
    pub events: u64,
    /// Simulated hour of the last of them.
    pub hour: f32,
    /// Distinct traces stored.
    pub traces: u64,
    /// The depot's `bytes_used` (records, slab overhead, live index).
    pub bytes_used: u64,
    /// The depot's `bytes_mapped` (also the no-wait reserve and spare tables).
    pub bytes_mapped: u64,
}

/// Streams `scenario` through a validator backed by the growable depot and samples
/// its memory every `every` events and at the end.
pub fn sample_depot_memory(
    scenario: ScenarioConfig,
    every: u64,
) -> Result<Vec<MemorySample>, String> {
    let stream = Scenario::new(scenario).map_err(|e| format!("scenario {scenario:?}: {e}"))?;
    let validator = Validator::new(ValidatorConfig {
        store: StoreKind::Depot,
        ..ValidatorConfig::default()
    });
    stream.register_names(&validator);
    let every = every.max(1);
    let mut samples = vec![sample(&validator, 0, 0.0)?];
    let (mut events, mut hour) = (0u64, 0f32);
    for ev in stream {
        ev.apply(&validator);
        events += 1;
        hour = ev.hour;
        if events.is_multiple_of(every) {
            samples.push(sample(&validator, events, hour)?);
        }
    }
    if samples.last().is_some_and(|s| s.events != events) {
        samples.push(sample(&validator, events, hour)?);
    }
    Ok(samples)
}

fn sample(v: &Validator, events: u64, hour: f32) -> Result<MemorySample, String> {
    let depot = v
        .depot()
        .ok_or("a depot-backed validator has no depot")?
        .stats();
    Ok(MemorySample {
        events,
        hour,
        traces: v.stats().stack_traces,
        bytes_used: depot.bytes_used,
        bytes_mapped: depot.bytes_mapped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_grow_with_the_stream() {
        let config = ScenarioConfig {
            scale: 0.01,
            ..ScenarioConfig::default()
        };
        let samples = sample_depot_memory(config, 5_000).unwrap();
        assert!(samples.len() > 2);
        assert_eq!(samples[0].traces, 0);
        for pair in samples.windows(2) {
            assert!(pair[1].events > pair[0].events);
            assert!(pair[1].traces >= pair[0].traces);
        }
        let last = samples[samples.len() - 1];
        assert!(last.traces > 0);
        assert!(last.bytes_mapped >= last.bytes_used);
        assert_eq!(last.events, Scenario::new(config).unwrap().count() as u64);
    }
}
