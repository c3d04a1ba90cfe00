//! Slabs: fixed-size mappings that records are bump-allocated from, never moved
//! and never freed while the depot lives.
//!
//! ```text
//!  word 0      2              2+B = H                                  slab_words
//!  ┌──────────┬──────────────┬──────────┬──────────────┬──────┬─────────┬──────┐
//!  │ MmapMut  │ start bitmap │ header 0 │ frames 0 …   │ hdr 1│ frames 1│ tail │
//!  │ (stash)  │ 1 bit / word │ len|hash │              │      │         │      │
//!  └──────────┴──────────────┴──────────┴──────────────┴──────┴─────────┴──────┘
//! ```
//!
//! A record is one header word (`len` in the low 32 bits, the high 32 bits of the
//! trace's hash above) followed by `len` frames. Bit `w` of the start bitmap is set,
//! with `Release`, once a record starting at word `w` is completely written and
//! published; [`fetch`](crate::StackDepot::fetch) checks that bit with `Acquire`
//! before it reads anything, which is what makes a forged handle harmless: it either
//! names a published record or reads nothing.

use core::ptr::NonNull;

use crate::handle::WORD;
use crate::mapping::STASH_BYTES;
// Slab memory is OS-mapped, so it holds `core` atomics even under loom; the loom
// models check the same protocol on loom atomics (see `tests/loom.rs`).
use core::sync::atomic::{AtomicU64, Ordering};

/// Words at the start of a slab before the first record: the stash and the bitmap.
pub(crate) const fn header_words(slab_words: usize) -> usize {
    STASH_BYTES / WORD + slab_words.div_ceil(64)
}

/// A slab's base address; the slab is `slab_words` words long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slab(pub(crate) NonNull<u8>);

impl Slab {
    /// The bitmap word covering record start `word`.
    #[inline]
    fn bitmap_word<'a>(self, word: usize) -> &'a AtomicU64 {
        let at = STASH_BYTES + (word / 64) * 8;
        // SAFETY: the bitmap lies inside the slab (header_words covers it), the slab
        // is mapped for the depot's lifetime and only ever accessed atomically here;
        // the address is 8-aligned (page base + 16 + 8k). Callers hold the reference
        // only while they hold the depot.
        unsafe { &*self.0.as_ptr().add(at).cast::<AtomicU64>() }
    }

    /// Marks the record at `word` as published (`Release`: the record's words
    /// happen-before any reader that sees the bit).
    #[inline]
    pub(crate) fn publish(self, word: usize) {
        self.bitmap_word(word)
            .fetch_or(1 << (word % 64), Ordering::Release);
    }

    /// Whether a published record starts at `word` (`Acquire`, pairs with [`publish`](Self::publish)).
    #[inline]
    pub(crate) fn is_published(self, word: usize) -> bool {
        self.bitmap_word(word).load(Ordering::Acquire) & (1 << (word % 64)) != 0
    }

    /// Pointer to word `word` of the slab.
    #[inline]
    pub(crate) fn word_ptr(self, word: usize) -> *mut usize {
        // SAFETY: callers pass `word < slab_words`, so the offset stays inside the
        // slab's mapping.
        unsafe { self.0.as_ptr().add(word * WORD).cast::<usize>() }
    }

    /// Writes a record (header + frames) at `word`.
    ///
    /// # Safety
    /// `[word, word + 1 + frames.len())` lies inside the slab and was handed to this
    /// caller alone by the bump allocator, and is not yet published.
    #[inline]
    pub(crate) unsafe fn write_record(self, word: usize, frames: &[usize], hash_hi: u32) {
        let p = self.word_ptr(word);
        // SAFETY: the caller owns the range exclusively (see above); no reader can
        // reach it before `publish`/the index store, both Release after this write.
        unsafe {
            p.write(frames.len() | ((hash_hi as usize) << 32));
            core::ptr::copy_nonoverlapping(frames.as_ptr(), p.add(1), frames.len());
        }
    }

    /// The frames of the record at `word`.
    ///
    /// # Safety
    /// A record was published at `word` and the caller synchronised with that
    /// publication (an `Acquire` load of the start bit or of the index slot); the
    /// returned slice must not outlive the depot.
    #[inline]
    pub(crate) unsafe fn record<'a>(self, word: usize) -> &'a [usize] {
        let p = self.word_ptr(word);
        // SAFETY: published records are immutable and fully written (caller's
        // precondition), the header's low 32 bits are the frame count and the frames
        // follow it inside the slab (the writer checked the bounds).
        unsafe {
            let len = (p.read() as u32) as usize;
            core::slice::from_raw_parts(p.add(1), len)
        }
    }
}
