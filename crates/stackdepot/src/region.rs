//! The slab region: one reservation of address space for every slab a handle can
//! name, backed with memory slab by slab as the depot grows.
//!
//! Slab `i` lives at `base + i × slab_size`, so a handle's body (slab index and
//! word offset read together as one number) *is* the record's word index in the
//! region: a fetch or a hit finds a record with one multiply-add, with no slab
//! directory to load. The reservation costs address space only (`MAP_NORESERVE`,
//! no page touched); memory is *populated* — backed by the OS, zeroed, charged to
//! the cap — by a saver a few slabs at a time, then 2 MiB at a time, or by the
//! populator thread in 512 KiB pieces (whole 2 MiB chunks with huge pages):
//!
//! ```text
//!  base (2 MiB aligned)                                                 slabs × slab_size
//!  ┌──────┬──────────┬──────────────────┬────────────────────────┬─ … ─┬──────────────────┐
//!  │ 5    │ 10       │ 20 …             │ 128 slabs = one 2 MiB  │     │ reserved only    │
//!  │slabs │ slabs    │                  │ huge page (THP)        │     │ (no memory)      │
//!  └──────┴──────────┴──────────────────┴────────────────────────┴─ … ─┴──────────────────┘
//!  ◄─────────────────────── populated (AtomicUsize, Release) ──────────►
//! ```
//!
//! A saver's growth steps double from the reserve's size up to [`CHUNK_BYTES`]
//! (2 MiB), after which every step is one 2 MiB-aligned chunk; the populator's
//! pieces are aligned quarters of a chunk, or whole chunks. With
//! [`Config::huge_pages`](crate::Config::huge_pages) every chunk backed in one call
//! asks for a transparent huge page (`MADV_HUGEPAGE`): one page fault instead of 512
//! and one TLB entry for ~10 000 records. Population uses `MADV_POPULATE_WRITE` (Linux 5.14+;
//! older kernels get each page touched instead), so a no-wait save that later opens
//! a populated slab does not even page-fault.
//!
//! The slabs beyond the open one that are already populated are the **no-wait
//! reserve**: opening the next slab is then a CAS on the depot's cursor and nothing
//! else. Population happens under a mutex, only on behalf of callers that may map
//! (`Alloc::MayAlloc`, `refill`, the populator thread); a no-wait caller never
//! takes it.
//!
//! Nothing is unmapped before the depot is dropped, so no reader can ever find a
//! slab gone; the whole reservation is unmapped at once on drop.

use core::ptr::NonNull;
use std::sync::Mutex;

use memmap2::MmapMut;

use crate::SaveError;
use crate::budget::Budget;
use crate::handle::WORD;
use crate::sync::{AtomicUsize, Ordering};

/// The transparent-huge-page size of x86-64 and aarch64 (4 KiB base pages), and
/// the largest growth step.
pub(crate) const CHUNK_BYTES: usize = 2 << 20;

/// Words at the start of every slab that hold no record, so that no handle body is
/// 0 (the kernel's "no trace"). One word: 0.05 % of a 16 KiB slab.
pub(crate) const FIRST_WORD: usize = 1;

/// Under Miri, which backs a mapping with real memory, the region is kept small.
const MIRI_MAX_SLABS: usize = 256;

pub(crate) struct SlabRegion {
    /// Base of the region, 2 MiB aligned inside `map`, taken once through
    /// `as_mut_ptr` so that it carries write permission. Never dereferenced as a
    /// slice: records are written and read through raw pointers only.
    base: NonNull<u8>,
    slab_size: usize,
    /// Slabs the region holds (what a handle addresses, or fewer under a cap).
    slabs: usize,
    /// Slabs `[0, populated)` are backed by memory. `Release` after population,
    /// `Acquire` by whoever opens a slab.
    populated: AtomicUsize,
    /// The next growth step, in slabs; held while populating.
    step: Mutex<usize>,
    /// Bytes one slab counts against the cap (the slab and its record bits).
    slab_charge: usize,
    huge_pages: bool,
    map: MmapMut,
}

