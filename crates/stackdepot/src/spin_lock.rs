//! The short publication lock of one index shard.
//!
//! Held only to re-probe a shard and store one slot (and, rarely, to rehash a
//! shard into a table that was mapped beforehand): never across a mapping, an
//! allocation or a frame copy. A no-wait caller spins a bounded number of times
//! and gives up ([`SaveError::Contended`](crate::SaveError::Contended)) rather than
//! wait for a preempted holder. Not `parking_lot`: its contended path may allocate,
//! and the depot is called from allocator hooks.

use crate::sync::{AtomicBool, Ordering, spin_loop, yield_now};

pub(crate) struct SpinLock {
    locked: AtomicBool,
}

/// Releases the lock when dropped.
pub(crate) struct SpinGuard<'a> {
    lock: &'a SpinLock,
}

impl SpinLock {
    pub(crate) fn new() -> SpinLock {
        SpinLock {
            locked: AtomicBool::new(false),
        }
    }

    #[inline]
    fn try_once(&self) -> bool {
        !self.locked.load(Ordering::Relaxed)
            && self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    /// Takes the lock, spinning and then yielding while another thread holds it.
    pub(crate) fn lock(&self) -> SpinGuard<'_> {
        let mut spins = 0u32;
        while !self.try_once() {
            if spins < 64 {
                spin_loop();
                spins += 1;
            } else {
                yield_now();
            }
        }
        SpinGuard { lock: self }
    }

    /// Takes the lock if it frees up within `spins` attempts; never yields or blocks.
    pub(crate) fn try_lock_for(&self, spins: u32) -> Option<SpinGuard<'_>> {
        for _ in 0..=spins {
            if self.try_once() {
                return Some(SpinGuard { lock: self });
            }
            spin_loop();
        }
        None
    }
}

impl Drop for SpinGuard<'_> {
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
    }
}
