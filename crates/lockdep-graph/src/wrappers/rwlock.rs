//! Reader-writer locks that report to a validator: `RwLock` and `RecursiveRwLock`.

use core::fmt;

use lock_api::{
    RawRwLock, RawRwLockDowngrade, RawRwLockFair, RawRwLockTimed, RawRwLockUpgrade,
    RawRwLockUpgradeDowngrade, RawRwLockUpgradeFair, RawRwLockUpgradeTimed,
};

use super::guard_macros::{guard_impls, guard_methods};
use super::held_lock::HeldLock;
use super::lock_macros::{lock_accessors, lock_constructors};
use super::meta::{Held, LockMeta};
use crate::{AcquireOpts, Mode};

/// How the readers of a raw reader-writer lock wait, in lockdep's terms: the [`Mode`] a shared
/// acquisition is reported with.
///
/// A reader that queues behind a *waiting* writer can deadlock when it re-enters a lock its
/// thread already reads (or in an ABBA with a writer on another thread): lockdep's
/// non-recursive read, [`Mode::Read`]. A reader that waits only for a writer that *holds* the
/// lock is lockdep's recursive read, [`Mode::ReadRecursive`].
pub trait RawRwLockReadMode: RawRwLock {
    /// The mode of `read` / `try_read`.
    const READ_MODE: Mode;
}

/// parking_lot 0.13's `RwLock` queues new readers behind a waiting writer.
impl RawRwLockReadMode for parking_lot::RawRwLock {
    const READ_MODE: Mode = Mode::Read;
}

/// parking_lot 0.13's `RecursiveRwLock` admits readers while other readers hold the lock.
impl RawRwLockReadMode for parking_lot::RawRwLockRecursive {
    const READ_MODE: Mode = Mode::ReadRecursive;
}

/// An upgradable read excludes writers and other upgradable readers but not plain readers.
/// lockdep has no such mode; it is reported as a non-recursive read, which finds an inversion
/// between two upgradable readers (and between an upgradable reader and a writer), at the cost
/// of also reporting an inversion with a plain reader that can deadlock only behind a queued
/// writer.
const UPGRADABLE_MODE: Mode = Mode::Read;

/// A reader-writer lock over any `lock_api` raw rwlock whose acquisitions and releases are
/// reported to a validator. Use the [`RwLock`] and [`RecursiveRwLock`] aliases for
/// parking_lot's locks.
///
/// Writes are reported as [`Mode::Write`]; reads as the raw lock's
/// [`RawRwLockReadMode::READ_MODE`]: [`Mode::Read`] for [`RwLock`], whose readers queue behind a
/// waiting writer, so a thread reading it twice is reported; [`Mode::ReadRecursive`] for
/// [`RecursiveRwLock`], which is safe to read recursively.
pub struct GenericRwLock<R, T: ?Sized> {
    meta: LockMeta,
    inner: lock_api::RwLock<R, T>,
}

/// A drop-in replacement for `parking_lot::RwLock` that reports to a validator. Reads are
/// non-recursive ([`Mode::Read`]): parking_lot 0.13 moved recursive reads to
/// [`RecursiveRwLock`].
pub type RwLock<T> = GenericRwLock<parking_lot::RawRwLock, T>;
/// The read guard of a [`RwLock`].
pub type RwLockReadGuard<'a, T> = GenericRwLockReadGuard<'a, parking_lot::RawRwLock, T>;
/// The write guard of a [`RwLock`].
pub type RwLockWriteGuard<'a, T> = GenericRwLockWriteGuard<'a, parking_lot::RawRwLock, T>;
/// The upgradable read guard of a [`RwLock`].
pub type RwLockUpgradableReadGuard<'a, T> =
    GenericRwLockUpgradableReadGuard<'a, parking_lot::RawRwLock, T>;