// SAFETY: the region is memory this value owns; `base` caches its address. Records
// are written by the one thread the bump cursor handed them to and published by the
// depot's protocol (see `depot.rs`); everything else here is atomic or locked.
unsafe impl Send for SlabRegion {}
// SAFETY: as above.
unsafe impl Sync for SlabRegion {}

impl SlabRegion {
    /// Reserves room for `slabs` slabs of `slab_size` bytes (fewer if the OS refuses
    /// that much address space; see [`slabs`](Self::slabs)); populates nothing.
    /// `first_step` is the first growth step in slabs (the reserve; at least one).
    pub(crate) fn new(
        slabs: usize,
        slab_size: usize,
        slab_charge: usize,
        first_step: usize,
        huge_pages: bool,
    ) -> std::io::Result<SlabRegion> {
        let mut slabs = if cfg!(miri) {
            slabs.min(MIRI_MAX_SLABS)
        } else {
            slabs
        };
        // An address-space limit (`ulimit -v`) or a strict overcommit policy may
        // refuse the whole reservation: take the largest share of it the OS grants,
        // halving down to one slab. Saves beyond it report `CapReached`.
        let mut map = loop {
            let mut options = memmap2::MmapOptions::new();
            // Room to align the base to a chunk; address space only.
            options.len(slabs * slab_size + CHUNK_BYTES);
            if !cfg!(miri) {
                options.no_reserve_swap();
            }
            match options.map_anon() {
                Ok(map) => break map,
                Err(e) if slabs <= 1 => return Err(e),
                Err(_) => slabs = slabs.div_ceil(2),
            }
        };
        let start = map.as_mut_ptr();
        let skew = (start as usize).next_multiple_of(CHUNK_BYTES) - start as usize;
        // SAFETY: `skew < CHUNK_BYTES`, and the mapping is `CHUNK_BYTES` longer than
        // the slabs, so the aligned base and every slab after it stay inside it.
        let base = NonNull::new(unsafe { start.add(skew) })
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::Other))?;
        Ok(SlabRegion {
            base,
            slab_size,
            slabs,
            populated: AtomicUsize::new(0),
            step: Mutex::new(first_step.clamp(1, Self::chunk_slabs_of(slab_size))),
            slab_charge,
            huge_pages,
            map,
        })
    }

    fn chunk_slabs_of(slab_size: usize) -> usize {
        (CHUNK_BYTES / slab_size).max(1)
    }

    /// Slabs in one growth chunk (2 MiB, or one slab if slabs are larger).
    pub(crate) fn chunk_slabs(&self) -> usize {
        Self::chunk_slabs_of(self.slab_size)
    }

    /// Slabs the region can hold.
    pub(crate) fn slabs(&self) -> usize {
        self.slabs
    }

    /// Slabs backed by memory (`Acquire`: their population happens-before any use
    /// of them by the caller).
    #[inline]
    pub(crate) fn populated(&self) -> usize {
        self.populated.load(Ordering::Acquire)
    }

    /// The record area's base, for the depot's hot paths (a copy of `base`).
    pub(crate) fn records(&self) -> Records {
        Records { base: self.base }
    }

    /// Populates slabs so that at least `need` are backed, aiming for `want`
    /// (`need <= want`) and at least one growth step. For callers that may map; the
    /// mutex is held while the OS backs the memory (anyone else needing a slab now
    /// would have to wait for memory too).
    ///
    /// # Errors
    /// [`SaveError::CapReached`] if the region or the cap cannot reach `need`
    /// (whatever fit was populated), [`SaveError::MapFailed`] if the OS refused.
    pub(crate) fn grow(&self, need: usize, want: usize, budget: &Budget) -> Result<(), SaveError> {
        let step = self.step.lock().unwrap_or_else(|e| e.into_inner());
        self.grow_locked(step, need, want, budget)
    }

    /// [`grow`](Self::grow), unless another thread is populating right now:
    /// `Ok(false)` at once then (that thread is already making room; the caller may
    /// wait for [`populated`](Self::populated) to move instead of for the mutex,
    /// which the populator thread may hold again before a waiter gets it).
    pub(crate) fn try_grow(
        &self,
        need: usize,
        want: usize,
        budget: &Budget,
    ) -> Result<bool, SaveError> {
        match self.step.try_lock() {
            Ok(step) => self.grow_locked(step, need, want, budget).map(|()| true),
            Err(std::sync::TryLockError::Poisoned(e)) => self
                .grow_locked(e.into_inner(), need, want, budget)
                .map(|()| true),
            Err(std::sync::TryLockError::WouldBlock) => Ok(false),
        }
    }

    /// For the populator thread: populates the next piece of at most `target`
    /// slabs and publishes it; the number of slabs added (0 once `target` is
    /// reached). Pieces are a quarter chunk (512 KiB), aligned, so a saver that
    /// caught up waits for one piece, not for everything asked; whole aligned
    /// chunks with [`huge_pages`](crate::Config::huge_pages), so each can be one
    /// huge page.
    ///
    /// # Errors
    /// As [`grow`](Self::grow).
    pub(crate) fn populate_piece(
        &self,
        target: usize,
        budget: &Budget,
    ) -> Result<usize, SaveError> {
        let _step = self.step.lock().unwrap_or_else(|e| e.into_inner());
        let have = self.populated.load(Ordering::Relaxed);
        let target = target.min(self.slabs);
        if have >= target {
            return Ok(0);
        }
        let chunk = self.chunk_slabs();
        let piece = if self.huge_pages {
            chunk
        } else {
            (chunk / 4).max(1)
        };
        let boundary = ((have / piece + 1) * piece).min(self.slabs);
        // With huge pages a piece always runs to its chunk's end, whatever the
        // target: a chunk backed in two calls is advised in neither (`back`
        // advises only whole chunks), and the next piece starts aligned.
        let end = if self.huge_pages {
            boundary
        } else {
            target.min(boundary)
        };
        Ok(self.populate(have, end, budget)? - have)
    }

    /// Charges, backs and publishes slabs `[have, end)` (fewer if the cap allows
    /// fewer, at least one); the new populated count. Under the `step` mutex.
    fn populate(&self, have: usize, end: usize, budget: &Budget) -> Result<usize, SaveError> {
        let charged = budget.charge_up_to(self.slab_charge, end - have)?;
        let end = have + charged;
        if let Err(e) = self.back(have, end) {
            budget.refund(charged * self.slab_charge);
            return Err(SaveError::MapFailed(e.kind()));
        }
        self.populated.store(end, Ordering::Release);
        Ok(end)
    }

    fn grow_locked(
        &self,
        mut step: std::sync::MutexGuard<'_, usize>,
        need: usize,
        want: usize,
        budget: &Budget,
    ) -> Result<(), SaveError> {
        let have = self.populated.load(Ordering::Relaxed);
        if have >= need {
            return Ok(());
        }
        let chunk = self.chunk_slabs();
        let mut end = want.max(have + *step);
        if *step >= chunk {
            // Whole chunks from here on: round down to a chunk boundary, but never
            // below what was asked for.
            end = (end / chunk * chunk).max(want.next_multiple_of(chunk));
        }
        let end = end.min(self.slabs);
        if end <= have {
            return Err(SaveError::CapReached);
        }
        let end = self.populate(have, end, budget)?;
        *step = (*step * 2).min(chunk);
        if end < need {
            Err(SaveError::CapReached)
        } else {
            Ok(())
        }
    }

    /// Has the OS back slabs `[from, to)`, asking for huge pages for whole chunks.
    fn back(&self, from: usize, to: usize) -> std::io::Result<()> {
        if cfg!(miri) {
            return Ok(()); // Miri's mappings are plain zeroed memory.
        }
        let offset = self.base.as_ptr() as usize - self.map.as_ptr() as usize;
        let (start, end) = (from * self.slab_size, to * self.slab_size);
        #[cfg(target_os = "linux")]
        {
            let first_chunk = start.next_multiple_of(CHUNK_BYTES);
            let last_chunk = end / CHUNK_BYTES * CHUNK_BYTES;
            if self.huge_pages && last_chunk > first_chunk {
                // A hint: without THP the range keeps 4 KiB pages.
                let _ = self.map.advise_range(
                    memmap2::Advice::HugePage,
                    offset + first_chunk,
                    last_chunk - first_chunk,
                );
            }
            match self
                .map
                .advise_range(memmap2::Advice::PopulateWrite, offset + start, end - start)
            {
                Ok(()) => return Ok(()),
                // Out of memory (or a memory cgroup's limit): an error for the caller.
                // Touching the pages instead would invite the OOM killer.
                Err(e) if e.kind() != std::io::ErrorKind::InvalidInput => return Err(e),
                // EINVAL: a kernel before 5.14, which does not know the advice.
                Err(_) => {}
            }
        }
        // No MADV_POPULATE_WRITE (before Linux 5.14, or not Linux): touch each page.
        let page = crate::config::page_size();
        let mut at = start;
        while at < end {
            // SAFETY: `[start, end)` lies in the region (to <= slabs) and belongs to no
            // one yet: slabs at or beyond `populated` are never opened, and the mutex
            // keeps other populators out. The write happens-before any later use of
            // the slab through the `populated` Release store that follows.
            unsafe { self.base.as_ptr().add(at).write_volatile(0) };
            at += page;
        }
        Ok(())
    }
}

