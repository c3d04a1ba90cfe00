//! The chain cache: the set of held-stack hashes (chain keys) already validated.
//!
//! lockdep skips all validation for an acquisition whose chain key is cached, which turns the
//! O(depth²) checks into a one-time cost per distinct held-lock sequence. Here the lookup must
//! not take any lock: it is the hot path of every nested acquisition on every thread.
//!
//! Design: a growable set made of *levels*, each an open-addressed table of `AtomicU64`
//! allocated once (through a `OnceLock`) and never moved or freed until the set is dropped.
//! Level `i` has `1024 << i` slots and receives inserts until it is half full, then the next
//! level is allocated. Readers probe every allocated level (a hit is usually found in the
//! first probe of one level; a miss costs a short probe per level, and a miss is followed by
//! validation under the graph lock anyway). There is no rehashing, so no reclamation problem
//! and no `unsafe`. Inserts happen only under the validator's graph lock, so there is a single
//! writer: a plain `Release` store publishes a key, readers `Acquire`-load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

const FIRST_LEVEL_BITS: u32 = 10;
const LEVELS: usize = 26;
/// Slot value meaning "empty"; the key 0 itself is tracked by a separate flag.
const EMPTY: u64 = 0;

pub(crate) struct ChainCache {
    levels: [OnceLock<Box<[AtomicU64]>>; LEVELS],
    /// Keys stored per level (writer-only bookkeeping, read by `len`).
    counts: [AtomicUsize; LEVELS],
    zero: AtomicBool,
    /// Moves after every [`clear`](Self::clear), so a reader that saw a key in an epoch may
    /// remember it as cached for as long as the epoch has not moved.
    epoch: AtomicU64,
}

#[inline]
fn slot_of(key: u64, bits: u32) -> usize {
    // Chain keys are already well mixed (jhash), but a multiply spreads any structure.
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize
}

impl ChainCache {
    pub(crate) fn new() -> ChainCache {
        ChainCache {
            levels: std::array::from_fn(|_| OnceLock::new()),
            counts: std::array::from_fn(|_| AtomicUsize::new(0)),
            zero: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
        }
    }

    /// The current epoch. Read it before [`contains`](Self::contains): a key found then is
    /// in the set until the epoch moves.
    #[inline]
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Lock-free membership test.
    #[inline]
    pub(crate) fn contains(&self, key: u64) -> bool {
        if key == EMPTY {
            return self.zero.load(Ordering::Acquire);
        }
        for (i, level) in self.levels.iter().enumerate() {
            let Some(table) = level.get() else { break };
            let bits = FIRST_LEVEL_BITS + i as u32;
            let mask = table.len() - 1;
            let mut pos = slot_of(key, bits);
            loop {
                let v = table[pos].load(Ordering::Acquire);
                if v == key {
                    return true;
                }
                if v == EMPTY {
                    break;
                }
                pos = (pos + 1) & mask;
            }
        }
        false
    }

    /// Inserts `key`; returns false if it was present. Callers must serialise inserts (the
    /// graph lock does).
    pub(crate) fn insert(&self, key: u64) -> bool {
        if self.contains(key) {
            return false;
        }
        if key == EMPTY {
            self.zero.store(true, Ordering::Release);
            return true;
        }
        for (i, level) in self.levels.iter().enumerate() {
            let bits = FIRST_LEVEL_BITS + i as u32;
            let cap = 1usize << bits;
            if self.counts[i].load(Ordering::Relaxed) >= cap / 2 {
                continue;
            }
            let table = level.get_or_init(|| (0..cap).map(|_| AtomicU64::new(EMPTY)).collect());
            let mask = cap - 1;
            let mut pos = slot_of(key, bits);
            while table[pos].load(Ordering::Relaxed) != EMPTY {
                pos = (pos + 1) & mask;
            }
            table[pos].store(key, Ordering::Release);
            self.counts[i].fetch_add(1, Ordering::Relaxed);
            return true;
        }
        // 2^35 chains: beyond any realistic program; treat as cached to stay bounded.
        false
    }

    /// Forgets every key (keeps the tables for reuse) and moves the epoch. Readers racing with
    /// this may see a partly cleared set, which only means one more or one fewer validation;
    /// what they remember from it expires with the old epoch.
    pub(crate) fn clear(&self) {
        self.zero.store(false, Ordering::Release);
        for (i, level) in self.levels.iter().enumerate() {
            if let Some(table) = level.get() {
                for slot in table.iter() {
                    slot.store(EMPTY, Ordering::Relaxed);
                }
            }
            self.counts[i].store(0, Ordering::Relaxed);
        }
        // After the slots are emptied: a reader that sees the new epoch sees them empty.
        self.epoch.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_across_levels_and_finds_everything() {
        let c = ChainCache::new();
        let keys: Vec<u64> = (0..5000u64)
            .map(|i| i.wrapping_mul(0x1234_5678_9abc_def1) ^ 7)
            .collect();
        for &k in &keys {
            assert!(c.insert(k));
        }
        for &k in &keys {
            assert!(c.contains(k));
            assert!(!c.insert(k));
        }
        assert!(!c.contains(3));
        assert!(
            c.levels[2].get().is_some(),
            "5000 keys need more than two levels"
        );
        assert!(!c.contains(0));
        assert!(c.insert(0));
        assert!(c.contains(0));
        let epoch = c.epoch();
        c.clear();
        assert_ne!(c.epoch(), epoch, "a clear expires what readers remember");
        assert!(!c.contains(keys[0]) && !c.contains(0));
        assert!(c.insert(keys[0]));
    }

    #[test]
    fn concurrent_readers_see_published_keys() {
        let c = std::sync::Arc::new(ChainCache::new());
        let writer = {
            let c = c.clone();
            std::thread::spawn(move || {
                for k in 1..3000u64 {
                    c.insert(k);
                }
            })
        };
        let reader = {
            let c = c.clone();
            std::thread::spawn(move || {
                // Monotonic: once a key is seen, it stays visible.
                let mut seen = 0u64;
                for _ in 0..200 {
                    let mut n = 0;
                    for k in 1..3000u64 {
                        if c.contains(k) {
                            n += 1;
                        }
                    }
                    assert!(n >= seen, "a published key disappeared");
                    seen = n;
                }
            })
        };
        writer.join().unwrap();
        reader.join().unwrap();
        assert!((1..3000u64).all(|k| c.contains(k)));
    }
}
