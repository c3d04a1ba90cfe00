//! The scenario's acquisition traces as an SDW1 workload.

use crate::scenario::{Scenario, ScenarioConfig, ScenarioError};
use crate::sdw1::{Sdw1, Sdw1Builder};

/// Every acquisition's trace of the scenario, in stream order, up to `max_events` stream events
/// (all of them for `None`). This is what a store sees if every acquisition saves its stack
/// (page_owner-style), not the validator's lazier saves: the validator saves only on a new
/// dependency or a first class use, a small, dedup-heavy subset of these.
pub fn scenario_workload(
    config: ScenarioConfig,
    max_events: Option<u64>,
) -> Result<Sdw1, ScenarioError> {
    let scenario = Scenario::new(config)?;
    let mut b = Sdw1Builder::new();
    let limit = max_events.unwrap_or(u64::MAX);
    for ev in scenario.take_while(|e| e.index < limit) {
        if let Some(frames) = ev.frames() {
            b.save(frames);
        }
    }
    Ok(b.finish())
}
