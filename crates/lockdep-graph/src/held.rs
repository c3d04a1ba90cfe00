//! Per-thread state: the held-lock stack (lockdep's `task_struct::held_locks`, without a
//! fixed depth cap), the running chain key, a per-thread class cache and counters.
//!
//! Only the owning thread touches its state on the hot path; other threads lock it briefly
//! when scanning for a held lock being freed, or to sum counters for `stats()`.

use std::ops::Range;

use crate::engine::hlock_id;
use crate::fast_hash::FastMap;
use crate::jhash::{INITIAL_CHAIN_KEY, iterate_chain_key};
use crate::trace_store::TraceRef;
use crate::{ClassKey, LockInstance, Mode};

/// Frames kept per held lock (and per saved trace): enough for any realistic call chain,
/// the stackdepot's default `max_frames`.
pub(crate) const MAX_TRACE_FRAMES: usize = 64;

/// Where a held lock's acquisition trace came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TraceOrigin {
    /// `Trace::Frames`: copied into the thread's frame arena.
    Frames,
    /// `Trace::Capture` on a chain-cache miss: captured into the arena.
    Captured,
    /// `Trace::Capture` on a chain-cache hit or a trylock: not captured (that is what keeps
    /// the cached path cheap).
    NotCaptured,
    /// `Trace::None`.
    None,
}

/// One held lock (lockdep's `struct held_lock`).
#[derive(Clone, Debug)]
pub(crate) struct HeldLock {
    pub(crate) instance: LockInstance,
    pub(crate) class: u32,
    pub(crate) subclass: u8,
    pub(crate) mode: Mode,
    pub(crate) trylock: bool,
    pub(crate) nest: Option<LockInstance>,
    /// nest_lock merges: more than one acquisition folded into this entry.
    pub(crate) references: u32,
    /// Chain key before this lock was pushed (restored on release).
    pub(crate) prev_chain_key: u64,
    /// This acquisition's frames in the thread's arena.
    pub(crate) frames: Range<usize>,
    pub(crate) origin: TraceOrigin,
    /// The acquisition trace once saved to the store (saved lazily, at most once).
    pub(crate) saved: Option<TraceRef>,
}

impl HeldLock {
    pub(crate) fn read(&self) -> u8 {
        self.mode.read_value()
    }

    /// lockdep's `match_held_lock`: the same instance, or (for a nest_lock-merged entry) any
    /// instance of the same subclass-0 class.
    pub(crate) fn matches(&self, lock: &LockInstance) -> bool {
        self.instance == *lock
            || (self.references > 0 && self.subclass == 0 && self.instance.class == lock.class)
    }
}

/// Thread-local cache entry for a (class key, subclass): the class index and which usage
/// bits this thread has already seen set on the class.
#[derive(Clone, Copy)]
pub(crate) struct CachedClass {
    pub(crate) idx: u32,
    pub(crate) usage_seen: u8,
}

/// Slots of the per-thread direct-mapped class cache in front of the class map.
const CLASS_CACHE_SLOTS: usize = 8;

/// One slot of the direct-mapped class cache. An empty slot has `usage_seen == 0`, which no
/// lookup accepts (every lookup asks for a usage bit).
///
/// It also remembers the last chain key computed for this class: `memo_key` is the chain key
/// after pushing the class with read value `memo_read` on a stack whose key is `memo_prev`,
/// and `memo_epoch` the chain cache's epoch in which that key was found cached
/// ([`NOT_CACHED`]: not known to be). A thread that takes its locks in the same sequence again
/// finds both here instead of recomputing the hash and probing the shared chain cache.
/// `memo_read` is [`NO_MEMO`] when nothing is remembered.
#[derive(Clone, Copy)]
struct ClassCacheSlot {
    key: ClassKey,
    idx: u32,
    subclass: u8,
    usage_seen: u8,
    memo_read: u8,
    memo_prev: u64,
    memo_key: u64,
    memo_epoch: u64,
}

/// Never a read value (0, 1 or 2).
const NO_MEMO: u8 = u8::MAX;

/// Never a chain-cache epoch (one per reset: 2^64 resets do not happen).
pub(crate) const NOT_CACHED: u64 = u64::MAX;

impl ClassCacheSlot {
    const EMPTY: ClassCacheSlot = ClassCacheSlot::new(
        ClassKey(0),
        0,
        CachedClass {
            idx: 0,
            usage_seen: 0,
        },
    );

    const fn new(key: ClassKey, subclass: u8, class: CachedClass) -> ClassCacheSlot {
        ClassCacheSlot {
            key,
            idx: class.idx,
            subclass,
            usage_seen: class.usage_seen,
            memo_read: NO_MEMO,
            memo_prev: 0,
            memo_key: 0,
            memo_epoch: NOT_CACHED,
        }
    }
}

pub(crate) struct ThreadState {
    pub(crate) name: Option<String>,
    pub(crate) held: Vec<HeldLock>,
    /// Frames of the held locks, in stack order (each `HeldLock::frames` indexes into it).
    pub(crate) frames: Vec<usize>,
    pub(crate) chain_key: u64,
    /// Every class this thread used (the authority), behind `class_cache`.
    classes: FastMap<(ClassKey, u8), CachedClass>,
    /// A few recently used entries of `classes`, looked up without hashing: most threads
    /// cycle through a handful of classes.
    class_cache: [ClassCacheSlot; CLASS_CACHE_SLOTS],
    pub(crate) acquisitions: u64,
    pub(crate) chain_cache_hits: u64,
    pub(crate) max_depth: u64,
    /// Removed from the registry (thread_exit or reset): callers must look the thread up again.
    pub(crate) dead: bool,
}

