//! A growable, deduplicating, lock-free store for stack traces.
//!
//! (Crate documentation is being written; see docs/design.md.)

#![cfg_attr(not(test), warn(clippy::undocumented_unsafe_blocks))]

#[cfg(not(target_pointer_width = "64"))]
compile_error!(
    "stackdepot supports 64-bit targets only (frames and headers are stored as 64-bit words)"
);

mod budget;
mod config;
mod counters;
mod depot;
mod directory;
mod error;
mod handle;
mod index;
mod mapping;
mod reserve;
mod slab;
mod spin_lock;
mod stats;
mod sync;

pub use config::{Config, ConfigError};
pub use depot::StackDepot;
pub use error::{Alloc, SaveError};
pub use handle::{DEFAULT_LAYOUT, Handle, HandleLayout};
pub use stats::Stats;

#[cfg(feature = "capture")]
mod capture;
#[cfg(feature = "capture")]
pub use capture::{capture, write_trace};

#[cfg(all(test, loom))]
mod loom_model;
