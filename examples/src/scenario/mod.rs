//! A seeded, deterministic generator of the lock-event stream of the desktop session reported
//! in the March 2026 RFC ("BUG: MAX_STACK_TRACE_ENTRIES too low!" after 9.5–22.6 h).
//!
//! How it works (details and measured figures in docs/scenario.md):
//! - a synthetic call graph of a few hundred functions at kernel-text addresses
//!   ([`KERNEL_TEXT_BASE`]) gives every lock site a realistic stack: shared outer frames
//!   (syscall entry, worker loop, page fault), varied inner frames, depth ≈ N(20.7, 5);
//! - code paths take 1–8 locks in a global order from a universe of classes grouped into
//!   families (one site, many classes), so the graph is acyclic;
//! - executions interleave on a few threads at a time; a code path is new with a probability
//!   that decays with the hour, so traces keep appearing, ever more slowly;
//! - near the end of the stream, after the 2^19-word array has overflowed, two threads take two
//!   fresh classes in opposite orders ([`PlantedInversion`]).

mod calibration;
pub(crate) mod callgraph;
mod classes;
mod config;
mod event;
mod execution;
mod inversion;
mod lock_kind;
mod names;
pub(crate) mod sampling;
mod stream;
mod template;
mod threads;

pub use callgraph::{EntryKind, KERNEL_TEXT_BASE};
pub use config::{DEFAULT_SEED, MAX_LENGTH, MIN_SCALE, ScenarioConfig, ScenarioError};
pub use event::{Event, EventKind};
pub use inversion::{PlantedClass, PlantedInversion};
pub use stream::Scenario;
pub use threads::ThreadInfo;

/// The session length in simulated hours (`length` 1).
pub const SESSION_HOURS: f64 = calibration::SESSION_HOURS;
/// The hour at which the 2^19-word array is meant to overflow at scale 1.
pub const TARGET_OVERFLOW_HOUR: f64 = calibration::OVERFLOW_HOUR;
