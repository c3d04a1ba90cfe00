//! lockdep's fixed array as a baseline.

use lockdep_graph::fixed_store::{DEFAULT_BITS, FixedTraceStore, HEADER_WORDS, MAX_BITS};
use parking_lot::Mutex;

use super::{TraceStore, frame_sum, slice_parts};
use crate::workload::TraceSet;

/// A faithful model of lockdep's trace storage: one array of `2^bits` words with
/// 3-word record headers and a 2^14-bucket hash chain table, behind one lock
/// (lockdep's graph lock), as `lockdep_graph::fixed_store::FixedTraceStore`.
///
/// The kernel's array is 2^19 words; the RFC's 22k traces of ~21 frames already
/// need more (24 words each with the header). Since the point of this baseline is
/// speed, [`sized_for`](Self::sized_for) picks the smallest `bits >= 19` that
/// holds the workload and tables print it. Its bytes per frame come from the
/// store's own accounting: used words (headers included) plus the bucket table,
/// not the whole preallocated array, which [`bytes_reserved`](Self::bytes_reserved) reports.
pub struct KernelFixedStore {
    inner: Mutex<FixedTraceStore>,
    bits: u32,
}

impl KernelFixedStore {
    /// Name in tables.
    pub const NAME: &'static str = "kernel-fixed";

    /// An array of `2^bits` words (clamped to lockdep's range 10..=26).
    pub fn with_bits(bits: u32) -> KernelFixedStore {
        let store = FixedTraceStore::new(bits);
        let bits = store.bits();
        KernelFixedStore {
            inner: Mutex::new(store),
            bits,
        }
    }

    /// The kernel's default size, 2^19 words.
    pub fn kernel_default() -> KernelFixedStore {
        Self::with_bits(DEFAULT_BITS)
    }

    /// The smallest array of at least the kernel's size that holds every trace in `traces`.
    pub fn sized_for(traces: &TraceSet) -> KernelFixedStore {
        Self::with_bits(Self::bits_for(traces))
    }

    /// The `bits` [`sized_for`](Self::sized_for) picks.
    pub fn bits_for(traces: &TraceSet) -> u32 {
        let words = traces.total_frames() + HEADER_WORDS * traces.len();
        // A save needs strictly more room than its record, hence `<=`.
        let mut bits = DEFAULT_BITS;
        while bits < MAX_BITS && (1usize << bits) <= words {
            bits += 1;
        }
        bits
    }

    /// The array's size in bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Whether a save ever failed for lack of room.
    pub fn overflowed(&self) -> bool {
        self.inner.lock().overflowed()
    }

    /// Bytes the preallocated array and bucket table occupy whatever is stored
    /// (lockdep's static `.bss` cost).
    pub fn bytes_reserved(&self) -> usize {
        let store = self.inner.lock();
        usize::try_from(store.entries_max()).unwrap_or(usize::MAX) * size_of::<usize>()
            + lockdep_graph::fixed_store::HASH_SIZE * size_of::<usize>()
    }
}

impl TraceStore for KernelFixedStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    #[inline]
    fn save(&self, frames: &[usize]) -> Option<u32> {
        self.inner.lock().save(frames)
    }

    #[inline]
    fn fetch_slice(&self, id: u32) -> Option<(usize, usize)> {
        self.inner.lock().fetch(id).map(slice_parts)
    }

    #[inline]
    fn fetch_sum(&self, id: u32) -> Option<usize> {
        self.inner.lock().fetch(id).map(frame_sum)
    }

    fn fetch_into(&self, id: u32, out: &mut Vec<usize>) -> bool {
        out.clear();
        match self.inner.lock().fetch(id) {
            Some(frames) => {
                out.extend_from_slice(frames);
                true
            }
            None => false,
        }
    }

    fn bytes_used(&self) -> usize {
        usize::try_from(self.inner.lock().bytes_used()).unwrap_or(usize::MAX)
    }

    fn detail(&self) -> String {
        format!("bits={}", self.bits)
    }
}
