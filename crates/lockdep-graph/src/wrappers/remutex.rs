//! A reentrant mutex that reports to a validator.

use core::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::guard_macros::guard_impls;
use super::held_lock::HeldLock;
use super::lock_macros::{lock_accessors, lock_constructors};
use super::meta::LockMeta;
use crate::{AcquireOpts, LockInstance, Mode};

/// A drop-in replacement for `parking_lot::ReentrantMutex` that reports to a validator.
///
/// lockdep has no reentrant lock: re-taking a held lock is always "possible recursive locking".
/// Re-entry by the owning thread cannot block, though, so only the *outermost* acquisition is
/// reported (as [`Mode::Write`], before blocking) and only the last guard's drop reports the
/// release; re-entries are invisible to the validator. Ordering against other locks is checked
/// as for a [`Mutex`](super::Mutex).
pub struct ReentrantMutex<T: ?Sized> {
    meta: LockMeta,
    /// How many guards the owning thread holds. Only the owner changes it, and only while it
    /// holds the real lock, so the lock orders every access.
    depth: AtomicUsize,
    inner: parking_lot::ReentrantMutex<T>,
}

lock_constructors!(ReentrantMutex<T>, "reentrant mutex", |meta, value| {
    ReentrantMutex {
        meta,
        depth: AtomicUsize::new(0),
        inner: parking_lot::ReentrantMutex::new(value),
    }
});

impl<T: ?Sized> ReentrantMutex<T> {
    /// Acquires the mutex, blocking unless the current thread already owns it. Only an
    /// acquisition by a thread that does not own it yet is reported (before blocking).
    #[inline]
    pub fn lock(&self) -> ReentrantMutexGuard<'_, T> {
        if !self.inner.is_owned_by_current_thread() {
            self.meta
                .report_acquire(Mode::Write, AcquireOpts::default(), false);
        }
        let inner = self.inner.lock();
        self.entered(inner)
    }

    /// Attempts to acquire the mutex without blocking; succeeds at once if the current thread
    /// owns it. Only a first acquisition that succeeds is reported (as a try acquisition).
    #[inline]
    pub fn try_lock(&self) -> Option<ReentrantMutexGuard<'_, T>> {
        let first = !self.inner.is_owned_by_current_thread();
        let inner = self.inner.try_lock()?;
        if first {
            self.meta
                .report_acquire(Mode::Write, AcquireOpts::default(), true);
        }
        Some(self.entered(inner))
    }

    /// Attempts to acquire the mutex until `timeout` has passed. A first acquisition is
    /// reported before waiting, like a blocking one; a timeout is reported as a release.
    pub fn try_lock_for(&self, timeout: Duration) -> Option<ReentrantMutexGuard<'_, T>> {
        self.try_lock_timed(|inner| inner.try_lock_for(timeout))
    }

    /// Attempts to acquire the mutex until `timeout` is reached; reported as
    /// [`try_lock_for`](Self::try_lock_for).
    pub fn try_lock_until(&self, timeout: Instant) -> Option<ReentrantMutexGuard<'_, T>> {
        self.try_lock_timed(|inner| inner.try_lock_until(timeout))
    }

    fn try_lock_timed<'a>(
        &'a self,
        attempt: impl FnOnce(
            &'a parking_lot::ReentrantMutex<T>,
        ) -> Option<parking_lot::ReentrantMutexGuard<'a, T>>,
    ) -> Option<ReentrantMutexGuard<'a, T>> {
        let first = !self.inner.is_owned_by_current_thread();
        if first {
            self.meta
                .report_acquire(Mode::Write, AcquireOpts::default(), false);
        }
        match attempt(&self.inner) {
            Some(inner) => Some(self.entered(inner)),
            None => {
                if first {
                    self.meta.report_release();
                }
                None
            }
        }
    }

    fn entered<'a>(
        &'a self,
        inner: parking_lot::ReentrantMutexGuard<'a, T>,
    ) -> ReentrantMutexGuard<'a, T> {
        self.depth.fetch_add(1, Ordering::Relaxed);
        ReentrantMutexGuard {
            exit: Exit {
                depth: &self.depth,
                meta: &self.meta,
            },
            remutex: self,
            inner,
        }
    }

    /// Whether the mutex is currently locked (by any thread).
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Whether the current thread owns the mutex.
    pub fn is_owned_by_current_thread(&self) -> bool {
        self.inner.is_owned_by_current_thread()
    }

    lock_accessors!("mutex", ReentrantMutex);
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ReentrantMutex<T> {
    /// Like parking_lot's: the data if the mutex can be taken, `<locked>` otherwise. The peek is
    /// not reported.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("ReentrantMutex");
        match self.inner.try_lock() {
            Some(guard) => out.field("data", &&*guard),
            None => out.field("data", &format_args!("<locked>")),
        };
        out.field("class", &self.meta.class()).finish()
    }
}

