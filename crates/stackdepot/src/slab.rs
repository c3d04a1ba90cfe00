//! Slabs: fixed-size mappings that records are bump-allocated from, never moved
//! and never freed while the depot lives.
//!
//! ```text
//!  word 0      2                                                     slab_words
//!  ┌──────────┬──────────┬──────────────┬───────┬─────────┬─────────────────┐
//!  │ MmapMut  │ header 0 │ frames 0 …   │ hdr 1 │ frames 1│ … │    tail     │
//!  │ (stash)  │ len|hash │              │       │         │   │             │
//!  └──────────┴──────────┴──────────────┴───────┴─────────┴─────────────────┘
//! ```
//!
//! A record is one header word (`len` in the low 32 bits, the high 32 bits of the
//! trace's hash above) followed by `len` frames. Whether a record is published is
//! kept outside the slab, in [`StartBits`](crate::start_bits::StartBits).

use core::ptr::NonNull;

use crate::handle::WORD;
use crate::mapping::STASH_BYTES;

/// Words at the start of a slab before the first record: the stash.
pub(crate) const HEADER_WORDS: usize = STASH_BYTES / WORD;

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
    /// publication (an `Acquire` load of its start bit or of its index slot); the
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
