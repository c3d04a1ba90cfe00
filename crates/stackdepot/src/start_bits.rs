//! Which words of which slab start a published record: one bit per slab word,
//! for every addressable slab, in one dense mapping beside the slabs.
//!
//! A bit is set, with `Release`, once the record starting at that word is
//! completely written and published; [`fetch`](crate::StackDepot::fetch) checks it
//! with `Acquire` before it reads anything, which is what makes a forged handle
//! harmless: it either names a published record or reads nothing.
//!
//! Kept out of the slabs so that the bit's address follows from the handle alone
//! (a fetch loads it in parallel with the directory entry) and so that the bits of
//! 16 slabs share a page: a random fetch touches the record's page and a small,
//! dense, cache- and TLB-friendly array instead of a second page of the slab.
//! Only the pages holding bits of installed slabs are ever touched.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

use memmap2::MmapMut;

use crate::config::page_size;

pub(crate) struct StartBits {
    /// Base of `_map`, taken once through `as_mut_ptr` so that it may be written.
    base: NonNull<AtomicU64>,
    words_per_slab: usize,
    slabs: usize,
    _map: MmapMut,
}

// SAFETY: an array of atomics in a mapping this value owns; `base` caches its address.
unsafe impl Send for StartBits {}
// SAFETY: as above; all shared access is atomic.
unsafe impl Sync for StartBits {}

impl StartBits {
    /// Bits for `slabs` slabs of `slab_words` words each.
    pub(crate) fn new(slabs: usize, slab_words: usize) -> std::io::Result<StartBits> {
        let words_per_slab = slab_words.div_ceil(64);
        let bytes = (slabs * words_per_slab * 8).next_multiple_of(page_size());
        let mut map = MmapMut::map_anon(bytes)?;
        let base = NonNull::new(map.as_mut_ptr().cast::<AtomicU64>())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::Other))?;
        Ok(StartBits {
            base,
            words_per_slab,
            slabs,
            _map: map,
        })
    }

    /// The bitmap word covering `word` of `slab` (callers check `slab < slabs` and
    /// `word < slab_words`).
    #[inline]
    fn bits(&self, slab: usize, word: usize) -> &AtomicU64 {
        debug_assert!(slab < self.slabs && word / 64 < self.words_per_slab);
        // SAFETY: the index is inside the mapping (slab < slabs, word / 64 <
        // words_per_slab); the mapping is zero-initialised, 8-aligned, lives as long
        // as `self` and is only accessed atomically.
        unsafe {
            &*self
                .base
                .as_ptr()
                .add(slab * self.words_per_slab + word / 64)
        }
    }

    /// Marks the record at `word` of `slab` as published (`Release`: the record's
    /// words happen-before any reader that sees the bit).
    #[inline]
    pub(crate) fn publish(&self, slab: usize, word: usize) {
        self.bits(slab, word)
            .fetch_or(1 << (word % 64), Ordering::Release);
    }

    /// Whether a published record starts at `word` of `slab` (`Acquire`, pairs with
    /// [`publish`](Self::publish)). `false` for a slab index out of range.
    #[inline]
    pub(crate) fn is_published(&self, slab: usize, word: usize) -> bool {
        slab < self.slabs && self.bits(slab, word).load(Ordering::Acquire) & (1 << (word % 64)) != 0
    }
}