/// A [`RwLockReadGuard`] mapped to part of the data.
pub type MappedRwLockReadGuard<'a, T> = GenericMappedRwLockReadGuard<'a, parking_lot::RawRwLock, T>;
/// A [`RwLockWriteGuard`] mapped to part of the data.
pub type MappedRwLockWriteGuard<'a, T> =
    GenericMappedRwLockWriteGuard<'a, parking_lot::RawRwLock, T>;

/// A drop-in replacement for `parking_lot::RecursiveRwLock` that reports to a validator. Reads
/// are recursive ([`Mode::ReadRecursive`]).
pub type RecursiveRwLock<T> = GenericRwLock<parking_lot::RawRwLockRecursive, T>;
/// The read guard of a [`RecursiveRwLock`].
pub type RecursiveRwLockReadGuard<'a, T> =
    GenericRwLockReadGuard<'a, parking_lot::RawRwLockRecursive, T>;
/// The write guard of a [`RecursiveRwLock`].
pub type RecursiveRwLockWriteGuard<'a, T> =
    GenericRwLockWriteGuard<'a, parking_lot::RawRwLockRecursive, T>;
/// The upgradable read guard of a [`RecursiveRwLock`].
pub type RecursiveRwLockUpgradableReadGuard<'a, T> =
    GenericRwLockUpgradableReadGuard<'a, parking_lot::RawRwLockRecursive, T>;
/// A [`RecursiveRwLockReadGuard`] mapped to part of the data.
pub type MappedRecursiveRwLockReadGuard<'a, T> =
    GenericMappedRwLockReadGuard<'a, parking_lot::RawRwLockRecursive, T>;
/// A [`RecursiveRwLockWriteGuard`] mapped to part of the data.
pub type MappedRecursiveRwLockWriteGuard<'a, T> =
    GenericMappedRwLockWriteGuard<'a, parking_lot::RawRwLockRecursive, T>;

lock_constructors!(GenericRwLock<R: RawRwLock, T>, "lock", |meta, value| GenericRwLock {
    meta,
    inner: lock_api::RwLock::new(value),
});

impl<R: RawRwLockReadMode, T: ?Sized> GenericRwLock<R, T> {
    /// Locks for shared read access, blocking until it can. Reported before blocking, with
    /// the raw lock's [`READ_MODE`](RawRwLockReadMode::READ_MODE).
    #[inline]
    pub fn read(&self) -> GenericRwLockReadGuard<'_, R, T> {
        self.read_with(AcquireOpts::default())
    }

    /// [`read`](Self::read) as nesting level `subclass` of the class (lockdep's
    /// `down_read_nested`).
    #[inline]
    pub fn read_nested(&self, subclass: u8) -> GenericRwLockReadGuard<'_, R, T> {
        self.read_with(AcquireOpts {
            subclass,
            ..AcquireOpts::default()
        })
    }

    // Inlined into each entry point: one wrapper frame fewer in captured stacks.
    #[inline(always)]
    fn read_with(&self, opts: AcquireOpts) -> GenericRwLockReadGuard<'_, R, T> {
        let held = Held::before_blocking(&self.meta, R::READ_MODE, opts);
        GenericRwLockReadGuard {
            held,
            rwlock: self,
            inner: self.inner.read(),
        }
    }

    /// Attempts to lock for shared read access without blocking. Only a success is reported.
    #[inline]
    pub fn try_read(&self) -> Option<GenericRwLockReadGuard<'_, R, T>> {
        let inner = self.inner.try_read()?;
        let held = Held::after_try(&self.meta, R::READ_MODE, AcquireOpts::default());
        Some(GenericRwLockReadGuard {
            held,
            rwlock: self,
            inner,
        })
    }

    /// Locks for exclusive write access, blocking until it can. Reported before blocking.
    #[inline]
    pub fn write(&self) -> GenericRwLockWriteGuard<'_, R, T> {
        self.write_with(AcquireOpts::default())
    }

    /// [`write`](Self::write) as nesting level `subclass` of the class (lockdep's
    /// `down_write_nested`).
    #[inline]
    pub fn write_nested(&self, subclass: u8) -> GenericRwLockWriteGuard<'_, R, T> {
        self.write_with(AcquireOpts {
            subclass,
            ..AcquireOpts::default()
        })
    }

    /// [`write`](Self::write) while `outer` serialises every acquisition of several locks of
    /// this class (lockdep's `down_write_nest_lock`).
    #[inline]
    pub fn write_nest_lock(&self, outer: &impl HeldLock) -> GenericRwLockWriteGuard<'_, R, T> {
        self.write_with(AcquireOpts {
            nest: Some(outer.held_lock()),
            ..AcquireOpts::default()
        })
    }

    // Inlined into each entry point: one wrapper frame fewer in captured stacks.
    #[inline(always)]
    fn write_with(&self, opts: AcquireOpts) -> GenericRwLockWriteGuard<'_, R, T> {
        let held = Held::before_blocking(&self.meta, Mode::Write, opts);
        GenericRwLockWriteGuard {
            held,
            rwlock: self,
            inner: self.inner.write(),
        }
    }

    /// Attempts to lock for exclusive write access without blocking. Only a success is
    /// reported.
    #[inline]
    pub fn try_write(&self) -> Option<GenericRwLockWriteGuard<'_, R, T>> {
        let inner = self.inner.try_write()?;
        let held = Held::after_try(&self.meta, Mode::Write, AcquireOpts::default());
        Some(GenericRwLockWriteGuard {
            held,
            rwlock: self,
            inner,
        })
    }

    /// Whether the lock is currently held (shared or exclusive, by any thread).
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Whether the lock is currently held exclusively.
    pub fn is_locked_exclusive(&self) -> bool {
        self.inner.is_locked_exclusive()
    }

    lock_accessors!("lock", RwLock);
}

