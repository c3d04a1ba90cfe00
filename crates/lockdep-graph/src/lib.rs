//! A lockdep-faithful lock-dependency validator whose stored traces are stackdepot handles.
//!
//! (Crate documentation is being written.)

mod class_key;
mod config;
mod finding;
pub mod fixed_store;
mod jhash;
mod lock_event;
mod stats;
mod validator;

pub mod replay;
pub mod wrappers;

pub use class_key::ClassKey;
pub use config::{Sink, StoreKind, ValidatorConfig};
pub use finding::{Finding, FindingKind};
pub use lock_event::{AcquireOpts, LockInstance, MAX_SUBCLASSES, Mode, ThreadKey, Trace};
pub use stats::ValidatorStats;
pub use validator::Validator;
