//! A growable, deduplicating, lock-free store for stack traces.
//!
//! (Crate documentation is being written; see docs/design.md.)

#![cfg_attr(not(test), warn(clippy::undocumented_unsafe_blocks))]

#[cfg(not(target_pointer_width = "64"))]
compile_error!("stackdepot supports 64-bit targets only (frames and headers are stored as 64-bit words)");

mod config;
mod depot;
mod error;
mod handle;
mod slab;
mod stats;

pub use config::{Config, ConfigError};
pub use depot::StackDepot;
pub use error::{Alloc, SaveError};
pub use handle::{DEFAULT_LAYOUT, Handle, HandleLayout};
pub use stats::Stats;

#[cfg(feature = "capture")]
mod capture;
#[cfg(feature = "capture")]
pub use capture::{capture, write_trace};
