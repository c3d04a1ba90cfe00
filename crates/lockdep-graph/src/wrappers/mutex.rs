//! Mutual-exclusion locks that report to a validator: `Mutex` and `FairMutex`.

use core::fmt;

use lock_api::{RawMutex, RawMutexFair, RawMutexTimed};

use super::guard_macros::{guard_impls, guard_methods};
use super::held_lock::HeldLock;
use super::lock_macros::{lock_accessors, lock_constructors};
use super::meta::{Held, LockMeta};
use crate::{AcquireOpts, Mode};

/// A mutex over any `lock_api` raw mutex whose acquisitions and releases are reported to a
/// validator. Use the [`Mutex`] and [`FairMutex`] aliases for parking_lot's locks.
///
/// Every acquisition is reported as [`Mode::Write`] *before* blocking on the real lock, so an
/// inversion is reported even when it is about to deadlock; a successful `try_lock` is reported
/// as a try acquisition (held, never a new dependency); a failed one is not reported.
pub struct GenericMutex<R, T: ?Sized> {
    meta: LockMeta,
    inner: lock_api::Mutex<R, T>,
}

/// A drop-in replacement for `parking_lot::Mutex` that reports to a validator.
pub type Mutex<T> = GenericMutex<parking_lot::RawMutex, T>;
/// The guard of a [`Mutex`].
pub type MutexGuard<'a, T> = GenericMutexGuard<'a, parking_lot::RawMutex, T>;
/// A [`MutexGuard`] mapped to part of the data.
pub type MappedMutexGuard<'a, T> = GenericMappedMutexGuard<'a, parking_lot::RawMutex, T>;

/// A drop-in replacement for `parking_lot::FairMutex` that reports to a validator.
pub type FairMutex<T> = GenericMutex<parking_lot::RawFairMutex, T>;
/// The guard of a [`FairMutex`].
pub type FairMutexGuard<'a, T> = GenericMutexGuard<'a, parking_lot::RawFairMutex, T>;
/// A [`FairMutexGuard`] mapped to part of the data.
pub type MappedFairMutexGuard<'a, T> = GenericMappedMutexGuard<'a, parking_lot::RawFairMutex, T>;

lock_constructors!(GenericMutex<R: RawMutex, T>, "mutex", |meta, value| GenericMutex {
    meta,
    inner: lock_api::Mutex::new(value),
});

impl<R: RawMutex, T: ?Sized> GenericMutex<R, T> {
    /// Acquires the mutex, blocking the current thread until it is able to do so.
    #[inline]
    pub fn lock(&self) -> GenericMutexGuard<'_, R, T> {
        self.lock_with(AcquireOpts::default())
    }

    /// Acquires the mutex as nesting level `subclass` of its class (lockdep's
    /// `mutex_lock_nested`): for taking two locks of one class in a known order, such as a
    /// parent and then a child. Subclass `n > 0` is the distinct class `name/n`; `subclass >= 8`
    /// is reported (`InvalidSubclass`) and treated as 0.
    #[inline]
    pub fn lock_nested(&self, subclass: u8) -> GenericMutexGuard<'_, R, T> {
        self.lock_with(AcquireOpts {
            subclass,
            ..AcquireOpts::default()
        })
    }

    /// Acquires the mutex while `outer` is held and serialises every acquisition of several
    /// locks of this mutex's class (lockdep's `mutex_lock_nest_lock`): no recursion report and
    /// no new dependency among them. If `outer` is not held the validator reports it.
    #[inline]
    pub fn lock_nest_lock(&self, outer: &impl HeldLock) -> GenericMutexGuard<'_, R, T> {
        self.lock_with(AcquireOpts {
            nest: Some(outer.held_lock()),
            ..AcquireOpts::default()
        })
    }

    // Inlined into each entry point, so captured stacks have one wrapper frame fewer (the
    // symboliser names that frame `lock_with`, after the innermost inlined function).
    #[inline(always)]
    fn lock_with(&self, opts: AcquireOpts) -> GenericMutexGuard<'_, R, T> {
        let held = Held::before_blocking(&self.meta, Mode::Write, opts);
        GenericMutexGuard {
            held,
            mutex: self,
            inner: self.inner.lock(),
        }
    }

    /// Attempts to acquire the mutex without blocking. Only a success is reported.
    #[inline]
    pub fn try_lock(&self) -> Option<GenericMutexGuard<'_, R, T>> {
        self.try_lock_with(AcquireOpts::default())
    }

    /// [`try_lock`](Self::try_lock) as nesting level `subclass` of the class.
    #[inline]
    pub fn try_lock_nested(&self, subclass: u8) -> Option<GenericMutexGuard<'_, R, T>> {
        self.try_lock_with(AcquireOpts {
            subclass,
            ..AcquireOpts::default()
        })
    }

    #[inline(always)]
    fn try_lock_with(&self, opts: AcquireOpts) -> Option<GenericMutexGuard<'_, R, T>> {
        let inner = self.inner.try_lock()?;
        let held = Held::after_try(&self.meta, Mode::Write, opts);
        Some(GenericMutexGuard {
            held,
            mutex: self,
            inner,
        })
    }

    /// Whether the mutex is currently locked (by any thread).
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    lock_accessors!("mutex", Mutex);
}

