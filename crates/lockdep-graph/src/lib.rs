//! A lockdep-faithful lock-dependency validator whose stored traces are stackdepot handles.
//!
//! (Crate documentation is being written.)

mod chain_cache;
mod class_key;
mod config;
mod engine;
mod fast_hash;
mod finding;
pub mod fixed_store;
mod graph;
mod held;
mod jhash;
mod lock_event;
mod registry;
mod report;
mod stats;
mod trace_store;
mod validator;

pub mod replay;
pub mod wrappers;

pub use class_key::ClassKey;
pub use config::{Sink, StoreKind, ValidatorConfig};
pub use finding::{Finding, FindingKind};
pub use lock_event::{AcquireOpts, LockInstance, MAX_SUBCLASSES, Mode, ThreadKey, Trace};
pub use stats::ValidatorStats;
pub use validator::Validator;
