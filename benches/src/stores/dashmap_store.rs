//! The concurrent-map baseline.

use std::sync::atomic::{AtomicU32, Ordering};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use super::{TraceStore, frame_sum, slice_parts};
use crate::alloc_size;

/// What a user reaching for a concurrent map writes: `DashMap` (default hasher and
/// shard count) from trace to id, a second `DashMap` from id to trace, and an
/// atomic id counter. The id -> trace entry is inserted before the id is
/// published in the first map, so any id a caller sees can be fetched.
pub struct DashMapStore {
    ids: DashMap<Box<[usize]>, u32>,
    traces: DashMap<u32, Box<[usize]>>,
    next: AtomicU32,
}

impl DashMapStore {
    /// Name in tables.
    pub const NAME: &'static str = "dashmap";

    /// An empty store.
    pub fn new() -> DashMapStore {
        DashMapStore {
            ids: DashMap::new(),
            traces: DashMap::new(),
            next: AtomicU32::new(0),
        }
    }

    /// DashMap's default shard count (its private `default_shard_amount`, same formula).
    fn shards() -> usize {
        (std::thread::available_parallelism().map_or(1, usize::from) * 4).next_power_of_two()
    }
}

impl Default for DashMapStore {
    fn default() -> Self {
        Self::new()
    }
}

impl TraceStore for DashMapStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    #[inline]
    fn save(&self, frames: &[usize]) -> Option<u32> {
        if let Some(id) = self.ids.get(frames) {
            return Some(*id);
        }
        match self.ids.entry(frames.into()) {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(v) => {
                let id = self.next.fetch_add(1, Ordering::Relaxed);
                if id == u32::MAX {
                    return None;
                }
                self.traces.insert(id, frames.into());
                v.insert(id);
                Some(id)
            }
        }
    }

    #[inline]
    fn fetch_slice(&self, id: u32) -> Option<(usize, usize)> {
        // The shard's read guard (the `Ref`) is dropped as the closure returns.
        self.traces.get(&id).map(|b| slice_parts(&b))
    }

    #[inline]
    fn fetch_sum(&self, id: u32) -> Option<usize> {
        self.traces.get(&id).map(|b| frame_sum(&b))
    }

    fn fetch_into(&self, id: u32, out: &mut Vec<usize>) -> bool {
        out.clear();
        match self.traces.get(&id) {
            Some(b) => {
                out.extend_from_slice(&b);
                true
            }
            None => false,
        }
    }

    /// Both maps' tables (entries of 24 bytes each; summed shard capacities
    /// inverted to buckets), each shard's 128-byte cache-padded lock and its
    /// table's malloc header, the shard arrays, and two boxed copies per trace.
    fn bytes_used(&self) -> usize {
        let shards = Self::shards();
        let entry = size_of::<(Box<[usize]>, u32)>();
        let side_entry = size_of::<(u32, Box<[usize]>)>();
        let per_shard = 128 + 16 + 16;
        let boxes: usize = self
            .traces
            .iter()
            .map(|e| alloc_size::boxed_words(e.value().len()))
            .sum();
        // Every shard table with at least 8 buckets reports capacity = buckets * 7 / 8,
        // so the summed capacity inverts exactly to the summed bucket count.
        let table = |capacity: usize, elem: usize| {
            let buckets = capacity * 8 / 7;
            buckets * elem + buckets
        };
        table(self.ids.capacity(), entry)
            + table(self.traces.capacity(), side_entry)
            + 2 * shards * per_shard
            + 2 * boxes
    }
}