/// Where records live: the region's base address, copied into the depot so that a
/// fetch or a hit finds a record without going through the shared [`SlabRegion`]
/// (one load fewer on the hot paths). Valid for as long as the region it came from
/// lives, which the depot guarantees by holding that region.
#[derive(Clone, Copy)]
pub(crate) struct Records {
    base: NonNull<u8>,
}

// SAFETY: an address into memory that the owning depot's region keeps mapped; all
// access goes through the depot's publication protocol (see `depot.rs`).
unsafe impl Send for Records {}
// SAFETY: as above.
unsafe impl Sync for Records {}

impl Records {
    /// Pointer to the word a handle body names (callers pass bodies of the region's
    /// slabs).
    #[inline]
    pub(crate) fn word_ptr(&self, body: u32) -> *mut usize {
        // SAFETY: a body of one of the region's slabs is a word index below
        // `slabs * slab_size / WORD`, inside the reservation (see `SlabRegion::new`).
        unsafe { self.base.as_ptr().add(body as usize * WORD).cast::<usize>() }
    }

    /// Writes a record's frames at body `first`.
    ///
    /// # Safety
    /// `[first, first + frames.len())` lies in one populated slab, was handed to this
    /// caller alone by the bump cursor, and is not yet published.
    #[inline]
    pub(crate) unsafe fn write_record(&self, first: u32, frames: &[usize]) {
        // SAFETY: the caller owns the range exclusively and it is backed (populated
        // before the cursor could open its slab); no reader can reach it before its
        // record bits and index slot are published, both with Release after this.
        unsafe {
            core::ptr::copy_nonoverlapping(frames.as_ptr(), self.word_ptr(first), frames.len())
        };
    }

    /// The `len` frames of the record at body `first`.
    ///
    /// # Safety
    /// A record of `len` frames was published at `first` and the caller
    /// synchronised with that publication (an `Acquire` load of its start bit or of
    /// its index slot); the slice must not outlive the region.
    #[inline]
    pub(crate) unsafe fn record<'a>(&self, first: u32, len: usize) -> &'a [usize] {
        // SAFETY: published records are immutable, fully written and inside a
        // populated slab (caller's precondition).
        unsafe { core::slice::from_raw_parts(self.word_ptr(first), len) }
    }
}
