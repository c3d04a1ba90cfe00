//! What kind of kernel lock a class is, which decides its acquisition modes and primitives.

use lockdep_graph::Mode;
use rand::RngExt;

use super::sampling::Rng;

/// The kernel lock type behind a class.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum LockKind {
    /// `spinlock_t` / `raw_spinlock_t`: exclusive.
    Spin,
    /// `rwlock_t`: readers are recursive (lockdep's `R`).
    RwLock,
    /// `struct mutex`: exclusive.
    Mutex,
    /// `struct rw_semaphore`: readers are non-recursive (lockdep's `r`).
    RwSem,
    /// `rcu_read_lock()`: a recursive read of a global map.
    Rcu,
    /// A `lockdep_map` annotation (workqueue completions, `fs_reclaim`, `sb_writers`).
    Map,
}

impl LockKind {
    /// Guesses the kind from a class name the way a reader of a lockdep splat would.
    pub(crate) fn from_name(name: &str) -> LockKind {
        let n = name.split('#').next().unwrap_or(name);
        if n == "rcu_read_lock" {
            LockKind::Rcu
        } else if n.starts_with('(')
            || matches!(
                n,
                "fs_reclaim" | "sb_writers" | "jbd2_handle" | "cpu_hotplug_lock"
            )
        {
            LockKind::Map
        } else if n.ends_with("mutex") || n.ends_with("mtx") || n.ends_with("i_mutex_key") {
            // i_mutex_key names the inode rwsem in modern kernels; treat it as one.
            if n.ends_with("i_mutex_key") {
                LockKind::RwSem
            } else {
                LockKind::Mutex
            }
        } else if n.ends_with("sem")
            || n.ends_with("rwsem")
            || n.ends_with("mmap_lock")
            || n.ends_with("vm_lock->lock")
        {
            LockKind::RwSem
        } else if n.ends_with("tree_lock") || n.ends_with("table_lock") || n.ends_with("cb_lock") {
            LockKind::RwLock
        } else {
            LockKind::Spin
        }
    }

    /// A mode for one acquisition site of this kind. Each code path keeps the mode it drew.
    pub(crate) fn pick_mode(self, rng: &mut Rng) -> Mode {
        match self {
            LockKind::Spin | LockKind::Mutex => Mode::Write,
            LockKind::RwLock => {
                if rng.random_bool(0.7) {
                    Mode::ReadRecursive
                } else {
                    Mode::Write
                }
            }
            LockKind::RwSem => {
                if rng.random_bool(0.6) {
                    Mode::Read
                } else {
                    Mode::Write
                }
            }
            LockKind::Rcu => Mode::ReadRecursive,
            LockKind::Map => {
                if rng.random_bool(0.3) {
                    Mode::Read
                } else {
                    Mode::Write
                }
            }
        }
    }
}