impl<T: ?Sized> GenericRwLock<parking_lot::RawRwLockRecursive, T> {
    /// The same as [`read`](Self::read) (a recursive read, [`Mode::ReadRecursive`]): the name
    /// parking_lot 0.12 code uses, where `RwLock::read_recursive` existed.
    #[inline]
    pub fn read_recursive(&self) -> GenericRwLockReadGuard<'_, parking_lot::RawRwLockRecursive, T> {
        self.read()
    }

    /// The same as [`try_read`](Self::try_read), under parking_lot 0.12's name.
    #[inline]
    pub fn try_read_recursive(
        &self,
    ) -> Option<GenericRwLockReadGuard<'_, parking_lot::RawRwLockRecursive, T>> {
        self.try_read()
    }
}

impl<R: RawRwLockReadMode + RawRwLockUpgrade, T: ?Sized> GenericRwLock<R, T> {
    /// Locks for upgradable read access (shared with readers, exclusive with writers and other
    /// upgradable readers). Reported before blocking as a non-recursive read
    /// ([`Mode::Read`]; lockdep has no upgradable mode).
    #[inline]
    pub fn upgradable_read(&self) -> GenericRwLockUpgradableReadGuard<'_, R, T> {
        let held = Held::before_blocking(&self.meta, UPGRADABLE_MODE, AcquireOpts::default());
        GenericRwLockUpgradableReadGuard {
            held,
            rwlock: self,
            inner: self.inner.upgradable_read(),
        }
    }

    /// Attempts to lock for upgradable read access without blocking. Only a success is
    /// reported.
    #[inline]
    pub fn try_upgradable_read(&self) -> Option<GenericRwLockUpgradableReadGuard<'_, R, T>> {
        let inner = self.inner.try_upgradable_read()?;
        let held = Held::after_try(&self.meta, UPGRADABLE_MODE, AcquireOpts::default());
        Some(GenericRwLockUpgradableReadGuard {
            held,
            rwlock: self,
            inner,
        })
    }
}

