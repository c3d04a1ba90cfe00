//! A condition variable whose waits are reported as a release and a re-acquisition.

use core::fmt;
use std::time::{Duration, Instant};

use parking_lot::WaitTimeoutResult;

use super::meta::{Held, ReacquireOnExit};
use super::mutex::MutexGuard;

/// A drop-in replacement for `parking_lot::Condvar`, used with the wrapper [`Mutex`](super::Mutex).
///
/// A wait releases the mutex and takes it again when woken; the validator sees exactly that:
/// a release before the wait, and a blocking re-acquisition (with the guard's original
/// subclass and nest lock) when the wait returns, so locks taken by others in between, and any
/// lock the waiter takes after waking, are ordered correctly. The re-acquisition is reported
/// after the fact: the condition variable takes the mutex back internally, where no wrapper can
/// interpose.
#[derive(Default)]
pub struct Condvar {
    inner: parking_lot::Condvar,
}

impl Condvar {
    /// A new condition variable.
    pub const fn new() -> Condvar {
        Condvar {
            inner: parking_lot::Condvar::new(),
        }
    }

    /// Wakes one waiting thread; returns whether a thread was woken.
    #[inline]
    pub fn notify_one(&self) -> bool {
        self.inner.notify_one()
    }

    /// Wakes every waiting thread; returns how many were woken.
    #[inline]
    pub fn notify_all(&self) -> usize {
        self.inner.notify_all()
    }

    /// Releases the guard's mutex, blocks until woken, and takes the mutex back.
    pub fn wait<T: ?Sized>(&self, guard: &mut MutexGuard<'_, T>) {
        guard.held.report_release();
        let _reacquire = ReacquireOnExit(&mut guard.held);
        self.inner.wait(&mut guard.inner);
    }

    /// Waits while `condition` returns true. The condition is evaluated with the mutex held, and
    /// reported held.
    pub fn wait_while<T: ?Sized, F>(&self, guard: &mut MutexGuard<'_, T>, mut condition: F)
    where
        F: FnMut(&mut T) -> bool,
    {
        let mut reported = ReportedWaits {
            held: &mut guard.held,
        };
        self.inner.wait_while(&mut guard.inner, |data| {
            reported.check(data, &mut condition)
        });
    }

    /// [`wait`](Self::wait) until `timeout` is reached.
    pub fn wait_until<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Instant,
    ) -> WaitTimeoutResult {
        guard.held.report_release();
        let _reacquire = ReacquireOnExit(&mut guard.held);
        self.inner.wait_until(&mut guard.inner, timeout)
    }

    /// [`wait`](Self::wait) for at most `timeout`.
    pub fn wait_for<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        guard.held.report_release();
        let _reacquire = ReacquireOnExit(&mut guard.held);
        self.inner.wait_for(&mut guard.inner, timeout)
    }

    /// [`wait_while`](Self::wait_while) until `timeout` is reached.
    pub fn wait_while_until<T: ?Sized, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        mut condition: F,
        timeout: Instant,
    ) -> WaitTimeoutResult
    where
        F: FnMut(&mut T) -> bool,
    {
        let mut reported = ReportedWaits {
            held: &mut guard.held,
        };
        self.inner.wait_while_until(
            &mut guard.inner,
            |data| reported.check(data, &mut condition),
            timeout,
        )
    }

    /// [`wait_while`](Self::wait_while) for at most `timeout`.
    pub fn wait_while_for<T: ?Sized, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        mut condition: F,
        timeout: Duration,
    ) -> WaitTimeoutResult
    where
        F: FnMut(&mut T) -> bool,
    {
        let mut reported = ReportedWaits {
            held: &mut guard.held,
        };
        self.inner.wait_while_for(
            &mut guard.inner,
            |data| reported.check(data, &mut condition),
            timeout,
        )
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Condvar { .. }")
    }
}

/// Keeps the reports in step with a `wait_while*` loop: the condition runs with the mutex held,
/// and each wait that follows a true condition releases it.
struct ReportedWaits<'a> {
    held: &'a mut Held,
}

impl ReportedWaits<'_> {
    /// Evaluates the condition with the mutex reported held; reports the release of the wait
    /// that a true condition leads to.
    fn check<T: ?Sized>(
        &mut self,
        data: &mut T,
        condition: &mut impl FnMut(&mut T) -> bool,
    ) -> bool {
        if !self.held.is_reported() {
            self.held.report_reacquire();
        }
        let wait = condition(data);
        if wait {
            self.held.report_release();
        }
        wait
    }
}

impl Drop for ReportedWaits<'_> {
    /// The wait loop has ended (the condition turned false, the wait timed out, or something
    /// unwound) with the mutex taken back.
    fn drop(&mut self) {
        if !self.held.is_reported() {
            self.held.report_reacquire();
        }
    }
}
