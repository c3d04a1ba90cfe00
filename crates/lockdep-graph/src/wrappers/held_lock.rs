//! Guards as evidence of a held lock, for `nest_lock` annotations.

use crate::LockInstance;

/// A guard of a wrapper lock: proof that its lock is held, usable as the outer lock of a
/// `*_nest_lock` acquisition (lockdep's `nest_lock`).
pub trait HeldLock {
    /// The lock this guard holds, as the validator sees it.
    fn held_lock(&self) -> LockInstance;
}
