//! The no-wait reserve: slabs mapped ahead of need, handed out without mapping.
//!
//! A fixed array of slots, each null or one slab, so that taking and returning a
//! slab is a swap or a CAS on one slot — no lock, no allocation. Filled by callers
//! that may map (`Alloc::MayAlloc` saves and [`StackDepot::refill`](crate::StackDepot::refill)).

use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

pub(crate) struct Reserve {
    slots: Box<[AtomicPtr<u8>]>,
    len: AtomicUsize,
    target: usize,
}

impl Reserve {
    /// A reserve that refills keep at `target` slabs.
    pub(crate) fn new(target: usize) -> Reserve {
        Reserve {
            slots: (0..target + crate::Config::RESERVE_SLACK)
                .map(|_| AtomicPtr::new(core::ptr::null_mut()))
                .collect(),
            len: AtomicUsize::new(0),
            target,
        }
    }

    /// Slabs a refill keeps here (`Config::reserve_slabs`).
    pub(crate) fn target(&self) -> usize {
        self.target
    }

    /// Slabs currently held (may lag concurrent pushes and pops by one each).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Takes one slab, if any.
    pub(crate) fn pop(&self) -> Option<NonNull<u8>> {
        for slot in self.slots.iter() {
            if slot.load(Ordering::Relaxed).is_null() {
                continue;
            }
            // Acquire: the slab's zeroed pages and stash were written by the pusher.
            if let Some(p) = NonNull::new(slot.swap(core::ptr::null_mut(), Ordering::Acquire)) {
                self.len.fetch_sub(1, Ordering::Relaxed);
                return Some(p);
            }
        }
        None
    }

    /// Puts a slab back; returns it if every slot is taken.
    pub(crate) fn push(&self, slab: NonNull<u8>) -> Result<(), NonNull<u8>> {
        for slot in self.slots.iter() {
            if slot
                .compare_exchange(
                    core::ptr::null_mut(),
                    slab.as_ptr(),
                    Ordering::Release,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                self.len.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
        }
        Err(slab)
    }
}
