//! The dedup index: per shard, an open-addressing table of 64-bit slots.
//!
//! ```text
//!  slot (u64):  ┌──────────────────────────────────────┬───────────────────────────┐
//!               │ key: hash bits      │ frame count    │ handle body (slab|offset) │  0 = empty
//!               │ (32 - len_bits)     │ (len_bits)     │                           │
//!               └──────────────────────────────────────┴───────────────────────────┘
//!  table:  ┌──────────── header page ─────────────┬───────── slot pages ─────────┐
//!          │ stash │ retired link │ log2(slots) │ slots…                     …     │
//!          └──────────────────────────────────────┴──────────────────────────────┘
//! ```
//!
//! The 32-bit key is made by the depot: hash bits above, the trace's exact frame
//! count in the low `len_bits` bits (7 for the default 64 frames). Its hash bits
//! pick the home slot (`(key >> len_bits) & mask`, linear probing) and, with the
//! frame count, filter candidates: a probe touches a record only when 25 hash bits
//! and the length agree, so a hit compares frames straight away, without first
//! loading the record's length from anywhere. A table can be rehashed into a
//! larger one from its slots alone. Shards are chosen by the hash's low bits.
//!
//! Growth: a shard's table doubles when it passes 80 % full. The larger table is
//! mapped *before* it is needed, outside the lock (by the populator thread, a `MayAlloc` save or
//! `refill`), its pages backed at once so the copy never page-faults under the
//! lock, and kept as the shard's spare; under the lock the entries are copied
//! into it and it is published with one `Release` store. The old table is retired:
//! it stays mapped (a lock-free reader may still be probing it) but its slot pages
//! are returned to the OS (by the populator thread when it serves the depot, so
//! that the system call and its TLB shootdown stay out of the lock; else at once),
//! so such a reader sees empty slots, reports a miss and
//! takes the locked path, which re-probes the current table. Without a spare a
//! shard keeps accepting inserts up to 15/16 full, then asks for one.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use crate::budget::Budget;
use crate::mapping;
use crate::spin_lock::{SpinGuard, SpinLock};
use crate::{SaveError, config::page_size};

const HEADER_BYTES: usize = 64;
const RETIRED_LINK: usize = 16;
const LOG2_AT: usize = 24;
/// Nonzero once a retired table's slot pages were returned to the OS.
const RELEASED_AT: usize = 32;

/// A mapped table; the header page is never released, so `log2` stays readable
/// for as long as the depot lives, even after the table is retired.
#[derive(Clone, Copy)]
pub(crate) struct Table(NonNull<u8>);

impl Table {
    pub(crate) fn bytes_for(log2: u32) -> usize {
        (HEADER_BYTES + (8usize << log2)).next_multiple_of(page_size())
    }

    fn map(log2: u32, budget: &Budget) -> Result<Table, SaveError> {
        let bytes = Self::bytes_for(log2);
        budget.charge(bytes)?;
        match mapping::map_zeroed(bytes) {
            Ok(base) => {
                // SAFETY: fresh private mapping of `bytes >= HEADER_BYTES`; the log2
                // field is inside the header and 8-aligned.
                unsafe {
                    base.as_ptr()
                        .add(LOG2_AT)
                        .cast::<usize>()
                        .write(log2 as usize)
                };
                Ok(Table(base))
            }
            Err(e) => {
                budget.refund(bytes);
                Err(SaveError::MapFailed(e.kind()))
            }
        }
    }

    fn from_ptr(p: *mut u8) -> Option<Table> {
        NonNull::new(p).map(Table)
    }

    #[inline]
    fn log2(self) -> u32 {
        // SAFETY: written before the table was published (Release) and never changed;
        // every path to a Table went through an Acquire load or the shard lock.
        unsafe { self.0.as_ptr().add(LOG2_AT).cast::<usize>().read() as u32 }
    }

    #[inline]
    fn slots<'a>(self) -> &'a [AtomicU64] {
        // SAFETY: the slots follow the header inside the mapping, are 8-aligned, are
        // only accessed atomically, and the mapping lives as long as the depot.
        unsafe {
            core::slice::from_raw_parts(
                self.0.as_ptr().add(HEADER_BYTES).cast::<AtomicU64>(),
                1 << self.log2(),
            )
        }
    }

    fn retired_link<'a>(self) -> &'a AtomicPtr<u8> {
        // SAFETY: inside the never-released header page, 8-aligned, atomic access only.
        unsafe { &*self.0.as_ptr().add(RETIRED_LINK).cast::<AtomicPtr<u8>>() }
    }

    fn released<'a>(self) -> &'a AtomicUsize {
        // SAFETY: inside the never-released header page, 8-aligned, atomic access only.
        unsafe { &*self.0.as_ptr().add(RELEASED_AT).cast::<AtomicUsize>() }
    }
}

