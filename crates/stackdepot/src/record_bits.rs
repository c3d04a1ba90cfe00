//! Where published records start and end: two bits per slab word, for every slab
//! of the region, in one dense mapping beside it.
//!
//! A record is only its frames (no header word in the slab): the *start* bit marks
//! its first frame, the *end* bit its last. Both are set at publication, end first,
//! then start with `Release`; a reader checks the start bit with `Acquire` before it
//! trusts anything, then finds the length as the distance to the next end bit.
//!
//! ```text
//!  ┌────────┬────────┬────────┬────────┬───┬────────┬────────┬─────────┐
//!  │start 0 │ end 0  │start 1 │ end 1  │ … │start k │ end k  │ padding │   u64 each
//!  └────────┴────────┴────────┴────────┴───┴────────┴────────┴─────────┘
//!   bit b%64 of pair b/64: a record starts / ends at handle body b (slab index and
//!   word offset read as one number, so a slab's bits are consecutive pairs)
//! ```
//!
//! Why here and not in a header inside the slab:
//! - **Forged handles are harmless.** A fetch reads nothing of a slab unless the
//!   start bit says a published record begins exactly there.
//! - **Fetch does not wait on the record.** The slice's address follows from the
//!   handle, and its length from these bits, which are small (2 bits per 8-byte
//!   word: 1/32 of the slabs) and stay in cache; a fetch returns without touching
//!   the record's cache line, so the caller's reads of the frames are the first
//!   (and only) misses on it, and independent fetches overlap.
//! - **A start and an end word sit side by side**, so finding a record's length is
//!   usually one cache line, the one its start bit is in.
//!
//! Records are disjoint word ranges, so the first end bit at or after a record's
//! start is its own. Only the pages holding bits of populated slabs are touched.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

use memmap2::MmapMut;

use crate::config::page_size;

pub(crate) struct RecordBits {
    /// Base of `_map`, taken once through `as_mut_ptr` so that it may be written.
    base: NonNull<AtomicU64>,
    /// The largest handle body covered: the region's slabs, rounded up to a power of
    /// two, times the slab's words, less one. Masking a raw handle with it keeps
    /// every index in bounds.
    max_body: u32,
    /// Mask of a body's in-slab word offset (records never cross a slab).
    offset_mask: u32,
    _map: MmapMut,
}

// SAFETY: an array of atomics in a mapping this value owns; `base` caches its address.
unsafe impl Send for RecordBits {}
// SAFETY: as above; all shared access is atomic.
unsafe impl Sync for RecordBits {}

/// Bytes of bits one slab of `slab_words` words needs.
pub(crate) const fn bytes_per_slab(slab_words: usize) -> usize {
    slab_words.div_ceil(64) * 16
}