impl<R: RawRwLockReadMode + RawRwLockTimed, T: ?Sized> GenericRwLock<R, T> {
    /// Attempts to lock for reading until `timeout` has passed. Reported before waiting, like a
    /// blocking read (it may wait); a timeout is reported as a release.
    pub fn try_read_for(&self, timeout: R::Duration) -> Option<GenericRwLockReadGuard<'_, R, T>> {
        let held = Held::before_blocking(&self.meta, R::READ_MODE, AcquireOpts::default());
        let inner = self.inner.try_read_for(timeout)?;
        Some(GenericRwLockReadGuard {
            held,
            rwlock: self,
            inner,
        })
    }

    /// Attempts to lock for reading until `timeout` is reached; reported as
    /// [`try_read_for`](Self::try_read_for).
    pub fn try_read_until(&self, timeout: R::Instant) -> Option<GenericRwLockReadGuard<'_, R, T>> {
        let held = Held::before_blocking(&self.meta, R::READ_MODE, AcquireOpts::default());
        let inner = self.inner.try_read_until(timeout)?;
        Some(GenericRwLockReadGuard {
            held,
            rwlock: self,
            inner,
        })
    }

    /// Attempts to lock for writing until `timeout` has passed. Reported before waiting, like a
    /// blocking write; a timeout is reported as a release.
    pub fn try_write_for(&self, timeout: R::Duration) -> Option<GenericRwLockWriteGuard<'_, R, T>> {
        let held = Held::before_blocking(&self.meta, Mode::Write, AcquireOpts::default());
        let inner = self.inner.try_write_for(timeout)?;
        Some(GenericRwLockWriteGuard {
            held,
            rwlock: self,
            inner,
        })
    }

    /// Attempts to lock for writing until `timeout` is reached; reported as
    /// [`try_write_for`](Self::try_write_for).
    pub fn try_write_until(
        &self,
        timeout: R::Instant,
    ) -> Option<GenericRwLockWriteGuard<'_, R, T>> {
        let held = Held::before_blocking(&self.meta, Mode::Write, AcquireOpts::default());
        let inner = self.inner.try_write_until(timeout)?;
        Some(GenericRwLockWriteGuard {
            held,
            rwlock: self,
            inner,
        })
    }
}

impl<R: RawRwLock, T: ?Sized + fmt::Debug> fmt::Debug for GenericRwLock<R, T> {
    /// Like parking_lot's: the data if no writer holds the lock, `<locked>` otherwise. The
    /// peek is not reported: it never blocks and is not part of the program's locking.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("RwLock");
        match self.inner.try_read() {
            Some(guard) => out.field("data", &&*guard),
            None => out.field("data", &format_args!("<locked>")),
        };
        out.field("class", &self.meta.class()).finish()
    }
}

/// The shared guard of a [`GenericRwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct GenericRwLockReadGuard<'a, R: RawRwLock, T: ?Sized> {
    // First field: dropped (release reported) before the real unlock.
    held: Held,
    rwlock: &'a GenericRwLock<R, T>,
    inner: lock_api::RwLockReadGuard<'a, R, T>,
}

guard_methods!(GenericRwLockReadGuard<R: RawRwLock>, rwlock, GenericMappedRwLockReadGuard, RwLockReadGuard, [] {
    /// The lock this guard reads.
    pub fn rwlock(s: &Self) -> &'a GenericRwLock<R, T> {
        s.rwlock
    }
});

guard_methods!(@fair GenericRwLockReadGuard<R: RawRwLockFair>, RwLockReadGuard);

guard_impls!(GenericRwLockReadGuard<R: RawRwLock>, []);

/// The exclusive guard of a [`GenericRwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct GenericRwLockWriteGuard<'a, R: RawRwLock, T: ?Sized> {
    // First field: dropped (release reported) before the real unlock.
    held: Held,
    rwlock: &'a GenericRwLock<R, T>,
    inner: lock_api::RwLockWriteGuard<'a, R, T>,
}

