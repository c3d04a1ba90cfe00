//! The `fixed_vs_growable` comparison (`stackdepot_examples::compare`), reduced to
//! the figures the document shows.

use serde::Serialize;
use stackdepot_examples::compare::{CompareConfig, Comparison, StoreRun, run};
use stackdepot_examples::scenario::ScenarioConfig;

/// One validator backend on one scenario stream.
#[derive(Clone, Debug, Serialize)]
pub struct BackendFigures {
    /// "Fixed 2^19", "Fixed 2^21", "Depot".
    pub label: String,
    /// `Some(bits)` for a fixed array.
    pub fixed_bits: Option<u32>,
    /// Index of the event whose trace did not fit, if the array overflowed.
    pub overflow_event: Option<u64>,
    /// Simulated hour of that event.
    pub overflow_hour: Option<f32>,
    /// Distinct traces stored at the overflow, or at the end of the stream.
    pub traces: u64,
    /// Whether the planted ABBA inversion was reported.
    pub inversion_reported: bool,
    /// Bytes the stored traces occupy at the end (fixed: array words used).
    pub trace_bytes_used: u64,
    /// Bytes set aside for traces (fixed: the whole array and its hash table;
    /// depot: everything mapped).
    pub trace_bytes_reserved: u64,
    /// Events seen while the validator was still validating.
    pub validating_events: u64,
    /// Mean ns per event while still validating (trace saves included).
    pub ns_per_validating_event: f64,
    /// Findings by kind.
    pub findings: Vec<(String, usize)>,
}

impl BackendFigures {
    fn from_run(r: &StoreRun) -> BackendFigures {
        BackendFigures {
            label: r.label.clone(),
            fixed_bits: r.fixed_bits,
            overflow_event: r.death.as_ref().map(|d| d.event),
            overflow_hour: r.death.as_ref().map(|d| d.hour),
            traces: r
                .death
                .as_ref()
                .map_or(r.stats.stack_traces, |d| d.stats.stack_traces),
            inversion_reported: r.inversion_reported,
            trace_bytes_used: r.memory.used,
            trace_bytes_reserved: r.memory.reserved,
            validating_events: r.validating_events,
            ns_per_validating_event: r.ns_per_validating_event(),
            findings: r.findings.clone(),
        }
    }

    /// Validator events per second while validating (0 when none were timed).
    pub fn events_per_second(&self) -> f64 {
        if self.ns_per_validating_event > 0.0 {
            1e9 / self.ns_per_validating_event
        } else {
            0.0
        }
    }
}

/// One scenario stream through every backend.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioFigures {
    /// Scenario seed.
    pub seed: u64,
    /// Scenario scale (1 = the RFC's session).
    pub scale: f64,
    /// Sessions of 24 simulated hours.
    pub length: u32,
    /// Events in the stream.
    pub events: u64,
    /// Acquisitions among them.
    pub acquisitions: u64,
    /// Simulated hours covered.
    pub hours: f32,
    /// The planted inversion, as "A -> B at h1 h, reversed at h2 h".
    pub planted: String,
    /// Wall-clock seconds of the comparison (stream generation included).
    pub wall_seconds: f64,
    /// One entry per backend, in the demo's order.
    pub backends: Vec<BackendFigures>,
}

impl ScenarioFigures {
    /// Reduces a comparison to the document's figures.
    pub fn from_comparison(c: &Comparison) -> ScenarioFigures {
        let inv = &c.inversion;
        ScenarioFigures {
            seed: c.scenario.seed,
            scale: c.scenario.scale,
            length: c.scenario.length,
            events: c.events,
            acquisitions: c.acquisitions,
            hours: c.hours,
            planted: format!(
                "{} -> {} from {:.1} h, reversed from {:.1} h",
                inv.first.name, inv.second.name, inv.forward_hour, inv.reverse_hour
            ),
            wall_seconds: c.wall_ms as f64 / 1000.0,
            backends: c.runs.iter().map(BackendFigures::from_run).collect(),
        }
    }
}

/// Runs the demo's comparison (Fixed 2^19, Fixed 2^21, Depot; the arrays shrink
/// with `scale`) on one scenario stream.
pub fn run_scenario(scenario: ScenarioConfig) -> Result<ScenarioFigures, String> {
    let comparison = run(&CompareConfig::rfc(scenario), &mut |_| {})
        .map_err(|e| format!("scenario {scenario:?}: {e}"))?;
    Ok(ScenarioFigures::from_comparison(&comparison))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_scenario_keeps_the_demos_backends_and_outcomes() {
        let config = ScenarioConfig {
            scale: 0.01,
            ..ScenarioConfig::default()
        };
        let f = run_scenario(config).unwrap();
        let labels: Vec<_> = f.backends.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels.len(), 3);
        assert_eq!(labels[2], "Depot");
        assert!(f.events > 0 && f.acquisitions > 0);
        let depot = &f.backends[2];
        // The growable depot never turns the validator off and sees the whole stream.
        assert_eq!(depot.overflow_event, None);
        assert_eq!(depot.validating_events, f.events);
        assert!(depot.trace_bytes_used > 0 && depot.trace_bytes_reserved >= depot.trace_bytes_used);
        // A fixed array that overflowed stopped counting events there.
        for b in f.backends.iter().filter(|b| b.overflow_event.is_some()) {
            assert!(b.validating_events < f.events);
        }
        assert!(
            run_scenario(ScenarioConfig {
                scale: 2.0,
                ..config
            })
            .is_err()
        );
    }
}
