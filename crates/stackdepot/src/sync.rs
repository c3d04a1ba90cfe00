//! The one place that chooses between `std` and `loom` primitives.
//!
//! Everything in the lock-free paths goes through this module so that the loom
//! models (`RUSTFLAGS="--cfg loom"`, see `scripts/loom.sh`) explore the same
//! orderings the real code uses.

#[cfg(loom)]
pub(crate) use loom::hint::spin_loop;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::thread::yield_now;

#[cfg(not(loom))]
pub(crate) use core::hint::spin_loop;
#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::thread::yield_now;