impl RecordBits {
    /// Bits for every word of `slabs` slabs (a power of two) of `2^offset_bits`
    /// words, so the bits of body `b` (slab index and word offset read together)
    /// are found by `b / 64` alone, and any `u32` masked to `slabs << offset_bits`
    /// bodies stays in bounds. Only the pages of populated slabs are ever touched;
    /// the rest is address space.
    pub(crate) fn new(slabs: usize, offset_bits: u32) -> std::io::Result<RecordBits> {
        debug_assert!(slabs.is_power_of_two() && (6..32).contains(&offset_bits));
        let bodies = (slabs as u64) << offset_bits;
        debug_assert!(bodies <= 1 << 32);
        // One (start, end) pair per 64 words, plus one pair of padding so that the
        // word after the last pair can always be loaded (see `published`).
        let pairs = (bodies / 64) as usize + 1;
        let bytes = (pairs * 16).next_multiple_of(page_size());
        let mut options = memmap2::MmapOptions::new();
        options.len(bytes);
        if !cfg!(miri) {
            // Address space, not memory: no swap reservation for untouched pages.
            options.no_reserve_swap();
        }
        let mut map = options.map_anon()?;
        let base = NonNull::new(map.as_mut_ptr().cast::<AtomicU64>())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::Other))?;
        Ok(RecordBits {
            base,
            max_body: (bodies - 1) as u32,
            offset_mask: (1u32 << offset_bits) - 1,
            _map: map,
        })
    }

    /// The start (`END = 0`) or end (`END = 1`) bitmap word of pair `pair`
    /// (callers keep `pair <= max_body / 64 + 1`: the last one is padding).
    #[inline]
    fn bits<const END: usize>(&self, pair: usize) -> &AtomicU64 {
        debug_assert!(pair as u64 <= u64::from(self.max_body) / 64 + 1);
        // SAFETY: `pair <= (2^body_bits - 1) / 64 + 1`, and the mapping holds
        // `2^body_bits / 64 + 1` pairs of u64 (see `new`); it is zero-initialised,
        // 8-aligned, lives as long as `self` and is only accessed atomically.
        unsafe { &*self.base.as_ptr().add(pair * 2 + END) }
    }

    /// Marks bodies `[first, last]` (one slab) as a published record. The end bit
    /// is set first; the start bit's `Release` then orders it, and the record's
    /// words, before any reader that sees the start bit.
    #[inline]
    pub(crate) fn publish(&self, first: u32, last: u32) {
        debug_assert!(first <= last && last <= self.max_body);
        debug_assert_eq!(first & !self.offset_mask, last & !self.offset_mask);
        self.bits::<1>(last as usize / 64)
            .fetch_or(1 << (last % 64), Ordering::Relaxed);
        self.bits::<0>(first as usize / 64)
            .fetch_or(1 << (first % 64), Ordering::Release);
    }

    /// The handle body of `raw` (its caller bits masked off) and the frame count of
    /// the published record whose first frame that body names, or `None` if no
    /// published record starts there (`Acquire`: a `Some` synchronises with
    /// [`publish`](Self::publish), so the record's words may be read).
    ///
    /// A record of up to 64 frames ends within the 64 bits from its first word on,
    /// which one double-width shift of two end words yields — no data-dependent
    /// branch (a loop would mispredict on the ~40 % of records that cross a bitmap
    /// word) and no header. Longer ones continue word by word.
    #[inline]
    pub(crate) fn published(&self, raw: u32) -> Option<(u32, usize)> {
        let first = raw & self.max_body;
        let pair = first as usize / 64;
        let start = self.bits::<0>(pair).load(Ordering::Acquire);
        if start & (1 << (first % 64)) == 0 {
            return None;
        }
        // Relaxed: the start bit's Acquire ordered the end bit, set before it. The
        // next pair always exists (padding at the end); if it belongs to the next
        // slab its bits are never needed: a published record ends in its own slab,
        // so its end bit is then in `low`.
        let low = self.bits::<1>(pair).load(Ordering::Relaxed);
        let high = self.bits::<1>(pair + 1).load(Ordering::Relaxed);
        // End bits of words first … first + 63.
        let window = (((u128::from(high) << 64) | u128::from(low)) >> (first % 64)) as u64;
        if window != 0 {
            return Some((first, window.trailing_zeros() as usize + 1));
        }
        self.len_beyond_window(first, pair + 1)
            .map(|len| (first, len))
    }

    /// The slow tail of [`published`](Self::published), for records of more than 64
    /// frames: end bits from pair `pair` on (bits below `first + 64` masked off, they
    /// were in the window) to the end of `first`'s slab.
    #[cold]
    fn len_beyond_window(&self, first: u32, mut pair: usize) -> Option<usize> {
        let last_pair = (first | self.offset_mask) as usize / 64;
        let seen = first as usize + 64;
        while pair <= last_pair {
            let mut ends = self.bits::<1>(pair).load(Ordering::Relaxed);
            if pair * 64 < seen {
                ends &= !0u64 << (seen - pair * 64);
            }
            if ends != 0 {
                return Some(pair * 64 + ends.trailing_zeros() as usize + 1 - first as usize);
            }
            pair += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len_at(bits: &RecordBits, body: u32) -> Option<usize> {
        bits.published(body).map(|(b, len)| {
            assert_eq!(b, body & bits.max_body);
            len
        })
    }

    /// Bits for 4 slabs of 256 words (offset 8 bits, body 10 bits).
    fn small() -> RecordBits {
        RecordBits::new(4, 8).unwrap()
    }

    #[test]
    fn lengths_follow_from_end_bits_across_bitmap_words() {
        let bits = small();
        // Records in slab 1 (bodies 256..512): [259..=259], [260..=326] (crosses a
        // bitmap word), [383..=384], and one ending on the slab's last word.
        for (first, last) in [(259, 259), (260, 326), (383, 384), (500, 511)] {
            assert_eq!(len_at(&bits, first), None);
            bits.publish(first, last);
        }
        assert_eq!(len_at(&bits, 259), Some(1));
        assert_eq!(len_at(&bits, 260), Some(67));
        assert_eq!(len_at(&bits, 383), Some(2));
        assert_eq!(len_at(&bits, 500), Some(12));
        // Not a start: inside a record, an end, another slab, out of range.
        for w in [261, 326, 4, 1023] {
            assert_eq!(len_at(&bits, w), None, "body {w}");
        }
        // Caller bits above the body are ignored: 1024 + 259 names body 259.
        assert_eq!(bits.published(1024 + 259), Some((259, 1)));
        // A start without any end bit after it in its slab (never published like
        // that) is None, not a scan into the next slab, which has end bits.
        bits.bits::<0>(2).fetch_or(1 << 60, Ordering::Release);
        assert_eq!(len_at(&bits, 2 * 64 + 60), None);
        // The last pair of the address space reads the padding pair.
        bits.publish(1020, 1023);
        assert_eq!(len_at(&bits, 1020), Some(4));
    }

    #[test]
    fn every_length_at_every_offset() {
        // (Miri: a sample; every combination maps a bitmap, which is slow there.)
        let step = if cfg!(miri) { 37 } else { 1 };
        for first in (0..256).step_by(step) {
            for len in (1..=(256 - first).min(140)).step_by(step) {
                let bits = small();
                let (first, len) = (first as u32, len as u32);
                let at = 256 + first; // slab 1, so slabs 0 and 2 are neighbours
                if first > 0 {
                    bits.publish(at - 1, at - 1);
                }
                bits.publish(at, at + len - 1);
                if first + len < 256 {
                    bits.publish(at + len, 511);
                }
                bits.publish(512, 512);
                assert_eq!(len_at(&bits, at), Some(len as usize), "{first}+{len}");
                if len > 1 {
                    assert_eq!(len_at(&bits, at + 1), None, "{first}+{len}");
                }
            }
        }
    }
}
