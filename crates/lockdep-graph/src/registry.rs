//! Thread keys to per-thread state, without a global lock on the hot path.
//!
//! The map is sharded (a `parking_lot::RwLock` per shard, written only when a thread key is
//! first seen, exits, or on reset). In front of it each OS thread keeps a one-entry cache
//! (thread-local) of the last slot it used, tagged with a value unique to the validator and
//! its reset generation, so the common case — an OS thread reporting its own events to one
//! validator — touches no shared lock and no reference count: one TLS read, one comparison
//! of tag and thread key, and the slot's own mutex, which only that thread normally takes.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};

use crate::ThreadKey;
use crate::fast_hash::FastMap;
use crate::held::ThreadState;

const SHARDS: usize = 16;

/// Aligned to two cache lines so that two threads' slots (each written on every event by its
/// own thread) never share a line.
#[repr(align(128))]
pub(crate) struct ThreadSlot {
    pub(crate) state: Mutex<ThreadState>,
}

struct CacheEntry {
    tag: u64,
    thread: ThreadKey,
    slot: Arc<ThreadSlot>,
}

thread_local! {
    static LAST_SLOT: RefCell<Option<CacheEntry>> = const { RefCell::new(None) };
}

/// One shard of the map.
type Shard = RwLock<FastMap<ThreadKey, Arc<ThreadSlot>>>;

/// Source of registry tags: every registry, and every generation of it, gets a fresh value,
/// so one comparison tells whether a cached slot belongs to this registry's current
/// generation (a 64-bit counter does not wrap).
static NEXT_TAG: AtomicU64 = AtomicU64::new(1);

pub(crate) struct Registry {
    /// This registry's current generation, from [`NEXT_TAG`]; replaced by `clear`.
    tag: AtomicU64,
    shards: Box<[Shard]>,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            tag: AtomicU64::new(NEXT_TAG.fetch_add(1, Ordering::Relaxed)),
            shards: (0..SHARDS)
                .map(|_| RwLock::new(FastMap::default()))
                .collect(),
        }
    }

    fn shard(&self, thread: ThreadKey) -> &Shard {
        let h = thread.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 60;
        &self.shards[h as usize % SHARDS]
    }

    /// Runs `run` on the slot this OS thread used last, if it is `thread`'s slot in this
    /// registry's current generation — without touching any shared lock or reference count. `None`
    /// if the cache does not apply or `run` declines (returns `None`). Generic rather than
    /// `dyn` so that the hot path inlines into the caller.
    #[inline]
    pub(crate) fn with_cached<R>(
        &self,
        thread: ThreadKey,
        run: impl FnOnce(&ThreadSlot) -> Option<R>,
    ) -> Option<R> {
        let tag = self.tag.load(Ordering::Acquire);
        LAST_SLOT
            .try_with(|c| {
                // A shared borrow: a re-entrant call on this thread can borrow again.
                let c = c.try_borrow().ok()?;
                let e = c.as_ref()?;
                if e.tag == tag && e.thread == thread {
                    run(&e.slot)
                } else {
                    None
                }
            })
            .ok()
            .flatten()
    }

    /// The slot of `thread` from the map (created if `create`), remembered in this OS
    /// thread's cache. The slot may have been retired by a concurrent exit/reset; callers
    /// check `state.dead` after locking and retry.
    pub(crate) fn slot(&self, thread: ThreadKey, create: bool) -> Option<Arc<ThreadSlot>> {
        let tag = self.tag.load(Ordering::Acquire);
        let slot = self.lookup(thread, create)?;
        let _ = LAST_SLOT.try_with(|c| {
            // Fails while a cached slot is in use further up this thread's stack (re-entrant
            // call): then the cache is simply not updated.
            if let Ok(mut c) = c.try_borrow_mut() {
                *c = Some(CacheEntry {
                    tag,
                    thread,
                    slot: slot.clone(),
                });
            }
        });
        Some(slot)
    }

    fn lookup(&self, thread: ThreadKey, create: bool) -> Option<Arc<ThreadSlot>> {
        let shard = self.shard(thread);
        if let Some(slot) = shard.read().get(&thread) {
            return Some(slot.clone());
        }
        if !create {
            return None;
        }
        let mut w = shard.write();
        Some(
            w.entry(thread)
                .or_insert_with(|| {
                    Arc::new(ThreadSlot {
                        state: Mutex::new(ThreadState::new()),
                    })
                })
                .clone(),
        )
    }

    /// Removes `thread`; the caller marks the removed slot dead.
    pub(crate) fn remove(&self, thread: ThreadKey) -> Option<Arc<ThreadSlot>> {
        self.shard(thread).write().remove(&thread)
    }

    /// Every live slot (a snapshot).
    pub(crate) fn all(&self) -> Vec<(ThreadKey, Arc<ThreadSlot>)> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            out.extend(shard.read().iter().map(|(k, v)| (*k, v.clone())));
        }
        out
    }

    /// Drops every slot and invalidates the thread-local caches pointing at them.
    pub(crate) fn clear(&self) -> Vec<Arc<ThreadSlot>> {
        self.tag
            .store(NEXT_TAG.fetch_add(1, Ordering::Relaxed), Ordering::Release);
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            out.extend(shard.write().drain().map(|(_, v)| v));
        }
        out
    }
}