impl ThreadState {
    pub(crate) fn new() -> ThreadState {
        ThreadState {
            name: None,
            held: Vec::new(),
            frames: Vec::new(),
            chain_key: INITIAL_CHAIN_KEY,
            classes: FastMap::default(),
            class_cache: [ClassCacheSlot::EMPTY; CLASS_CACHE_SLOTS],
            acquisitions: 0,
            chain_cache_hits: 0,
            max_depth: 0,
            dead: false,
        }
    }

    /// The class index of (`key`, `subclass`) if this thread has seen `usage_bit` set on it.
    #[inline(always)]
    pub(crate) fn cached_class(
        &mut self,
        key: ClassKey,
        subclass: u8,
        usage_bit: u8,
    ) -> Option<u32> {
        Some(self.class_slot_for(key, subclass, usage_bit)?.idx)
    }

    /// [`cached_class`](Self::cached_class), plus the chain key of pushing that class with
    /// read value `read` on a stack whose chain key is `prev` (lockdep's `iterate_chain_key`
    /// of `hlock_id`), remembered per class, and the remembered chain-cache epoch in which
    /// that key was found cached ([`NOT_CACHED`] if it was not), for the caller to check and
    /// update.
    #[inline(always)]
    pub(crate) fn cached_class_and_chain_key(
        &mut self,
        key: ClassKey,
        subclass: u8,
        usage_bit: u8,
        read: u8,
        prev: u64,
    ) -> Option<(u32, u64, &mut u64)> {
        let slot = self.class_slot_for(key, subclass, usage_bit)?;
        if slot.memo_read != read || slot.memo_prev != prev {
            slot.memo_read = read;
            slot.memo_prev = prev;
            slot.memo_key = iterate_chain_key(prev, hlock_id(slot.idx, read));
            slot.memo_epoch = NOT_CACHED;
        }
        Some((slot.idx, slot.memo_key, &mut slot.memo_epoch))
    }

    /// The class-cache slot holding (`key`, `subclass`) with `usage_bit` seen, filled from
    /// the class map if needed.
    #[inline(always)]
    fn class_slot_for(
        &mut self,
        key: ClassKey,
        subclass: u8,
        usage_bit: u8,
    ) -> Option<&mut ClassCacheSlot> {
        let h = (key.0 ^ u64::from(subclass)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let i = (h >> (64 - CLASS_CACHE_SLOTS.trailing_zeros())) as usize;
        let slot = &self.class_cache[i];
        if slot.key == key && slot.subclass == subclass && slot.usage_seen & usage_bit != 0 {
            return Some(&mut self.class_cache[i]);
        }
        self.fill_class_slot(i, key, subclass, usage_bit)
    }

    #[inline(never)]
    fn fill_class_slot(
        &mut self,
        i: usize,
        key: ClassKey,
        subclass: u8,
        usage_bit: u8,
    ) -> Option<&mut ClassCacheSlot> {
        let c = *self.classes.get(&(key, subclass))?;
        if c.usage_seen & usage_bit == 0 {
            return None;
        }
        let slot = self.class_cache.get_mut(i)?;
        *slot = ClassCacheSlot::new(key, subclass, c);
        Some(slot)
    }

    /// Records what this thread knows about (`key`, `subclass`) (the class map only: the
    /// class cache fills itself from the map on the next lookup).
    ///
    /// Only valid subclasses are remembered, which the acquisition fast path relies on.
    pub(crate) fn remember_class(&mut self, key: ClassKey, subclass: u8, class: CachedClass) {
        debug_assert!(subclass < crate::MAX_SUBCLASSES);
        self.classes.insert((key, subclass), class);
    }

    pub(crate) fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("thread")
    }

    pub(crate) fn frames_of(&self, h: &HeldLock) -> &[usize] {
        self.frames.get(h.frames.clone()).unwrap_or(&[])
    }

    /// Appends `frames` (at most [`MAX_TRACE_FRAMES`]) to the arena and returns their range.
    pub(crate) fn push_frames(&mut self, frames: &[usize]) -> Range<usize> {
        let start = self.frames.len();
        let n = frames.len().min(MAX_TRACE_FRAMES);
        self.frames.extend_from_slice(&frames[..n]);
        start..start + n
    }

    /// Pops the held entries from `index` up, returning them with their own frames, and
    /// truncates the arena to match.
    pub(crate) fn split_off(&mut self, index: usize) -> Vec<(HeldLock, Vec<usize>)> {
        let tail: Vec<HeldLock> = self.held.split_off(index);
        let out = tail
            .into_iter()
            .map(|h| {
                let f = self
                    .frames
                    .get(h.frames.clone())
                    .map(<[usize]>::to_vec)
                    .unwrap_or_default();
                (h, f)
            })
            .collect();
        let keep = self.held.last().map_or(0, |h| h.frames.end);
        self.frames.truncate(keep);
        out
    }

    /// Undoes the acquisition of `lock` that moved the stack from `depth` entries (a pushed
    /// entry is popped, a nest_lock merge loses its reference).
    pub(crate) fn undo_acquire(&mut self, depth: usize, lock: &LockInstance) {
        if self.held.len() == depth + 1 && self.held.last().is_some_and(|h| h.instance == *lock) {
            if let Some(h) = self.held.last() {
                self.chain_key = h.prev_chain_key;
            }
            self.pop();
        } else if self.held.len() == depth
            && let Some(top) = self.held.last_mut()
            && top.references > 1
        {
            top.references -= 1;
            if top.references == 1 {
                top.references = 0;
            }
        }
    }

    /// Removes the top entry and its frames.
    pub(crate) fn pop(&mut self) {
        if let Some(h) = self.held.pop() {
            self.frames.truncate(h.frames.start);
        }
    }
}