/// Entries may fill a table to 80 % before it grows…
fn grow_at(cap: usize) -> usize {
    cap - (cap / 5).max(1)
}
/// …and to 15/16 while no larger table is at hand.
/// (Always leaving one slot empty, which is what ends every probe.)
fn hard_max(cap: usize) -> usize {
    cap - (cap / 16).max(1)
}

/// A record to index: its key (see the module docs), handle body and frame count.
pub(crate) struct Entry {
    pub(crate) key: u32,
    pub(crate) body: u32,
    pub(crate) frames: usize,
}

/// What a locked insert found.
pub(crate) enum Insert {
    /// Our record is now in the index.
    Inserted,
    /// An equal trace was already indexed; here is its body.
    Existing(u32),
    /// The table is full and no larger one is mapped.
    NeedsTable,
}

#[repr(align(128))]
pub(crate) struct Shard {
    /// Low key bits that are not hash bits (the frame count), skipped for the home slot.
    len_bits: u32,
    /// Leave a replaced table's pages to [`release_retired`](Self::release_retired)
    /// (the populator thread) instead of returning them under the lock.
    defer_release: bool,
    lock: SpinLock,
    table: AtomicPtr<u8>,
    spare: AtomicPtr<u8>,
    retired: AtomicPtr<u8>,
    /// Entries, and frames in their records. Written only under `lock`, with plain
    /// load-and-store (a locked read-modify-write would wait for the record's
    /// stores to drain: measured as a fifth of an insert's own time); read
    /// `Relaxed` by `stats` and the growth checks.
    len: AtomicUsize,
    frames: AtomicUsize,
    retired_bytes: AtomicUsize,
    /// Of those, still resident and charged to the cap: every retired table's
    /// header page, and the whole of a table whose pages are not released yet.
    retired_resident: AtomicUsize,
    /// A retired table waits for `release_retired` (deferred release only).
    pending_release: AtomicBool,
}

/// Byte and slot figures of one shard, for `Stats`.
#[derive(Default)]
pub(crate) struct ShardFigures {
    pub(crate) len: usize,
    pub(crate) frames: usize,
    pub(crate) slots: usize,
    pub(crate) table_bytes: usize,
    pub(crate) spare_bytes: usize,
    pub(crate) retired_bytes: usize,
    pub(crate) retired_resident: usize,
    /// Longest probe a lookup of a stored trace needs now (slots visited).
    pub(crate) longest_probe: usize,
    /// Sum over stored traces of the slots a lookup visits.
    pub(crate) total_probe: usize,
}

#[inline]
fn slot_value(key: u32, body: u32) -> u64 {
    ((key as u64) << 32) | body as u64
}

impl Shard {
    pub(crate) fn new(
        initial_slots: usize,
        len_bits: u32,
        defer_release: bool,
        budget: &Budget,
    ) -> Result<Shard, SaveError> {
        let table = Table::map(initial_slots.trailing_zeros(), budget)?;
        Ok(Shard {
            len_bits,
            defer_release,
            lock: SpinLock::new(),
            table: AtomicPtr::new(table.0.as_ptr()),
            spare: AtomicPtr::new(core::ptr::null_mut()),
            retired: AtomicPtr::new(core::ptr::null_mut()),
            len: AtomicUsize::new(0),
            frames: AtomicUsize::new(0),
            retired_bytes: AtomicUsize::new(0),
            retired_resident: AtomicUsize::new(0),
            pending_release: AtomicBool::new(false),
        })
    }

    /// The home slot of `key` in a table of `mask + 1` slots.
    #[inline]
    fn home(&self, key: u32, mask: usize) -> usize {
        (key >> self.len_bits) as usize & mask
    }

    #[inline]
    fn current(&self) -> Table {
        // Acquire: pairs with the Release publication in `grow`, making the
        // header and every copied slot visible.
        Table::from_ptr(self.table.load(Ordering::Acquire)).expect("a shard always has a table")
    }

    /// Lock-free lookup. `equal(body)` compares the record named by `body` with the
    /// trace being saved. A `None` may be stale (the table was being replaced); the
    /// caller confirms it under the lock with [`insert`](Self::insert).
    #[inline]
    pub(crate) fn lookup(&self, key: u32, mut equal: impl FnMut(u32) -> bool) -> Option<u32> {
        let table = self.current();
        let slots = table.slots();
        let mask = slots.len() - 1;
        let mut i = self.home(key, mask);
        for _ in 0..slots.len() {
            // Acquire: pairs with the Release store in `insert`, so the record the
            // slot names is completely written before we compare it.
            let v = slots[i].load(Ordering::Acquire);
            if v == 0 {
                return None;
            }
            if (v >> 32) as u32 == key && equal(v as u32) {
                return Some(v as u32);
            }
            i = (i + 1) & mask;
        }
        None
    }

