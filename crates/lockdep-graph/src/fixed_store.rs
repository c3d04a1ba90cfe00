//! The kernel-faithful fixed-array trace store (also used by the benches as a baseline).
//!
//! This mirrors lockdep's `save_trace()` since v5.4: one static array of `unsigned long`
//! (`stack_trace[MAX_STACK_TRACE_ENTRIES]`) used as a bump arena of packed records, each a
//! 3-word header (hash, number of entries, hash-chain link) followed by the frames, and a
//! 2^14-bucket hash table for deduplication. Nothing is ever freed. When a trace no longer
//! fits, the store is *overflowed* for good: every later save fails (lockdep then prints
//! "BUG: MAX_STACK_TRACE_ENTRIES too low!" and turns itself off).

use std::fmt;

use crate::jhash::jhash_frames;

/// Words of a record header: hash, nr_entries, next-in-bucket (`LOCK_TRACE_SIZE_IN_LONGS`).
pub const HEADER_WORDS: usize = 3;
/// log2 of the bucket count (`CONFIG_LOCKDEP_STACK_TRACE_HASH_BITS` default).
pub const HASH_BITS: u32 = 14;
/// Buckets of the dedup hash table.
pub const HASH_SIZE: usize = 1 << HASH_BITS;
/// Smallest accepted `bits` (lockdep's Kconfig range for `LOCKDEP_STACK_TRACE_BITS`).
pub const MIN_BITS: u32 = 10;
/// Largest accepted `bits`.
pub const MAX_BITS: u32 = 26;
/// lockdep's default `CONFIG_LOCKDEP_STACK_TRACE_BITS`.
pub const DEFAULT_BITS: u32 = 19;

/// `bits` outside [`MIN_BITS`]`..=`[`MAX_BITS`], returned by [`FixedTraceStore::try_new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitsOutOfRange(pub u32);

impl fmt::Display for BitsOutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stack-trace bits {} outside lockdep's range {MIN_BITS}..={MAX_BITS}",
            self.0
        )
    }
}

impl std::error::Error for BitsOutOfRange {}

/// One static array of `2^bits` words, 3-word headers (hash, nr_entries, hash-chain link),
/// a 2^14-bucket hash for dedup; full = overflowed forever.
///
/// Handles are the word offset of a record's header, as lockdep's `struct lock_trace *` is a
/// pointer into the array.
///
/// ```
/// use lockdep_graph::fixed_store::FixedTraceStore;
/// let mut store = FixedTraceStore::new(10);
/// let h = store.save(&[0x1000, 0x2000]).unwrap();
/// assert_eq!(store.save(&[0x1000, 0x2000]), Some(h)); // deduplicated
/// assert_eq!(store.fetch(h), Some(&[0x1000, 0x2000][..]));
/// assert_eq!(store.entries_used(), 5); // 3 header words + 2 frames
/// ```
pub struct FixedTraceStore {
    bits: u32,
    words: Vec<usize>,
    used: usize,
    /// Bucket heads: header offset + 1, 0 = empty.
    buckets: Box<[u32]>,
    traces: u64,
    hash_chains: u64,
    overflowed: bool,
}

impl FixedTraceStore {
    /// A store of `2^bits` words. `bits` outside lockdep's Kconfig range `10..=26` is
    /// **clamped** into it (use [`try_new`](Self::try_new) to reject it instead).
    /// The array is allocated zeroed up front, as lockdep's `.bss` array is; the OS commits
    /// pages only as they are written.
    pub fn new(bits: u32) -> FixedTraceStore {
        let bits = bits.clamp(MIN_BITS, MAX_BITS);
        FixedTraceStore {
            bits,
            words: vec![0; 1 << bits],
            used: 0,
            buckets: vec![0u32; HASH_SIZE].into_boxed_slice(),
            traces: 0,
            hash_chains: 0,
            overflowed: false,
        }
    }

    /// Like [`new`](Self::new) but rejects `bits` outside `10..=26`.
    pub fn try_new(bits: u32) -> Result<FixedTraceStore, BitsOutOfRange> {
        if (MIN_BITS..=MAX_BITS).contains(&bits) {
            Ok(Self::new(bits))
        } else {
            Err(BitsOutOfRange(bits))
        }
    }

    /// The (possibly clamped) `bits` this store was built with.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Saves `frames` (innermost first) and returns the offset of its record header, reusing an
    /// identical stored trace. `None` once the array is full: like lockdep, a trace is
    /// truncated to the space left, and when not even the header plus one word is left the
    /// store overflows and stays overflowed.
    pub fn save(&mut self, frames: &[usize]) -> Option<u32> {
        if self.overflowed {
            return None;
        }
        let cap = self.words.len();
        // lockdep: max_entries = MAX - nr_entries - LOCK_TRACE_SIZE_IN_LONGS; <= 0 overflows.
        let room = cap.saturating_sub(self.used).saturating_sub(HEADER_WORDS);
        if room == 0 {
            self.overflowed = true;
            return None;
        }
        let frames = &frames[..frames.len().min(room)];
        let hash = jhash_frames(frames, 0);
        let bucket = hash as usize & (HASH_SIZE - 1);
        let mut link = self.buckets[bucket];
        while link != 0 {
            let off = link as usize - 1;
            let header = self.words.get(off..off + HEADER_WORDS)?;
            let (h, n, next) = (header[0], header[1], header[2]);
            if h == hash as usize
                && n == frames.len()
                && self.words.get(off + HEADER_WORDS..off + HEADER_WORDS + n) == Some(frames)
            {
                return Some(off as u32);
            }
            link = next as u32;
        }
        let off = self.used;
        let head = self.buckets[bucket];
        self.words[off] = hash as usize;
        self.words[off + 1] = frames.len();
        self.words[off + 2] = head as usize;
        self.words[off + HEADER_WORDS..off + HEADER_WORDS + frames.len()].copy_from_slice(frames);
        self.used += HEADER_WORDS + frames.len();
        if head == 0 {
            self.hash_chains += 1;
        }
        self.buckets[bucket] = off as u32 + 1;
        self.traces += 1;
        Some(off as u32)
    }

