//! The hand-written store every ratio is against.

use std::collections::HashMap;

use parking_lot::Mutex;

use super::{TraceStore, frame_sum, slice_parts};
use crate::alloc_size;

/// What a user writes by hand: one `parking_lot::Mutex` over a std `HashMap`
/// (default SipHash hasher) from trace to id and a `Vec` from id to trace.
///
/// Like most hand-written versions it keeps two boxed copies of each trace (the
/// map key and the `Vec` entry). That costs it memory and one extra allocation
/// per insert; a careful user could share one `Arc<[usize]>` instead.
pub struct MutexHashMapStore {
    inner: Mutex<Tables>,
}

#[derive(Default)]
struct Tables {
    ids: HashMap<Box<[usize]>, u32>,
    traces: Vec<Box<[usize]>>,
}

impl MutexHashMapStore {
    /// Name in tables.
    pub const NAME: &'static str = "mutex-hashmap";

    /// An empty store.
    pub fn new() -> MutexHashMapStore {
        MutexHashMapStore {
            inner: Mutex::new(Tables::default()),
        }
    }
}

impl Default for MutexHashMapStore {
    fn default() -> Self {
        Self::new()
    }
}

impl TraceStore for MutexHashMapStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    #[inline]
    fn save(&self, frames: &[usize]) -> Option<u32> {
        let mut t = self.inner.lock();
        if let Some(&id) = t.ids.get(frames) {
            return Some(id);
        }
        let id = u32::try_from(t.traces.len()).ok()?;
        t.traces.push(frames.into());
        t.ids.insert(frames.into(), id);
        Some(id)
    }

    #[inline]
    fn fetch_slice(&self, id: u32) -> Option<(usize, usize)> {
        let t = self.inner.lock();
        t.traces.get(id as usize).map(|b| slice_parts(b))
    }

    #[inline]
    fn fetch_sum(&self, id: u32) -> Option<usize> {
        let t = self.inner.lock();
        t.traces.get(id as usize).map(|b| frame_sum(b))
    }

    fn fetch_into(&self, id: u32, out: &mut Vec<usize>) -> bool {
        out.clear();
        let t = self.inner.lock();
        match t.traces.get(id as usize) {
            Some(b) => {
                out.extend_from_slice(b);
                true
            }
            None => false,
        }
    }

    /// `hashbrown_table(ids.capacity(), 24) + vec_buffer(traces.capacity(), 16)
    /// + 2 * sum(boxed_words(len))` (see [`alloc_size`]).
    fn bytes_used(&self) -> usize {
        let t = self.inner.lock();
        let entry = size_of::<(Box<[usize]>, u32)>();
        let boxes: usize = t
            .traces
            .iter()
            .map(|b| alloc_size::boxed_words(b.len()))
            .sum();
        alloc_size::hashbrown_table(t.ids.capacity(), entry)
            + alloc_size::vec_buffer(t.traces.capacity(), size_of::<Box<[usize]>>())
            + 2 * boxes
    }
}