    pub(crate) fn lock(&self) -> SpinGuard<'_> {
        self.lock.lock()
    }

    pub(crate) fn try_lock_for(&self, spins: u32) -> Option<SpinGuard<'_>> {
        self.lock.try_lock_for(spins)
    }

    /// Inserts `entry` unless an equal trace is indexed. Runs under this shard's
    /// lock (`_guard`). `publish` runs just before the slot store, so the record's
    /// bits are set before the index names it.
    pub(crate) fn insert(
        &self,
        _guard: &SpinGuard<'_>,
        entry: Entry,
        mut equal: impl FnMut(u32) -> bool,
        publish: impl FnOnce(),
        budget: &Budget,
    ) -> Insert {
        let Entry { key, body, frames } = entry;
        let mut table = self.current();
        let slot = loop {
            let slots = table.slots();
            let mask = slots.len() - 1;
            let mut i = self.home(key, mask);
            // Relaxed is enough under the lock: every other writer stored before
            // releasing it, and our Acquire of the lock made that visible.
            let found = loop {
                let v = slots[i].load(Ordering::Relaxed);
                if v == 0 {
                    break None;
                }
                if (v >> 32) as u32 == key && equal(v as u32) {
                    break Some(v as u32);
                }
                i = (i + 1) & mask;
            };
            if let Some(existing) = found {
                return Insert::Existing(existing);
            }
            let len = self.len.load(Ordering::Relaxed);
            if len < grow_at(slots.len()) {
                break &slots[i];
            }
            if self.grow(table, budget) {
                table = self.current();
                continue;
            }
            if len < hard_max(slots.len()) {
                break &slots[i];
            }
            return Insert::NeedsTable;
        };
        publish();
        // Release: the record and its record bits happen-before any reader that
        // sees this slot.
        slot.store(slot_value(key, body), Ordering::Release);
        // Under the lock: no other writer (see the fields).
        self.len
            .store(self.len.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        self.frames.store(
            self.frames.load(Ordering::Relaxed) + frames,
            Ordering::Relaxed,
        );
        Insert::Inserted
    }

    /// Rehashes into the spare table, if one of the right size is mapped. Under the lock.
    fn grow(&self, old: Table, budget: &Budget) -> bool {
        let Some(new) = Table::from_ptr(self.spare.swap(core::ptr::null_mut(), Ordering::Acquire))
        else {
            return false;
        };
        if new.log2() <= old.log2() {
            // A spare mapped for an earlier, smaller table: useless now. Retired, not
            // unmapped: `figures` (stats) may be reading its header through the
            // spare pointer it loaded without the lock; and no munmap under the lock.
            self.retire(new, budget);
            return false;
        }
        let new_slots = new.slots();
        let new_mask = new_slots.len() - 1;
        for v in old
            .slots()
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .filter(|&v| v != 0)
        {
            let mut i = self.home((v >> 32) as u32, new_mask);
            while new_slots[i].load(Ordering::Relaxed) != 0 {
                i = (i + 1) & new_mask;
            }
            new_slots[i].store(v, Ordering::Relaxed);
        }
        // Release: publishes the copied slots with the table.
        self.table.store(new.0.as_ptr(), Ordering::Release);
        self.retire(old, budget);
        true
    }

    /// Puts a replaced table on the retired list (under the lock) and returns its
    /// slot pages to the OS now, or leaves that to `release_retired`.
    fn retire(&self, old: Table, budget: &Budget) {
        old.retired_link()
            .store(self.retired.load(Ordering::Relaxed), Ordering::Relaxed);
        // Release: `release_retired` walks the list without the lock.
        self.retired.store(old.0.as_ptr(), Ordering::Release);
        let bytes = Table::bytes_for(old.log2());
        self.retired_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.retired_resident.fetch_add(bytes, Ordering::Relaxed);
        if self.defer_release {
            // Release: a `release_retired` that swaps this off sees the table above.
            self.pending_release.store(true, Ordering::Release);
        } else {
            self.release(old, budget);
        }
    }

    /// Whether a retired table still waits for `release_retired`.
    #[inline]
    pub(crate) fn has_unreleased(&self) -> bool {
        self.pending_release.load(Ordering::Relaxed)
    }

    /// Returns the slot pages of retired tables to the OS: a syscall and a TLB
    /// shootdown that the populator thread takes off the saver that grew the table.
    /// Newest first; stops at the first table already released (older ones were
    /// released before it). Any thread, no lock.
    pub(crate) fn release_retired(&self, budget: &Budget) {
        // Cleared before the walk, with a read-modify-write: a table retired after
        // this sets the flag again (and is asked for again); one retired before it
        // is visible to the walk (its Release store was read here).
        if !self.pending_release.load(Ordering::Relaxed)
            || !self.pending_release.swap(false, Ordering::AcqRel)
        {
            return;
        }
        // Acquire: pairs with `retire`'s Release, so each table's link is visible.
        let mut next = Table::from_ptr(self.retired.load(Ordering::Acquire));
        while let Some(table) = next {
            if table.released().load(Ordering::Relaxed) != 0 {
                break;
            }
            next = Table::from_ptr(table.retired_link().load(Ordering::Relaxed));
            self.release(table, budget);
        }
    }

    /// Releases one retired table's slot pages, once. Its header page stays (and
    /// stays charged): readers may still load the table's size from it.
    fn release(&self, table: Table, budget: &Budget) {
        if table.released().swap(1, Ordering::Relaxed) != 0 {
            return;
        }
        let bytes = Table::bytes_for(table.log2());
        let page = page_size();
        // SAFETY: the table is mapped until the depot drops; every access to its
        // slots is atomic (lookups and inserts above); the header page is kept.
        unsafe { mapping::release_pages(table.0, page, bytes - page) };
        budget.refund(bytes - page);
        self.retired_resident
            .fetch_sub(bytes - page, Ordering::Relaxed);
    }

    /// Maps the next table if this shard is past half its growth point and has no
    /// spare. Called without the lock, only by callers that may map.
    pub(crate) fn ensure_spare(&self, budget: &Budget) -> Result<(), SaveError> {
        let table = self.current();
        let cap = 1usize << table.log2();
        if self.len.load(Ordering::Relaxed) < grow_at(cap) / 2
            || !self.spare.load(Ordering::Relaxed).is_null()
        {
            return Ok(());
        }
        let spare = Table::map(table.log2() + 1, budget)?;
        if self
            .spare
            .compare_exchange(
                core::ptr::null_mut(),
                spare.0.as_ptr(),
                Ordering::Release,
                Ordering::Relaxed,
            )
            .is_err()
        {
            let bytes = Table::bytes_for(spare.log2());
            // SAFETY: never published; we own it. Nothing reads it after this.
            unsafe { mapping::unmap(spare.0) };
            budget.refund(bytes);
        }
        Ok(())
    }

    /// Bytes the next table of this shard will map.
    pub(crate) fn next_table_bytes(&self) -> usize {
        Table::bytes_for(self.current().log2() + 1)
    }

    /// Whether an insert now could need a table this shard does not have.
    pub(crate) fn wants_spare(&self) -> bool {
        let cap = 1usize << self.current().log2();
        self.len.load(Ordering::Relaxed) >= grow_at(cap) / 2
            && self.spare.load(Ordering::Relaxed).is_null()
    }

    /// Sizes and probe lengths; scans the live table (O(slots), for `stats`).
    pub(crate) fn figures(&self) -> ShardFigures {
        let table = self.current();
        let slots = table.slots();
        let mask = slots.len() - 1;
        let (mut longest_probe, mut total_probe) = (0, 0);
        for (i, v) in slots.iter().map(|s| s.load(Ordering::Relaxed)).enumerate() {
            if v != 0 {
                let probe = (i.wrapping_sub(self.home((v >> 32) as u32, mask)) & mask) + 1;
                longest_probe = longest_probe.max(probe);
                total_probe += probe;
            }
        }
        let spare = Table::from_ptr(self.spare.load(Ordering::Acquire));
        ShardFigures {
            len: self.len.load(Ordering::Relaxed),
            frames: self.frames.load(Ordering::Relaxed),
            slots: 1 << table.log2(),
            table_bytes: Table::bytes_for(table.log2()),
            spare_bytes: spare.map_or(0, |s| Table::bytes_for(s.log2())),
            retired_bytes: self.retired_bytes.load(Ordering::Relaxed),
            retired_resident: self.retired_resident.load(Ordering::Relaxed),
            longest_probe,
            total_probe,
        }
    }
}

impl Drop for Shard {
    fn drop(&mut self) {
        let tables = [
            self.table.load(Ordering::Acquire),
            self.spare.load(Ordering::Acquire),
        ];
        for t in tables.into_iter().filter_map(Table::from_ptr) {
            // SAFETY: `&mut self`: no reader or writer remains; each table is unmapped once.
            unsafe { mapping::unmap(t.0) };
        }
        let mut next = Table::from_ptr(self.retired.load(Ordering::Acquire));
        while let Some(t) = next {
            next = Table::from_ptr(t.retired_link().load(Ordering::Relaxed));
            // SAFETY: as above; the link was read before unmapping.
            unsafe { mapping::unmap(t.0) };
        }
    }
}