    /// The frames of the record at `handle`; `None` for an offset that is not inside the used
    /// part of the array.
    pub fn fetch(&self, handle: u32) -> Option<&[usize]> {
        let off = handle as usize;
        let n = *self.words[..self.used].get(off + 1)?;
        let start = off.checked_add(HEADER_WORDS)?;
        let end = start.checked_add(n)?;
        self.words[..self.used].get(start..end)
    }

    /// Whether a save has failed for lack of space (permanent).
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Words used, headers included (lockdep's `nr_stack_trace_entries`).
    pub fn entries_used(&self) -> u64 {
        self.used as u64
    }

    /// Words in the array (`MAX_STACK_TRACE_ENTRIES`).
    pub fn entries_max(&self) -> u64 {
        self.words.len() as u64
    }

    /// Unique traces stored.
    pub fn traces(&self) -> u64 {
        self.traces
    }

    /// Non-empty hash buckets (lockdep's "number of stack hash chains").
    pub fn hash_chains(&self) -> u64 {
        self.hash_chains
    }

    /// Bytes lockdep would use for this content: `entries_used * 8` plus the 2^14-bucket
    /// `hlist_head` table (`16384 * 8`).
    pub fn bytes_used(&self) -> u64 {
        self.entries_used() * 8 + (HASH_SIZE as u64) * 8
    }
}

impl fmt::Debug for FixedTraceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedTraceStore")
            .field("bits", &self.bits)
            .field("entries_used", &self.used)
            .field("traces", &self.traces)
            .field("overflowed", &self.overflowed)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_clamped_by_new_and_rejected_by_try_new() {
        assert_eq!(FixedTraceStore::new(3).entries_max(), 1 << 10);
        assert_eq!(FixedTraceStore::new(10).bits(), 10);
        assert_eq!(FixedTraceStore::try_new(9).err(), Some(BitsOutOfRange(9)));
        assert_eq!(FixedTraceStore::try_new(27).err(), Some(BitsOutOfRange(27)));
        assert!(FixedTraceStore::try_new(12).is_ok());
    }

    #[test]
    fn dedup_distinguishes_content_and_length() {
        let mut s = FixedTraceStore::new(10);
        let a = s.save(&[1, 2, 3]).unwrap();
        let b = s.save(&[1, 2]).unwrap();
        let c = s.save(&[1, 2, 4]).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(s.save(&[1, 2, 3]), Some(a));
        assert_eq!(s.traces(), 3);
        assert_eq!(s.entries_used(), 3 * 3 + 3 + 2 + 3);
        assert_eq!(s.fetch(a), Some(&[1, 2, 3][..]));
        assert_eq!(s.fetch(b), Some(&[1, 2][..]));
        assert!(s.hash_chains() >= 1 && s.hash_chains() <= 3);
        assert_eq!(s.bytes_used(), s.entries_used() * 8 + 16384 * 8);
    }

    #[test]
    fn bucket_collisions_chain() {
        // Force many traces so several share buckets; all must stay fetchable and deduped.
        let mut s = FixedTraceStore::new(20);
        let handles: Vec<u32> = (0..40_000usize)
            .map(|i| s.save(&[i, i * 7]).unwrap())
            .collect();
        assert!(s.hash_chains() < 40_000);
        for (i, &h) in handles.iter().enumerate() {
            assert_eq!(s.fetch(h), Some(&[i, i * 7][..]));
            assert_eq!(s.save(&[i, i * 7]), Some(h));
        }
    }

    #[test]
    fn overflow_truncates_then_sticks() {
        let mut s = FixedTraceStore::new(10);
        let frames: Vec<usize> = (1..=100).collect();
        let mut saved = 0;
        let mut i = 0usize;
        loop {
            let mut f = frames.clone();
            f[0] = 1000 + i;
            i += 1;
            match s.save(&f) {
                Some(h) => {
                    saved += 1;
                    let got = s.fetch(h).unwrap();
                    assert!(!got.is_empty() && got.len() <= 100);
                    assert_eq!(got[0], 1000 + i - 1);
                }
                None => break,
            }
        }
        assert!(s.overflowed());
        assert_eq!(s.entries_used(), 1024);
        assert!(saved >= 9);
        // Even a tiny, already-stored trace fails now.
        assert_eq!(s.save(&[1]), None);
    }

    #[test]
    fn bad_handles_do_not_panic() {
        let mut s = FixedTraceStore::new(10);
        s.save(&[1, 2, 3]).unwrap();
        assert_eq!(s.fetch(5), None);
        assert_eq!(s.fetch(u32::MAX), None);
        assert_eq!(FixedTraceStore::new(10).fetch(0), None);
    }
}