/// Leaves one level of a [`ReentrantMutex`]; the last level out reports the release.
struct Exit<'a> {
    depth: &'a AtomicUsize,
    meta: &'a LockMeta,
}

impl Drop for Exit<'_> {
    fn drop(&mut self) {
        // Runs before the guard's real unlock, while this thread still owns the lock.
        if self.depth.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.meta.report_release();
        }
    }
}

/// The guard of a [`ReentrantMutex`]: shared access to the data (several guards of one thread
/// may coexist).
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
pub struct ReentrantMutexGuard<'a, T: ?Sized> {
    // First field: leaves the level (and maybe reports the release) before the real unlock.
    exit: Exit<'a>,
    remutex: &'a ReentrantMutex<T>,
    inner: parking_lot::ReentrantMutexGuard<'a, T>,
}

impl<'a, T: ?Sized + 'a> ReentrantMutexGuard<'a, T> {
    /// The mutex this guard locks.
    pub fn remutex(s: &Self) -> &'a ReentrantMutex<T> {
        s.remutex
    }

    /// A guard for a component of the data; the level stays held.
    pub fn map<U: ?Sized, F>(s: Self, f: F) -> MappedReentrantMutexGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let ReentrantMutexGuard { exit, inner, .. } = s;
        MappedReentrantMutexGuard {
            exit,
            inner: parking_lot::ReentrantMutexGuard::map(inner, f),
        }
    }

    /// Leaves this level with a fair handoff to a waiting thread (if it was the last level).
    pub fn unlock_fair(s: Self) {
        let ReentrantMutexGuard { exit, inner, .. } = s;
        drop(exit);
        parking_lot::ReentrantMutexGuard::unlock_fair(inner);
    }
}

guard_impls!(@deref ReentrantMutexGuard);
guard_impls!(@fmt Debug for ReentrantMutexGuard);
guard_impls!(@fmt Display for ReentrantMutexGuard);

impl<'a, T: ?Sized + 'a> HeldLock for ReentrantMutexGuard<'a, T> {
    fn held_lock(&self) -> LockInstance {
        self.exit.meta.instance()
    }
}

/// A [`ReentrantMutexGuard`] mapped to a component of the data.
#[must_use = "if unused the ReentrantMutex will immediately unlock"]
pub struct MappedReentrantMutexGuard<'a, T: ?Sized> {
    exit: Exit<'a>,
    inner: parking_lot::MappedReentrantMutexGuard<'a, T>,
}

impl<'a, T: ?Sized + 'a> MappedReentrantMutexGuard<'a, T> {
    /// A guard for a component of the mapped data.
    pub fn map<U: ?Sized, F>(s: Self, f: F) -> MappedReentrantMutexGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let MappedReentrantMutexGuard { exit, inner } = s;
        MappedReentrantMutexGuard {
            exit,
            inner: parking_lot::MappedReentrantMutexGuard::map(inner, f),
        }
    }
}

guard_impls!(@deref MappedReentrantMutexGuard);
guard_impls!(@fmt Debug for MappedReentrantMutexGuard);

impl<'a, T: ?Sized + 'a> HeldLock for MappedReentrantMutexGuard<'a, T> {
    fn held_lock(&self) -> LockInstance {
        self.exit.meta.instance()
    }
}
