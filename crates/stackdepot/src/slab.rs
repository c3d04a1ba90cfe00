//! Slabs: fixed-size pieces of an [arena](crate::arena) that records are
//! bump-allocated from, never moved and never freed while the depot lives.
//!
//! ```text
//!  word 0         3                                                 slab_words
//!  ┌──────────────┬────────────┬──────────┬───────────┬───┬──────────────────┐
//!  │ reserved     │ frames of  │ frames   │ frames of │ … │ tail (too short  │
//!  │ (arena link) │ record 0   │ of rec 1 │ record 2  │   │ for the next)    │
//!  └──────────────┴────────────┴──────────┴───────────┴───┴──────────────────┘
//! ```
//!
//! A record is just its frames, innermost first: no header word. Where a published
//! record starts and ends is kept outside the slab, in
//! [`RecordBits`](crate::record_bits::RecordBits), so that a fetch learns the
//! length without loading the record and a forged handle reads nothing.

use core::ptr::NonNull;

use crate::handle::WORD;

/// Words at the start of a slab before the first record (see [`crate::arena`]).
pub(crate) const HEADER_WORDS: usize = crate::arena::RESERVED_WORDS;

/// A slab's base address; the slab is `slab_words` words long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slab(pub(crate) NonNull<u8>);

impl Slab {
    /// Pointer to word `word` of the slab.
    #[inline]
    pub(crate) fn word_ptr(self, word: usize) -> *mut usize {
        // SAFETY: callers pass `word < slab_words`, so the offset stays inside the
        // slab's mapping.
        unsafe { self.0.as_ptr().add(word * WORD).cast::<usize>() }
    }

    /// Writes a record's frames at `word`.
    ///
    /// # Safety
    /// `[word, word + frames.len())` lies inside the slab and was handed to this
    /// caller alone by the bump allocator, and is not yet published.
    #[inline]
    pub(crate) unsafe fn write_record(self, word: usize, frames: &[usize]) {
        // SAFETY: the caller owns the range exclusively (see above); no reader can
        // reach it before its record bits and index slot are published, both with
        // Release after this write.
        unsafe {
            core::ptr::copy_nonoverlapping(frames.as_ptr(), self.word_ptr(word), frames.len())
        };
    }

    /// The `len` frames of the record at `word`.
    ///
    /// # Safety
    /// A record of `len` frames was published at `word` (its length read from its
    /// record bits) and the caller synchronised with that publication (an `Acquire`
    /// load of its start bit or of its index slot); the returned slice must not
    /// outlive the depot.
    #[inline]
    pub(crate) unsafe fn record<'a>(self, word: usize, len: usize) -> &'a [usize] {
        // SAFETY: published records are immutable and fully written (caller's
        // precondition), and lie inside the slab (the writer checked the bounds).
        unsafe { core::slice::from_raw_parts(self.word_ptr(word), len) }
    }
}