guard_methods!(GenericRwLockWriteGuard<R: RawRwLock>, rwlock, GenericMappedRwLockWriteGuard, RwLockWriteGuard, [mut] {
    /// The lock this guard writes.
    pub fn rwlock(s: &Self) -> &'a GenericRwLock<R, T> {
        s.rwlock
    }
});

impl<'a, R: RawRwLockReadMode + RawRwLockDowngrade + 'a, T: ?Sized + 'a>
    GenericRwLockWriteGuard<'a, R, T>
{
    /// Atomically turns the write lock into a read lock (lockdep's `downgrade_write`). It
    /// cannot block, so it is reported as a release and a try acquisition in read mode: the
    /// lock stays held and no dependency is added.
    pub fn downgrade(s: Self) -> GenericRwLockReadGuard<'a, R, T> {
        let GenericRwLockWriteGuard {
            mut held,
            rwlock,
            inner,
        } = s;
        held.change_mode(R::READ_MODE, false);
        GenericRwLockReadGuard {
            held,
            rwlock,
            inner: lock_api::RwLockWriteGuard::downgrade(inner),
        }
    }
}

impl<'a, R: RawRwLockUpgradeDowngrade + 'a, T: ?Sized + 'a> GenericRwLockWriteGuard<'a, R, T> {
    /// Atomically turns the write lock into an upgradable read lock; reported as
    /// [`downgrade`](Self::downgrade) is.
    pub fn downgrade_to_upgradable(s: Self) -> GenericRwLockUpgradableReadGuard<'a, R, T> {
        let GenericRwLockWriteGuard {
            mut held,
            rwlock,
            inner,
        } = s;
        held.change_mode(UPGRADABLE_MODE, false);
        GenericRwLockUpgradableReadGuard {
            held,
            rwlock,
            inner: lock_api::RwLockWriteGuard::downgrade_to_upgradable(inner),
        }
    }
}

guard_methods!(@fair GenericRwLockWriteGuard<R: RawRwLockFair>, RwLockWriteGuard);

guard_impls!(GenericRwLockWriteGuard<R: RawRwLock>, [mut]);

/// The upgradable read guard of a [`GenericRwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct GenericRwLockUpgradableReadGuard<'a, R: RawRwLockUpgrade, T: ?Sized> {
    // First field: dropped (release reported) before the real unlock.
    held: Held,
    rwlock: &'a GenericRwLock<R, T>,
    inner: lock_api::RwLockUpgradableReadGuard<'a, R, T>,
}

impl<'a, R: RawRwLockUpgrade + 'a, T: ?Sized + 'a> GenericRwLockUpgradableReadGuard<'a, R, T> {
    /// The lock this guard reads.
    pub fn rwlock(s: &Self) -> &'a GenericRwLock<R, T> {
        s.rwlock
    }

    /// Upgrades to a write lock, waiting for the other readers to leave. It can block, so it is
    /// reported as a release and a blocking write acquisition (before waiting): a thread that
    /// also reads the lock, or that took a lock some reader waits for, is reported.
    pub fn upgrade(s: Self) -> GenericRwLockWriteGuard<'a, R, T> {
        let GenericRwLockUpgradableReadGuard {
            mut held,
            rwlock,
            inner,
        } = s;
        held.change_mode(Mode::Write, true);
        GenericRwLockWriteGuard {
            held,
            rwlock,
            inner: lock_api::RwLockUpgradableReadGuard::upgrade(inner),
        }
    }

    /// Upgrades to a write lock if no other reader holds the lock. A success is reported as a
    /// release and a try write acquisition; a failure is not reported.
    pub fn try_upgrade(s: Self) -> Result<GenericRwLockWriteGuard<'a, R, T>, Self> {
        let GenericRwLockUpgradableReadGuard {
            mut held,
            rwlock,
            inner,
        } = s;
        match lock_api::RwLockUpgradableReadGuard::try_upgrade(inner) {
            Ok(inner) => {
                held.change_mode(Mode::Write, false);
                Ok(GenericRwLockWriteGuard {
                    held,
                    rwlock,
                    inner,
                })
            }
            Err(inner) => Err(GenericRwLockUpgradableReadGuard {
                held,
                rwlock,
                inner,
            }),
        }
    }

    guard_methods!(@unlocked RwLockUpgradableReadGuard);
}

