//! Where published records start and end: two bits per slab word, for every
//! addressable slab, in one dense mapping beside the slabs.
//!
//! A record is only its frames (no header word in the slab): the *start* bit marks
//! its first frame, the *end* bit its last. Both are set at publication, end first,
//! then start with `Release`; a reader checks the start bit with `Acquire` before it
//! trusts anything, then finds the length as the distance to the next end bit.
//!
//! ```text
//!  per slab: ┌────────┬────────┬────────┬────────┬───┬────────┬────────┐
//!            │start 0 │ end 0  │start 1 │ end 1  │ … │start k │ end k  │   u64 each,
//!            └────────┴────────┴────────┴────────┴───┴────────┴────────┘   word i of the
//!             bit w%64 of pair w/64: record starts / ends at slab word w     slab ↔ pair i/64
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
//! start is its own. Only the pages holding bits of installed slabs are touched.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

use memmap2::MmapMut;

use crate::config::page_size;

pub(crate) struct RecordBits {
    /// Base of `_map`, taken once through `as_mut_ptr` so that it may be written.
    base: NonNull<AtomicU64>,
    /// Bitmap words per slab for one kind of bit (`slab_words / 64`, rounded up).
    pairs_per_slab: usize,
    slabs: usize,
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
    /// Bits for `slabs` slabs of `slab_words` words each.
    pub(crate) fn new(slabs: usize, slab_words: usize) -> std::io::Result<RecordBits> {
        let pairs_per_slab = slab_words.div_ceil(64);
        let bytes = (slabs * bytes_per_slab(slab_words)).next_multiple_of(page_size());
        let mut map = MmapMut::map_anon(bytes)?;
        let base = NonNull::new(map.as_mut_ptr().cast::<AtomicU64>())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::Other))?;
        Ok(RecordBits {
            base,
            pairs_per_slab,
            slabs,
            _map: map,
        })
    }

    /// The start (`END = 0`) or end (`END = 1`) bitmap word number `pair` of `slab`
    /// (callers check `slab < slabs` and `pair < pairs_per_slab`).
    #[inline]
    fn bits<const END: usize>(&self, slab: usize, pair: usize) -> &AtomicU64 {
        debug_assert!(slab < self.slabs && pair < self.pairs_per_slab);
        // SAFETY: the index is inside the mapping (slab < slabs, pair <
        // pairs_per_slab, END < 2); the mapping is zero-initialised, 8-aligned, lives
        // as long as `self` and is only accessed atomically.
        unsafe {
            &*self
                .base
                .as_ptr()
                .add((slab * self.pairs_per_slab + pair) * 2 + END)
        }
    }

    /// Marks `[first, last]` of `slab` as a published record. The end bit is set
    /// first; the start bit's `Release` then orders it, and the record's words,
    /// before any reader that sees the start bit.
    #[inline]
    pub(crate) fn publish(&self, slab: usize, first: usize, last: usize) {
        debug_assert!(first <= last);
        self.bits::<1>(slab, last / 64)
            .fetch_or(1 << (last % 64), Ordering::Relaxed);
        self.bits::<0>(slab, first / 64)
            .fetch_or(1 << (first % 64), Ordering::Release);
    }

    /// The frame count of the published record starting at `first` of `slab`, or
    /// `None` if no published record starts there (`Acquire`: a `Some` synchronises
    /// with [`publish`](Self::publish), so the record's words may be read).
    #[inline]
    pub(crate) fn published_len(&self, slab: usize, first: usize) -> Option<usize> {
        if slab >= self.slabs || first / 64 >= self.pairs_per_slab {
            return None;
        }
        let start = self.bits::<0>(slab, first / 64).load(Ordering::Acquire);
        if start & (1 << (first % 64)) == 0 {
            return None;
        }
        self.len_from(slab, first)
    }

    /// The frame count of a record known to be published at `first` (found through
    /// an index slot loaded with `Acquire` or under the shard lock, which ordered
    /// its bits before). `None` only if no end bit follows before the slab's end,
    /// which a published record never lacks.
    ///
    /// Records of up to 64 frames end within the two bitmap words loaded first,
    /// without a data-dependent branch (a loop here would mispredict on the ~40 %
    /// of records that cross a bitmap word, and a fetch or hit would then wait on
    /// this load before its next one); longer records continue word by word.
    #[inline]
    pub(crate) fn len_from(&self, slab: usize, first: usize) -> Option<usize> {
        let pair = first / 64;
        if slab >= self.slabs || pair >= self.pairs_per_slab {
            return None;
        }
        let next = (pair + 1).min(self.pairs_per_slab - 1);
        // Relaxed: the caller's Acquire (start bit or index slot) already ordered the
        // end bit, set before either, ahead of these loads.
        let low = self.bits::<1>(slab, pair).load(Ordering::Relaxed);
        let high = if next > pair {
            self.bits::<1>(slab, next).load(Ordering::Relaxed)
        } else {
            0
        };
        let window = ((u128::from(high) << 64) | u128::from(low)) >> (first % 64);
        if window != 0 {
            return Some(window.trailing_zeros() as usize + 1);
        }
        self.len_beyond_window(slab, first, next + 1)
    }

    /// The slow tail of [`len_from`](Self::len_from): end bits from bitmap word `pair` on.
    #[cold]
    fn len_beyond_window(&self, slab: usize, first: usize, mut pair: usize) -> Option<usize> {
        while pair < self.pairs_per_slab {
            let ends = self.bits::<1>(slab, pair).load(Ordering::Relaxed);
            if ends != 0 {
                return Some(pair * 64 + ends.trailing_zeros() as usize + 1 - first);
            }
            pair += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_from_end_bits_across_bitmap_words() {
        let bits = RecordBits::new(2, 512).unwrap();
        // Records [3..=3], [4..=70] (crosses a bitmap word), [127..=128], in slab 1.
        for (first, last) in [(3, 3), (4, 70), (127, 128)] {
            assert_eq!(bits.published_len(1, first), None);
            bits.publish(1, first, last);
        }
        assert_eq!(bits.published_len(1, 3), Some(1));
        assert_eq!(bits.published_len(1, 4), Some(67));
        assert_eq!(bits.published_len(1, 127), Some(2));
        // Not a start: inside a record, an end, another slab, out of range.
        for (slab, w) in [(1, 5), (1, 70), (0, 4), (2, 4), (1, 512), (usize::MAX, 0)] {
            assert_eq!(bits.published_len(slab, w), None, "slab {slab} word {w}");
        }
        // Every length of record at every offset within a slab of 4 bitmap words.
        // (Miri: a sample; every combination maps a bitmap, which is slow there.)
        let step = if cfg!(miri) { 37 } else { 1 };
        for first in (0..256).step_by(step) {
            for len in (1..=(256 - first).min(70)).step_by(step) {
                let bits = RecordBits::new(1, 256).unwrap();
                if first > 0 {
                    bits.publish(0, first - 1, first - 1);
                }
                bits.publish(0, first, first + len - 1);
                if first + len < 256 {
                    bits.publish(0, first + len, 255);
                }
                assert_eq!(bits.published_len(0, first), Some(len), "{first}+{len}");
                if len > 1 {
                    assert_eq!(bits.published_len(0, first + 1), None, "{first}+{len}");
                }
            }
        }
        // A start without any end bit after it (never published like that) is None,
        // not a scan past the slab.
        bits.bits::<0>(0, 7).fetch_or(1 << 60, Ordering::Release);
        assert_eq!(bits.published_len(0, 7 * 64 + 60), None);
    }
}