impl<R: RawMutexTimed, T: ?Sized> GenericMutex<R, T> {
    /// Attempts to acquire the mutex until `timeout` has passed. The acquisition is reported
    /// before waiting, like a blocking one (it may wait); a timeout is reported as a release.
    pub fn try_lock_for(&self, timeout: R::Duration) -> Option<GenericMutexGuard<'_, R, T>> {
        let held = Held::before_blocking(&self.meta, Mode::Write, AcquireOpts::default());
        let inner = self.inner.try_lock_for(timeout)?;
        Some(GenericMutexGuard {
            held,
            mutex: self,
            inner,
        })
    }

    /// Attempts to acquire the mutex until `timeout` is reached; reported as
    /// [`try_lock_for`](Self::try_lock_for).
    pub fn try_lock_until(&self, timeout: R::Instant) -> Option<GenericMutexGuard<'_, R, T>> {
        let held = Held::before_blocking(&self.meta, Mode::Write, AcquireOpts::default());
        let inner = self.inner.try_lock_until(timeout)?;
        Some(GenericMutexGuard {
            held,
            mutex: self,
            inner,
        })
    }
}

impl<R: RawMutex, T: ?Sized + fmt::Debug> fmt::Debug for GenericMutex<R, T> {
    /// Like parking_lot's: the data if the mutex is free, `<locked>` otherwise. The peek is not
    /// reported: it never blocks and is not part of the program's locking.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Mutex");
        match self.inner.try_lock() {
            Some(guard) => out.field("data", &&*guard),
            None => out.field("data", &format_args!("<locked>")),
        };
        out.field("class", &self.meta.class()).finish()
    }
}

/// The guard of a [`GenericMutex`]: the data is reachable through `Deref`/`DerefMut`, and
/// dropping it reports the release and then unlocks.
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct GenericMutexGuard<'a, R: RawMutex, T: ?Sized> {
    // First field: dropped (release reported) before the real unlock.
    pub(crate) held: Held,
    mutex: &'a GenericMutex<R, T>,
    pub(crate) inner: lock_api::MutexGuard<'a, R, T>,
}

guard_methods!(GenericMutexGuard<R: RawMutex>, mutex, GenericMappedMutexGuard, MutexGuard, [mut] {
    /// The mutex this guard locks.
    pub fn mutex(s: &Self) -> &'a GenericMutex<R, T> {
        s.mutex
    }

    /// Leaks the guard: the mutex stays locked for ever, and the validator keeps it held (as
    /// lockdep would for a lock never released).
    pub fn leak(s: Self) -> &'a mut T {
        let GenericMutexGuard { held, inner, .. } = s;
        core::mem::forget(held);
        lock_api::MutexGuard::leak(inner)
    }
});

guard_methods!(@fair GenericMutexGuard<R: RawMutexFair>, MutexGuard);

guard_impls!(GenericMutexGuard<R: RawMutex>, [mut]);

/// A [`GenericMutexGuard`] mapped to a component of the data.
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct GenericMappedMutexGuard<'a, R: RawMutex, T: ?Sized> {
    held: Held,
    inner: lock_api::MappedMutexGuard<'a, R, T>,
}

guard_methods!(@mapped GenericMappedMutexGuard<R: RawMutex, RawMutexFair>, MappedMutexGuard, [mut]);

guard_impls!(GenericMappedMutexGuard<R: RawMutex>, [mut]);