impl<'a, R: RawRwLockReadMode + RawRwLockUpgradeDowngrade + 'a, T: ?Sized + 'a>
    GenericRwLockUpgradableReadGuard<'a, R, T>
{
    /// Atomically turns the upgradable read lock into a plain read lock; it cannot block, so it
    /// is reported as a release and a try read acquisition.
    pub fn downgrade(s: Self) -> GenericRwLockReadGuard<'a, R, T> {
        let GenericRwLockUpgradableReadGuard {
            mut held,
            rwlock,
            inner,
        } = s;
        held.change_mode(R::READ_MODE, false);
        GenericRwLockReadGuard {
            held,
            rwlock,
            inner: lock_api::RwLockUpgradableReadGuard::downgrade(inner),
        }
    }

    /// Upgrades to a write lock (waiting for the readers to leave), runs `f` on the data, and
    /// downgrades back. Reported as [`upgrade`](Self::upgrade) then a try acquisition back in
    /// upgradable mode.
    pub fn with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Ret {
        self.held.change_mode(Mode::Write, true);
        let ret = self.inner.with_upgraded(f);
        self.held.change_mode(UPGRADABLE_MODE, false);
        ret
    }

    /// Like [`with_upgraded`](Self::with_upgraded) if no other reader holds the lock (then
    /// reported as a try write acquisition); otherwise returns `None` and reports nothing.
    pub fn try_with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Option<Ret> {
        let held = &mut self.held;
        let ret = self.inner.try_with_upgraded(|data| {
            held.change_mode(Mode::Write, false);
            f(data)
        });
        if ret.is_some() {
            self.held.change_mode(UPGRADABLE_MODE, false);
        }
        ret
    }
}

impl<'a, R: RawRwLockUpgradeTimed + 'a, T: ?Sized + 'a> GenericRwLockUpgradableReadGuard<'a, R, T> {
    /// Tries to upgrade until `timeout` has passed. It may wait, so it is reported like
    /// [`upgrade`](Self::upgrade); a timeout is reported as a return to upgradable mode (a try
    /// acquisition).
    pub fn try_upgrade_for(
        s: Self,
        timeout: R::Duration,
    ) -> Result<GenericRwLockWriteGuard<'a, R, T>, Self> {
        Self::try_upgrade_timed(s, |inner| {
            lock_api::RwLockUpgradableReadGuard::try_upgrade_for(inner, timeout)
        })
    }

    /// Tries to upgrade until `timeout` is reached; reported as
    /// [`try_upgrade_for`](Self::try_upgrade_for).
    pub fn try_upgrade_until(
        s: Self,
        timeout: R::Instant,
    ) -> Result<GenericRwLockWriteGuard<'a, R, T>, Self> {
        Self::try_upgrade_timed(s, |inner| {
            lock_api::RwLockUpgradableReadGuard::try_upgrade_until(inner, timeout)
        })
    }

    // Inlined into both entry points: one wrapper frame fewer in captured stacks.
    #[inline(always)]
    fn try_upgrade_timed(
        s: Self,
        attempt: impl FnOnce(
            lock_api::RwLockUpgradableReadGuard<'a, R, T>,
        ) -> Result<
            lock_api::RwLockWriteGuard<'a, R, T>,
            lock_api::RwLockUpgradableReadGuard<'a, R, T>,
        >,
    ) -> Result<GenericRwLockWriteGuard<'a, R, T>, Self> {
        let GenericRwLockUpgradableReadGuard {
            mut held,
            rwlock,
            inner,
        } = s;
        held.change_mode(Mode::Write, true);
        match attempt(inner) {
            Ok(inner) => Ok(GenericRwLockWriteGuard {
                held,
                rwlock,
                inner,
            }),
            Err(inner) => {
                held.change_mode(UPGRADABLE_MODE, false);
                Err(GenericRwLockUpgradableReadGuard {
                    held,
                    rwlock,
                    inner,
                })
            }
        }
    }
}

