//! Feeding one scenario stream to every validator and recording the outcome.

use std::time::{Duration, Instant};

use lockdep_graph::{Finding, FindingKind, StoreKind, Validator, ValidatorConfig, ValidatorStats};

use crate::scenario::{Event, PlantedInversion, Scenario, ScenarioConfig, ScenarioError};

/// Bits of lockdep's default array (`CONFIG_LOCKDEP_STACK_TRACE_BITS=19`).
pub const DEFAULT_BITS: u32 = 19;
/// Bits the RFC proposes.
pub const RFC_BITS: u32 = 21;
/// The fixed store's 2^14-bucket hash table, allocated with the array.
const FIXED_HASH_BYTES: u64 = 16_384 * 8;
/// Events generated, then fed to each validator in turn, per round.
const CHUNK: usize = 8192;

/// What to compare.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CompareConfig {
    /// The stream.
    pub scenario: ScenarioConfig,
    /// The stores, one validator each.
    #[serde(skip)]
    pub stores: Vec<StoreKind>,
}

impl CompareConfig {
    /// The demo's three stores: today's `Fixed{19}`, the RFC's `Fixed{21}` and the depot. Below
    /// scale 1 the fixed arrays shrink with the stream ([`fixed_bits_for_scale`]), so they
    /// overflow at about the same simulated hour.
    pub fn rfc(scenario: ScenarioConfig) -> CompareConfig {
        CompareConfig {
            scenario,
            stores: vec![
                StoreKind::Fixed {
                    bits: fixed_bits_for_scale(DEFAULT_BITS, scenario.scale),
                },
                StoreKind::Fixed {
                    bits: fixed_bits_for_scale(RFC_BITS, scenario.scale),
                },
                StoreKind::Depot,
            ],
        }
    }
}

/// `bits` adjusted for a stream `scale` times the session: `bits + round(log2(scale))`, within
/// lockdep's Kconfig range 10..=26.
pub fn fixed_bits_for_scale(bits: u32, scale: f64) -> u32 {
    let delta = if scale.is_finite() && scale > 0.0 {
        scale.log2().round() as i64
    } else {
        0
    };
    (i64::from(bits) + delta).clamp(10, 26) as u32
}

/// When a fixed array ran out.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Death {
    /// Index of the event whose trace did not fit.
    pub event: u64,
    /// Its simulated hour.
    pub hour: f32,
    /// The validator's counters right then (its /proc/lockdep_stats at the overflow).
    pub stats: ValidatorStats,
    /// The first lines of the ValidatorDisabled report ("BUG: MAX_STACK_TRACE_ENTRIES too low!" ...).
    pub report: String,
}

/// Memory the store used for traces.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TraceMemory {
    /// Bytes the stored traces occupy (fixed: array words used; depot: `bytes_used`).
    pub used: u64,
    /// Bytes set aside (fixed: the whole static array and its hash table; depot: `bytes_mapped`).
    pub reserved: u64,
}

/// One validator's outcome.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StoreRun {
    /// "Fixed 2^19", "Fixed 2^21", "Depot".
    pub label: String,
    /// `Some(bits)` for a fixed array.
    pub fixed_bits: Option<u32>,
    /// Counters at the end of the stream.
    pub stats: ValidatorStats,
    /// When the fixed array overflowed, if it did.
    pub death: Option<Death>,
    /// Whether the planted inversion was reported.
    pub inversion_reported: bool,
    /// The report of the planted inversion, when there is one.
    pub inversion_report: Option<String>,
    /// Findings by kind (`kind.as_str()`, count).
    pub findings: Vec<(String, usize)>,
    /// Trace memory.
    pub memory: TraceMemory,
    /// Depot counters (depot store only).
    #[serde(skip)]
    pub depot: Option<stackdepot::Stats>,
    /// Wall time spent inside the validator for the whole stream.
    pub elapsed_ns: u64,
    /// Wall time inside the validator while it was still validating.
    pub validating_ns: u64,
    /// Events it saw while still validating.
    pub validating_events: u64,
}

impl StoreRun {
    /// Mean nanoseconds per event over the whole stream.
    pub fn ns_per_event(&self, events: u64) -> f64 {
        if events == 0 {
            0.0
        } else {
            self.elapsed_ns as f64 / events as f64
        }
    }

    /// Mean nanoseconds per event while the validator was still validating.
    pub fn ns_per_validating_event(&self) -> f64 {
        if self.validating_events == 0 {
            0.0
        } else {
            self.validating_ns as f64 / self.validating_events as f64
        }
    }
}

/// Everything the demo prints.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Comparison {
    /// The stream's knobs.
    pub scenario: ScenarioConfig,
    /// Events in the stream.
    pub events: u64,
    /// Acquisitions among them.
    pub acquisitions: u64,
    /// Simulated hours covered.
    pub hours: f32,
    /// The planted inversion.
    pub inversion: PlantedInversion,
    /// One per store, in config order.
    pub runs: Vec<StoreRun>,
    /// Wall time of the whole run (generation included).
    pub wall_ms: u64,
}

