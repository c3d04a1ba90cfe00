//! What the validator reports.

use crate::ThreadKey;

/// The kind of a [`Finding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// "possible circular locking dependency detected".
    CircularDependency,
    /// "possible recursive locking detected".
    RecursiveLocking,
    /// "bad unlock balance detected!".
    BadUnlockBalance,
    /// "held lock freed!" (a held lock re-initialised or dropped).
    HeldLockFreed,
    /// "`<thread>` still has locks held!" at thread exit.
    LocksHeldAtExit,
    /// "Nested lock was not taken".
    NestedLockNotTaken,
    /// "looking up invalid subclass" (subclass >= 8).
    InvalidSubclass,
    /// Fixed store overflow: "BUG: MAX_STACK_TRACE_ENTRIES too low!" and
    /// "turning off the locking correctness validator."
    ValidatorDisabled,
}

impl FindingKind {
    /// The snake_case name, as serialised: `"circular_dependency"`, ...
    pub fn as_str(&self) -> &'static str {
        match self {
            FindingKind::CircularDependency => "circular_dependency",
            FindingKind::RecursiveLocking => "recursive_locking",
            FindingKind::BadUnlockBalance => "bad_unlock_balance",
            FindingKind::HeldLockFreed => "held_lock_freed",
            FindingKind::LocksHeldAtExit => "locks_held_at_exit",
            FindingKind::NestedLockNotTaken => "nested_lock_not_taken",
            FindingKind::InvalidSubclass => "invalid_subclass",
            FindingKind::ValidatorDisabled => "validator_disabled",
        }
    }
}

/// One report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// The thread whose event triggered it.
    pub thread: ThreadKey,
    /// That thread's name (from `set_thread_name`, else `"thread"`).
    pub thread_name: String,
    /// Class names involved: cycle order for a circular dependency (starting with the lock being
    /// acquired), the lock(s) concerned otherwise; `"name/N"` for subclass N > 0.
    pub locks: Vec<String>,
    /// The full lockdep-style text report.
    pub report: String,
}