impl<'a, R: RawRwLockUpgradeFair + 'a, T: ?Sized + 'a> GenericRwLockUpgradableReadGuard<'a, R, T> {
    /// Unlocks with a fair handoff to a waiting thread.
    pub fn unlock_fair(s: Self) {
        let GenericRwLockUpgradableReadGuard { held, inner, .. } = s;
        drop(held);
        lock_api::RwLockUpgradableReadGuard::unlock_fair(inner);
    }

    /// Hands the lock to a waiting thread, if any, and takes it back: a release and a blocking
    /// re-acquisition.
    pub fn bump(s: &mut Self) {
        s.held.report_release();
        s.held.report_reacquire();
        lock_api::RwLockUpgradableReadGuard::bump(&mut s.inner);
    }
}

guard_impls!(GenericRwLockUpgradableReadGuard<R: RawRwLockUpgrade>, []);

/// A [`GenericRwLockReadGuard`] mapped to a component of the data.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct GenericMappedRwLockReadGuard<'a, R: RawRwLock, T: ?Sized> {
    held: Held,
    inner: lock_api::MappedRwLockReadGuard<'a, R, T>,
}

guard_methods!(@mapped GenericMappedRwLockReadGuard<R: RawRwLock, RawRwLockFair>, MappedRwLockReadGuard, []);

guard_impls!(GenericMappedRwLockReadGuard<R: RawRwLock>, []);

/// A [`GenericRwLockWriteGuard`] mapped to a component of the data.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct GenericMappedRwLockWriteGuard<'a, R: RawRwLock, T: ?Sized> {
    held: Held,
    inner: lock_api::MappedRwLockWriteGuard<'a, R, T>,
}

guard_methods!(@mapped GenericMappedRwLockWriteGuard<R: RawRwLock, RawRwLockFair>, MappedRwLockWriteGuard, [mut]);

guard_impls!(GenericMappedRwLockWriteGuard<R: RawRwLock>, [mut]);

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::{Validator, ValidatorConfig};

    /// A timed upgrade that times out is reported as a return to upgradable mode (a read):
    /// a recursive read under the guard is then legal, where under a write it would be
    /// recursive locking; and the guard's release stays balanced.
    #[test]
    fn a_timed_out_upgrade_is_reported_back_in_upgradable_mode() {
        let v: &'static Validator = Box::leak(Box::new(Validator::new(ValidatorConfig::default())));
        let lock = RecursiveRwLock::with_validator(v, 0u32);
        let upgradable = lock.upgradable_read();
        let (reading_tx, reading_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let lock = &lock;
        std::thread::scope(|s| {
            s.spawn(move || {
                // A reader on another thread: the upgrade must wait for it, and times out.
                let _read = lock.read();
                let _ = reading_tx.send(());
                let _ = done_rx.recv();
            });
            reading_rx.recv().expect("the reader thread runs");
            let upgradable = match RecursiveRwLockUpgradableReadGuard::try_upgrade_for(
                upgradable,
                Duration::from_millis(1),
            ) {
                Ok(_) => panic!("upgraded while another thread reads the lock"),
                Err(guard) => guard,
            };
            let read = lock.read();
            drop((read, upgradable));
            let _ = done_tx.send(());
        });
        assert!(v.findings().is_empty(), "{:?}", v.findings());
    }
}