struct Live {
    validator: Validator,
    label: String,
    fixed_bits: Option<u32>,
    death: Option<Death>,
    elapsed: Duration,
    validating: Duration,
    validating_events: u64,
}

/// Runs `config`'s stream through one validator per store. `progress` is told how many events
/// have been processed after every chunk.
pub fn run(
    config: &CompareConfig,
    progress: &mut dyn FnMut(u64),
) -> Result<Comparison, ScenarioError> {
    let started = Instant::now();
    let mut scenario = Scenario::new(config.scenario)?;
    let inversion = scenario.planted_inversion().clone();
    let mut live: Vec<Live> = config
        .stores
        .iter()
        .map(|&store| {
            let validator = Validator::new(ValidatorConfig {
                store,
                ..ValidatorConfig::default()
            });
            scenario.register_names(&validator);
            let (label, fixed_bits) = match store {
                StoreKind::Fixed { bits } => (format!("Fixed 2^{bits}"), Some(bits)),
                StoreKind::Depot => ("Depot".to_string(), None),
            };
            Live {
                validator,
                label,
                fixed_bits,
                death: None,
                elapsed: Duration::ZERO,
                validating: Duration::ZERO,
                validating_events: 0,
            }
        })
        .collect();

    let (mut events, mut acquisitions, mut last_hour) = (0u64, 0u64, 0f32);
    let mut chunk: Vec<Event> = Vec::with_capacity(CHUNK);
    loop {
        chunk.clear();
        chunk.extend(scenario.by_ref().take(CHUNK));
        if chunk.is_empty() {
            break;
        }
        for l in &mut live {
            feed(l, &chunk);
        }
        events += chunk.len() as u64;
        acquisitions += chunk.iter().filter(|e| e.frames().is_some()).count() as u64;
        last_hour = chunk.last().map_or(last_hour, |e| e.hour);
        progress(events);
    }

    let runs = live
        .into_iter()
        .map(|l| {
            let findings = l.validator.findings();
            let depot = l.validator.depot().map(|d| d.stats());
            let stats = l.validator.stats();
            let memory = match (l.fixed_bits, &depot) {
                (Some(bits), _) => TraceMemory {
                    used: stats.depot_bytes,
                    reserved: (8u64 << bits) + FIXED_HASH_BYTES,
                },
                (None, Some(d)) => TraceMemory {
                    used: d.bytes_used,
                    reserved: d.bytes_mapped,
                },
                (None, None) => TraceMemory {
                    used: stats.depot_bytes,
                    reserved: stats.depot_bytes,
                },
            };
            StoreRun {
                label: l.label,
                fixed_bits: l.fixed_bits,
                inversion_reported: inversion.is_reported_in(&findings),
                inversion_report: inversion.report_in(&findings).map(|f| f.report.clone()),
                findings: count_kinds(&findings),
                stats,
                death: l.death,
                memory,
                depot,
                elapsed_ns: l.elapsed.as_nanos() as u64,
                validating_ns: l.validating.as_nanos() as u64,
                validating_events: l.validating_events,
            }
        })
        .collect();
    Ok(Comparison {
        scenario: config.scenario,
        events,
        acquisitions,
        hours: last_hour,
        inversion,
        runs,
        wall_ms: started.elapsed().as_millis() as u64,
    })
}

/// Feeds one chunk to one validator, timing it and noticing the moment it stops validating.
fn feed(l: &mut Live, chunk: &[Event]) {
    let t = Instant::now();
    if l.death.is_some() {
        for ev in chunk {
            ev.apply(&l.validator);
        }
        l.elapsed += t.elapsed();
        return;
    }
    let mut died = None;
    for (i, ev) in chunk.iter().enumerate() {
        ev.apply(&l.validator);
        if !l.validator.is_validating() {
            died = Some(i);
            break;
        }
    }
    let Some(i) = died else {
        let d = t.elapsed();
        l.elapsed += d;
        l.validating += d;
        l.validating_events += chunk.len() as u64;
        return;
    };
    let d = t.elapsed();
    l.elapsed += d;
    l.validating += d;
    l.validating_events += i as u64 + 1;
    let ev = &chunk[i];
    let report = l
        .validator
        .findings()
        .iter()
        .find(|f| f.kind == FindingKind::ValidatorDisabled)
        .map(|f| f.report.lines().take(3).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default();
    l.death = Some(Death {
        event: ev.index,
        hour: ev.hour,
        stats: l.validator.stats(),
        report,
    });
    let t = Instant::now();
    for ev in &chunk[i + 1..] {
        ev.apply(&l.validator);
    }
    l.elapsed += t.elapsed();
}

fn count_kinds(findings: &[Finding]) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for f in findings {
        match out.iter_mut().find(|(k, _)| k == f.kind.as_str()) {
            Some((_, n)) => *n += 1,
            None => out.push((f.kind.as_str().to_string(), 1)),
        }
    }
    out
}
