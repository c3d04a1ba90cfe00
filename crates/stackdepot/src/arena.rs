//! Arenas: the mappings slabs are carved from.
//!
//! Mapping every 16 KiB slab on its own costs a system call and a fresh VMA per
//! ~80 traces, which was most of the time of an insert at 200k traces. Instead the
//! depot maps *arenas* of several slabs and hands the slabs out one by one. Arena
//! sizes grow geometrically — the reserve plus one slab first, then twice the
//! previous — up to [`ARENA_BYTES`] (2 MiB), so a small depot stays small and a
//! large one makes one mapping per 128 slabs. A 2 MiB arena is 2 MiB aligned (the
//! kernel aligns anonymous mappings of that size) and, with
//! [`Config::huge_pages`](crate::Config::huge_pages), is backed by one transparent
//! huge page: one page fault instead of 512, and one TLB entry for ~10 000 records
//! (random fetches and hits at 200k traces otherwise miss the TLB on nearly every
//! record).
//!
//! Every arena is populated when it is mapped, so a no-wait save that later takes
//! one of its slabs does not even page-fault. Arenas are never unmapped before the
//! depot is dropped: each keeps its `MmapMut` in the stash at its start and the
//! address of the previous arena right after it, and the depot's `Drop` walks that
//! list.
//!
//! ```text
//!  arena ─► ┌─ slab ────────────────────┬─ slab ───────────┬─ … ──┬─ slab ──────────┐
//!           │ MmapMut │ prev │ records… │ (unused) │ rec…  │      │        │ rec…   │
//!           └───────────────────────────┴──────────────────┴──────┴─────────────────┘
//!            words 0-1  2     3…          words 0-2 unused in every other slab
//! ```
//!
//! Carving happens under a mutex: a `MayAlloc` caller that finds the arena used up
//! maps the next one while holding it (anyone else needing a slab at that moment
//! would otherwise map one too); a `NoWait` caller only ever `try_lock`s it, so it
//! never waits for that mapping.

use core::ptr::NonNull;
use std::sync::{Mutex, MutexGuard, TryLockError};

use crate::budget::Budget;
use crate::sync::{AtomicUsize, Ordering};
use crate::{SaveError, mapping};

/// The largest arena, and the transparent-huge-page size of x86-64 and aarch64 (4 KiB base pages).
pub(crate) const ARENA_BYTES: usize = 2 << 20;

/// Byte offset, in an arena's first slab, of the previous arena's address.
const PREV_ARENA_AT: usize = mapping::STASH_BYTES;

/// Words at the start of every slab that records never use: the stash and the
/// arena link (only an arena's first slab fills them; the rest leave them zero so
/// every slab has the same layout).
pub(crate) const RESERVED_WORDS: usize = (PREV_ARENA_AT + 8) / 8;

pub(crate) struct Arenas {
    carver: Mutex<Carver>,
    /// Slabs mapped and not yet carved; a mirror of `Carver::left` for `stats`.
    uncarved: AtomicUsize,
    slab_size: usize,
    /// Bytes one slab counts against the cap (slab, directory entry, record bits).
    slab_charge: usize,
    huge_pages: bool,
}

/// Addresses are kept as `usize` so the state is plainly `Send`; they name memory
/// owned by the arenas in the list.
struct Carver {
    /// The next slab to hand out (valid if `left > 0`).
    next: usize,
    /// Slabs left in the newest arena.
    left: usize,
    /// The newest arena's base (0: none yet); each arena links to the one before.
    newest: usize,
    /// Slabs the next arena will have.
    next_slabs: usize,
}

impl Arenas {
    /// `first_slabs`: the first arena's size (the reserve and the first open slab).
    pub(crate) fn new(
        slab_size: usize,
        slab_charge: usize,
        first_slabs: usize,
        huge_pages: bool,
    ) -> Arenas {
        Arenas {
            carver: Mutex::new(Carver {
                next: 0,
                left: 0,
                newest: 0,
                next_slabs: first_slabs.clamp(1, Self::max_slabs(slab_size)),
            }),
            uncarved: AtomicUsize::new(0),
            slab_size,
            slab_charge,
            huge_pages,
        }
    }

    fn max_slabs(slab_size: usize) -> usize {
        (ARENA_BYTES / slab_size).max(1)
    }

    /// Slabs mapped but not yet handed out (they count as mapped memory).
    pub(crate) fn uncarved(&self) -> usize {
        self.uncarved.load(Ordering::Relaxed)
    }

    /// A fresh zeroed slab: carved from the newest arena, or from a new arena
    /// mapped now.
    pub(crate) fn take(&self, budget: &Budget) -> Result<NonNull<u8>, SaveError> {
        let mut carver = self.carver.lock().unwrap_or_else(|e| e.into_inner());
        if carver.left == 0 {
            self.map_arena(&mut carver, budget)?;
        }
        Ok(self.carve(&mut carver))
    }

    /// A slab only if one is already mapped and the carver is free right now: for
    /// no-wait callers, which must neither map nor wait.
    pub(crate) fn try_take(&self) -> Option<NonNull<u8>> {
        let mut carver = match self.carver.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        (carver.left > 0).then(|| self.carve(&mut carver))
    }

    fn carve(&self, carver: &mut MutexGuard<'_, Carver>) -> NonNull<u8> {
        debug_assert!(carver.left > 0);
        let slab = carver.next;
        carver.next += self.slab_size;
        carver.left -= 1;
        self.uncarved.store(carver.left, Ordering::Relaxed);
        NonNull::new(slab as *mut u8).unwrap_or_else(|| unreachable!("arenas are mapped"))
    }

    fn map_arena(&self, carver: &mut Carver, budget: &Budget) -> Result<(), SaveError> {
        let want = carver.next_slabs;
        let slabs = budget.charge_up_to(self.slab_charge, want)?;
        let bytes = slabs * self.slab_size;
        let huge = self.huge_pages && bytes.is_multiple_of(ARENA_BYTES);
        let base = match mapping::map_zeroed(bytes, mapping::Backing::choose(huge)) {
            Ok(base) => base,
            Err(e) => {
                budget.refund(slabs * self.slab_charge);
                return Err(SaveError::MapFailed(e.kind()));
            }
        };
        // SAFETY: the mapping is at least one slab (> PREV_ARENA_AT + 8 bytes), page
        // aligned, and private to this thread until carved.
        unsafe {
            base.as_ptr()
                .add(PREV_ARENA_AT)
                .cast::<usize>()
                .write(carver.newest)
        };
        carver.newest = base.as_ptr() as usize;
        carver.next = base.as_ptr() as usize;
        carver.left = slabs;
        carver.next_slabs = (want * 2).min(Self::max_slabs(self.slab_size));
        self.uncarved.store(slabs, Ordering::Relaxed);
        Ok(())
    }
}

impl Drop for Arenas {
    fn drop(&mut self) {
        let carver = self.carver.get_mut().unwrap_or_else(|e| e.into_inner());
        let mut arena = carver.newest;
        while let Some(base) = NonNull::new(arena as *mut u8) {
            // SAFETY: `base` is a live arena (the list holds each once); its link was
            // written at mapping time and is read before the arena goes away.
            arena = unsafe { base.as_ptr().add(PREV_ARENA_AT).cast::<usize>().read() };
            // SAFETY: the depot is being dropped (`&mut self`): no slab, no slice from
            // `fetch`, and no other thread can still use this arena.
            unsafe { mapping::unmap(base) };
        }
    }
}
