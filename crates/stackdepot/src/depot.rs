//! The depot: save, fetch, growth, stats.
//!
//! # Memory-ordering protocol
//!
//! Everything a reader can reach is written once and never changed, so the
//! protocol is publication only; nothing is ever freed while the depot lives.
//!
//! 1. **Slab population.** Slabs live at fixed places in one reserved region; a
//!    thread that may map (a `MayAlloc` saver, `refill`, or the populator thread
//!    on a saver's request: `growth.rs` has that request's own small protocol)
//!    has the OS back the next few (zeroed), possibly long before use, then
//!    publishes the new count with a `Release` store. The bump
//!    cursor, which names the open slab, moves to slab `n` by a CAS (`AcqRel`) only
//!    after an `Acquire` load of that count showed `n` populated, so whoever
//!    allocates from a slab has observed its population.
//! 2. **Record write.** The bump allocator hands a word range to exactly one thread,
//!    which writes the frames with plain stores. No one else can name that
//!    range until step 3.
//! 3. **Publication**, under the shard's short spin lock, after re-probing the shard
//!    for an equal trace: first the record's end bit, then its start bit in the
//!    record-bit array (`fetch_or`, `Relaxed` then `Release`), then the index slot
//!    (`store`, `Release`).
//! 4. **Lookup** (lock-free): `Acquire` load of the shard's table pointer, `Acquire`
//!    loads of slots; a slot whose 32-bit key matches (hash bits and the exact frame
//!    count) names a record of that length whose writes happen-before that load
//!    (3), so its frames can be compared with plain loads.
//! 5. **Fetch** (lock-free, no read-modify-write): `Acquire` load of the record's
//!    start bit (its address follows from the handle alone), then its end bits; a
//!    set start bit means the slab was populated and the record completely written
//!    before (1, 3), so the returned slice — at an address the handle alone gives —
//!    is immutable for the depot's lifetime. A forged handle either names a published record or
//!    finds a clear bit and reads nothing else. A fetch never loads the record
//!    itself: the caller's first read of a frame is the first touch of its line.
//! 6. **Index growth**, under the shard lock: entries are copied into a table mapped
//!    beforehand, which is published with a `Release` store (pairs with 4). The old
//!    table stays mapped; its slot pages are released to the OS, so a reader still
//!    probing it sees zeros (empty slots: a miss), and every miss is re-checked
//!    under the lock (3) before a record is published. Hits are always exact
//!    because they compare frames.
//!
//! Exact dedup therefore rests on one fact: two saves of the same new trace
//! publish under the same shard lock, and the second re-probes and finds the first.

use core::hash::{BuildHasher, Hasher};

use std::sync::Arc;

use crate::budget::Budget;
use crate::config::page_size;
use crate::counters::{Counters, Outcome, Tally};
use crate::growth::Growth;
use crate::handle::WORD;
use crate::index::{Entry, Insert, Shard};
use crate::populator;
use crate::record_bits::RecordBits;
use crate::region::{CHUNK_BYTES, FIRST_WORD, Records, SlabRegion};
use crate::sync::{AtomicU64, Ordering};
use crate::{Alloc, Config, ConfigError, Handle, HandleLayout, SaveError, Stats};

/// Spins a no-wait save spends waiting for a shard lock before it reports
/// [`SaveError::Contended`]: long enough to outlast a holder that is running (the
/// critical section is a probe and a store), short enough not to wait out a
/// preempted one.
const NO_WAIT_SPINS: u32 = 1 << 10;

/// A growable, deduplicating store of stack traces, named by 32-bit [`Handle`]s.
///
/// `Send + Sync`: share it by reference or `Arc`. See the [crate docs](crate) for
/// the design and [`Config`] for sizing.
pub struct StackDepot {
    config: Config,
    layout: HandleLayout,
    slab_words: usize,
    shard_mask: usize,
    /// Low bits of an index key that hold the frame count (enough for `max_frames`).
    len_bits: u32,
    /// The region's base (a copy, so hot paths skip the shared `growth`).
    records: Records,
    record_bits: RecordBits,
    /// `(open slab index + 1) << 32 | next free word`; 0 in the high half: no slab
    /// opened yet. The high half is also the number of slabs opened.
    cursor: AtomicU64,
    shards: Arc<[Shard]>,
    /// The slab region and the budget, shared with the populator thread.
    growth: Arc<Growth>,
    /// Slabs the populator keeps backed beyond the reserve once the depot is large
    /// (0: populate on the saving thread only; see `request_population`).
    lookahead: usize,
    /// Whether the populator runs for this depot.
    background: bool,
    counters: Counters,
}

impl StackDepot {
    /// A depot with [`Config::default`]: 16 KiB slabs, 64 frames per trace, no cap,
    /// 4 reserve slabs, 5 caller bits.
    ///
    /// # Panics
    /// Only if the OS refuses the first few mappings (about 150 KiB); use
    /// [`with_config`](Self::with_config) to handle that as an error.
    pub fn new() -> StackDepot {
        match Self::with_config(Config::default()) {
            Ok(depot) => depot,
            Err(e) => panic!("cannot create a stack depot: {e}"),
        }
    }

    /// A depot with the given config, or why the config (or the first mapping) failed.
    pub fn with_config(config: Config) -> Result<StackDepot, ConfigError> {
        let layout = config.validate()?;
        let slab_words = config.slab_size / WORD;
        let max_slabs = match config.memory_cap {
            Some(cap) => layout.max_slabs().min(cap / config.slab_size),
            None => layout.max_slabs(),
        };
        let budget = Budget::new(config.memory_cap);
        // `max_frames < slab_words <= 2^31` (validated), so this is at most 31.
        let len_bits = usize::BITS - config.max_frames.leading_zeros();
        let cap = config.memory_cap.unwrap_or(0);
        let min = config.min_memory_cap();
        let map_err = |e: SaveError| match e {
            SaveError::MapFailed(kind) => ConfigError::Map(kind),
            _ => ConfigError::MemoryCap { cap, min },
        };
        let region = SlabRegion::new(
            max_slabs,
            config.slab_size,
            config.slab_charge(),
            config.reserve_slabs,
            config.huge_pages,
        )
        .map_err(|e| ConfigError::Map(e.kind()))?;
        // Covers every body of the region's slabs, rounded up to a power of two so
        // that a fetch masks a handle instead of checking bounds (address space;
        // only the pages of populated slabs are touched).
        let record_bits = RecordBits::new(region.slabs().next_power_of_two(), layout.offset_bits)
            .map_err(|e| ConfigError::Map(e.kind()))?;
        // The first page of the record bits; each slab charges its own bits
        // (`Config::slab_charge`).
        budget.charge(page_size()).map_err(map_err)?;
        let background = config.background_population && populator::start();
        // With the populator, and no cap that wants the bytes back at once, a
        // replaced index table's pages are returned by the populator, not by the
        // saver that grew the table (under the shard lock).
        let defer_release = background && config.memory_cap.is_none();
        let shards = (0..config.index_shards)
            .map(|_| Shard::new(config.initial_index_slots, len_bits, defer_release, &budget))
            .collect::<Result<Arc<[Shard]>, SaveError>>()
            .map_err(map_err)?;
        // Up to four chunks (8 MiB) ahead once the depot has grown: the populator
        // backs a chunk (512 page faults) while the saver fills those before it,
        // with room for the populator to be late (a busy machine). In slabs, at
        // least one (slabs of 2 MiB or more).
        let lookahead = if background && config.memory_cap.is_none() {
            (4 * CHUNK_BYTES / config.slab_size).max(1)
        } else {
            0
        };
        let depot = StackDepot {
            layout,
            slab_words,
            shard_mask: config.index_shards - 1,
            len_bits,
            records: region.records(),
            record_bits,
            cursor: AtomicU64::new(0),
            growth: Arc::new(Growth::new(region, budget, Arc::clone(&shards))),
            shards,
            lookahead,
            background,
            counters: Counters::new(),
            config,
        };
        depot.fill_reserve().map_err(map_err)?;
        Ok(depot)
    }

    /// The config this depot was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The bit layout of this depot's handles.
    pub fn layout(&self) -> HandleLayout {
        self.layout
    }

    /// Saves a trace (innermost frame first) and returns its handle; equal traces
    /// get equal handles. Same as [`save_with`](Self::save_with)`(frames, Alloc::MayAlloc)`.
    #[inline]
    pub fn save(&self, frames: &[usize]) -> Result<Handle, SaveError> {
        self.save_with(frames, Alloc::MayAlloc)
    }

    /// Saves a trace, mapping memory only if `alloc` allows it.
    ///
    /// A trace already stored is found without a lock and without writing anything
    /// shared but this thread's statistics counter. A new trace is copied into the
    /// open slab, then published under a short per-shard lock. A trace longer than
    /// [`Config::max_frames`] keeps its innermost frames (counted in
    /// [`Stats::truncated`]). With [`Alloc::NoWait`] nothing is mapped, the global
    /// allocator is not called and no lock is waited for.
    ///
    /// # Errors
    /// [`SaveError`]; each failure is counted in [`Stats`] and leaves every saved
    /// trace intact.
    #[inline]
    pub fn save_with(&self, frames: &[usize], alloc: Alloc) -> Result<Handle, SaveError> {
        if frames.is_empty() {
            return Err(self.fail(SaveError::Empty));
        }
        let frames = if frames.len() > self.config.max_frames {
            self.counters.tally(Tally::Truncated, 1);
            &frames[..self.config.max_frames]
        } else {
            frames
        };
        let hash = hash_frames(frames);
        let shard = &self.shards[hash as usize & self.shard_mask];
        let key = self.index_key(hash, frames.len());
        if let Some(body) = shard.lookup(key, |body| self.indexed_equals(body, frames)) {
            self.counters.outcome(Outcome::Hit);
            return Ok(self.handle(body));
        }
        self.insert(shard, key, frames, alloc)
    }

    /// The frames saved under `handle`, or `None` for a handle this depot never
    /// returned. Lock-free, no allocation, no atomic read-modify-write: a few loads
    /// of small, cache-resident metadata (the record's start and end bits) and a
    /// slice into the slab region — the record itself is not read
    /// until the caller reads it. The slice stays valid and unchanged for the
    /// depot's lifetime. Caller bits are ignored.
    ///
    /// A forged, stale or foreign handle yields `None` or some trace this depot
    /// saved; never undefined behaviour, never a panic.
    #[inline]
    pub fn fetch(&self, handle: Handle) -> Option<&[usize]> {
        // The record bits and the region are both indexed by the body (slab index and
        // offset read together as one number).
        let (body, len) = self.record_bits.published(handle.to_raw())?;
        // SAFETY: the Acquire load of the start bit synchronised with its Release
        // publication, which followed the slab's population, the complete write of
        // the record and its end bit (protocol 1, 3, 5); published records are
        // immutable and the region lives as long as `self`.
        Some(unsafe { self.records.record(body, len) })
    }

    /// Populates slabs until the no-wait reserve is full and pre-maps the next index
    /// table of every shard that is past half its growth point. Call it from a
    /// context that may map (not from an allocator hook or under your own locks),
    /// for example periodically, or after a no-wait save failed with
    /// [`SaveError::NoReserve`]. `MayAlloc` saves do the same for what they touch.
    ///
    /// # Errors
    /// [`SaveError::CapReached`] or [`SaveError::MapFailed`]; what was mapped stays.
    pub fn refill(&self) -> Result<(), SaveError> {
        self.fill_reserve()?;
        for shard in self.shards.iter() {
            shard.ensure_spare(&self.growth.budget)?;
        }
        Ok(())
    }

    /// `handle` with its caller bits set to `bits`, or `None` if `bits` does not fit
    /// in [`Config::caller_bits`]. The depot ignores these bits (like the kernel's
    /// `stack_depot_set_extra_bits`).
    pub fn with_caller_bits(&self, handle: Handle, bits: u32) -> Option<Handle> {
        let l = self.layout;
        if l.caller_bits == 0 {
            return (bits == 0).then_some(handle);
        }
        if bits >> l.caller_bits != 0 {
            return None;
        }
        Handle::from_raw((handle.to_raw() & l.body_mask()) | (bits << l.caller_shift()))
    }

    /// The caller bits of `handle`.
    pub fn caller_bits(&self, handle: Handle) -> u32 {
        let l = self.layout;
        if l.caller_bits == 0 {
            0
        } else {
            (handle.to_raw() & l.caller_mask()) >> l.caller_shift()
        }
    }

    /// A snapshot of the counters and sizes (see [`Stats`]).
    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        let slab_size = self.config.slab_size as u64;
        let (mut traces, mut frames, mut slots, mut index, mut spare, mut retired) =
            (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
        let mut retired_resident = 0u64;
        let (mut longest, mut probes) = (0u64, 0u64);
        for f in self.shards.iter().map(Shard::figures) {
            traces += f.len as u64;
            frames += f.frames as u64;
            slots += f.slots as u64;
            index += f.table_bytes as u64;
            spare += f.spare_bytes as u64;
            retired += f.retired_bytes as u64;
            retired_resident += f.retired_resident as u64;
            longest = longest.max(f.longest_probe as u64);
            probes += f.total_probe as u64;
        }
        let cursor = self.cursor.load(Ordering::Relaxed);
        let slabs = cursor >> 32;
        let free_tail = if slabs == 0 {
            0
        } else {
            (self.slab_words.saturating_sub(cursor as u32 as usize) * WORD) as u64
        };
        let ahead = (self.growth.region.populated() as u64).saturating_sub(slabs);
        let bits_per_slab = (self.config.slab_charge() - self.config.slab_size) as u64;
        // Record bits, as charged to the cap: their first page, plus each populated
        // slab's bits (resident pages are within a page of this).
        let metadata = page_size() as u64 + slabs * bits_per_slab;
        let reserve = ahead * self.config.slab_charge() as u64 + spare;
        let slab_bytes = slabs * slab_size;
        let hits = c.sum_outcome(Outcome::Hit);
        let lost = c.sum_outcome(Outcome::LostRace);
        // The budget's own count is exact: it is what the cap is charged with, and
        // equals the sum of the parts above whenever nothing is growing. While
        // something is, the parts are read one after another (a shard may grow and
        // refund its old table while another saver spends that on slabs), so the
        // sum could count both and pass the cap; the parts are clamped to it.
        let bytes_mapped = self.growth.budget.charged() as u64;
        let bytes_used =
            (slab_bytes - free_tail + index + retired_resident + metadata).min(bytes_mapped);
        Stats {
            traces,
            frames,
            bytes_mapped,
            bytes_used,
            bytes_in_reserve: reserve.min(bytes_mapped - bytes_used),
            bytes_index: index,
            bytes_index_retired: retired,
            bytes_wasted: c.sum_tally(Tally::WastedBytes),
            slabs,
            reserve_slabs: ahead,
            background_slabs: self.growth.background_slabs() as u64,
            background_failures: self.growth.background_failures() as u64,
            index_slots: slots,
            index_longest_probe: longest,
            index_probe_total: probes,
            // Every stored trace was one save that inserted it; every other save
            // counted exactly one outcome.
            saves: traces + c.sum_all_outcomes(),
            dedup_hits: hits + lost,
            lost_races: lost,
            truncated: c.sum_tally(Tally::Truncated),
            empty: c.sum_outcome(Outcome::Empty),
            no_reserve: c.sum_outcome(Outcome::NoReserve),
            cap_reached: c.sum_outcome(Outcome::CapReached),
            map_failed: c.sum_outcome(Outcome::MapFailed),
            contended: c.sum_outcome(Outcome::Contended),
            handle_space_exhausted: c.sum_outcome(Outcome::Exhausted),
        }
    }

    #[inline]
    fn handle(&self, body: u32) -> Handle {
        // Bodies are never 0: a record's word offset is at least `FIRST_WORD`.
        Handle::from_raw(body).unwrap_or_else(|| unreachable!("record bodies are non-zero"))
    }

    /// The index key of a trace: the top hash bits with the frame count in the low
    /// `len_bits` bits, so that equal keys imply equal lengths (see `index.rs`).
    #[inline]
    fn index_key(&self, hash: u64, len: usize) -> u32 {
        let len_mask = (1u32 << self.len_bits) - 1;
        ((hash >> 32) as u32 & !len_mask) | (len as u32 & len_mask)
    }

    /// Whether the indexed record `body`, whose key matched `frames`' key (so it
    /// has `frames.len()` frames), holds exactly `frames`.
    #[inline]
    fn indexed_equals(&self, body: u32, frames: &[usize]) -> bool {
        // SAFETY: `body` came from an index slot loaded with Acquire (or under the
        // shard lock), which synchronised with its Release store after the record was
        // written (protocol 3, 4); the slot's key holds the record's exact frame count
        // (`index_key`, `len <= max_frames < 2^len_bits`), which equals `frames.len()`
        // because the caller matched it.
        (unsafe { self.records.record(body, frames.len()) }) == frames
    }

    fn fail(&self, e: SaveError) -> SaveError {
        self.counters.outcome(match e {
            SaveError::Empty => Outcome::Empty,
            SaveError::NoReserve => Outcome::NoReserve,
            SaveError::CapReached => Outcome::CapReached,
            SaveError::HandleSpaceExhausted => Outcome::Exhausted,
            SaveError::MapFailed(_) => Outcome::MapFailed,
            SaveError::Contended => Outcome::Contended,
        });
        e
    }

    #[cold]
    #[inline(never)]
    fn insert(
        &self,
        shard: &Shard,
        key: u32,
        frames: &[usize],
        alloc: Alloc,
    ) -> Result<Handle, SaveError> {
        let need = frames.len();
        let (slab_index, word) = self.alloc_record(need, alloc).map_err(|e| self.fail(e))?;
        let body = self.layout.pack(slab_index, word);
        // SAFETY: `alloc_record` gave this thread `[word, word + need)` of a populated
        // slab alone; `need <= slab_words - FIRST_WORD` (max_frames was validated).
        unsafe { self.records.write_record(body, frames) };
        loop {
            let guard = match alloc {
                Alloc::MayAlloc => shard.lock(),
                Alloc::NoWait => match shard.try_lock_for(NO_WAIT_SPINS) {
                    Some(guard) => guard,
                    None => {
                        self.discard(slab_index, word, need);
                        return Err(self.fail(SaveError::Contended));
                    }
                },
            };
            let outcome = shard.insert(
                &guard,
                Entry {
                    key,
                    body,
                    frames: need,
                },
                |other| self.indexed_equals(other, frames),
                || self.record_bits.publish(body, body + need as u32 - 1),
                &self.growth.budget,
            );
            drop(guard);
            match outcome {
                Insert::Inserted => {
                    // Counted by the shard (entries and frames), under its lock.
                    self.keep_ahead(shard, alloc);
                    return Ok(self.handle(body));
                }
                Insert::Existing(existing) => {
                    self.discard(slab_index, word, need);
                    self.counters.outcome(Outcome::LostRace);
                    return Ok(self.handle(existing));
                }
                Insert::NeedsTable => {
                    let mapped = match alloc {
                        Alloc::NoWait => {
                            if self.populator_serves() {
                                self.request_table(shard);
                            }
                            Err(SaveError::NoReserve)
                        }
                        Alloc::MayAlloc => shard.ensure_spare(&self.growth.budget),
                    };
                    if let Err(e) = mapped {
                        self.discard(slab_index, word, need);
                        return Err(self.fail(e));
                    }
                }
            }
        }
    }

    /// Gives `need` words at `word` of slab `slab_index` back to the bump cursor if
    /// nothing was allocated after them, else counts them as waste. The record was
    /// never published, so no reader can reach it either way.
    fn discard(&self, slab_index: usize, word: usize, need: usize) {
        let open = ((slab_index as u64 + 1) << 32) | (word + need) as u64;
        if self
            .cursor
            .compare_exchange(
                open,
                open - need as u64,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_err()
        {
            self.counters
                .tally(Tally::WastedBytes, (need * WORD) as u64);
        }
    }

    /// Bump-allocates `need` words: `(slab index, first word)`.
    fn alloc_record(&self, need: usize, alloc: Alloc) -> Result<(usize, usize), SaveError> {
        loop {
            let cursor = self.cursor.load(Ordering::Acquire);
            let open = (cursor >> 32) as usize;
            let free = cursor as u32 as usize;
            if open > 0 && free + need <= self.slab_words {
                if self
                    .cursor
                    .compare_exchange_weak(
                        cursor,
                        cursor + need as u64,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    )
                    .is_ok()
                {
                    return Ok((open - 1, free));
                }
                continue;
            }
            // The open slab (if any) is too full: open slab number `open`.
            let region = &self.growth.region;
            if open >= region.slabs() {
                return Err(if open < self.layout.max_slabs() {
                    SaveError::CapReached
                } else {
                    SaveError::HandleSpaceExhausted
                });
            }
            if open >= region.populated() {
                match alloc {
                    Alloc::NoWait => {
                        self.request_population(open, alloc);
                        return Err(SaveError::NoReserve);
                    }
                    Alloc::MayAlloc => {
                        let want = self.reserve_target(open + 1);
                        if self.populator_serves() {
                            // The populator is most likely backing this very slab:
                            // wait for its next piece rather than for the mutex.
                            if !region.try_grow(open + 1, want, &self.growth.budget)? {
                                self.request_population(open, alloc);
                                crate::sync::yield_now();
                            }
                        } else {
                            region.grow(open + 1, want, &self.growth.budget)?;
                        }
                        continue;
                    }
                }
            }
            let next = ((open as u64 + 1) << 32) | (FIRST_WORD + need) as u64;
            if self
                .cursor
                .compare_exchange(cursor, next, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                if open > 0 {
                    self.counters
                        .tally(Tally::WastedBytes, ((self.slab_words - free) * WORD) as u64);
                }
                self.request_population(open + 1, alloc);
                return Ok((open, FIRST_WORD));
            }
        }
    }

    /// Slabs opened so far.
    fn opened(&self) -> usize {
        (self.cursor.load(Ordering::Relaxed) >> 32) as usize
    }

    /// Slabs to have populated once `opened` slabs are open: those, plus the
    /// reserve (slabs populated and not yet opened), as far as the region goes.
    fn reserve_target(&self, opened: usize) -> usize {
        (opened + self.config.reserve_slabs).min(self.growth.region.slabs())
    }

    /// After a slab was opened (`opened` are open now), or a save found none to
    /// open: asks the populator thread, if this depot uses it, for what a saver
    /// would otherwise have to populate itself. Small depots only ask on behalf of
    /// no-wait savers, for the reserve (`MayAlloc` saves refill it inline, see
    /// `keep_ahead`); once a depot has opened a quarter chunk of slabs (512 KiB),
    /// any saver asks it to stay ahead of the reserve by half as much as is open
    /// (at least a chunk, at most `lookahead`), so the page faults of growth happen on
    /// the populator's thread. Lock- and allocation-free.
    #[inline]
    fn request_population(&self, opened: usize, alloc: Alloc) {
        // At an exhausted cap the populator could only fail: no point waking it
        // for every refused no-wait save.
        if !self.populator_serves() || !self.growth.budget.has_room(self.config.slab_charge()) {
            return;
        }
        let reserve = self.reserve_target(opened);
        let populated = self.growth.region.populated();
        if self.lookahead > 0 && opened >= self.growth.region.chunk_slabs() / 4 {
            // Ahead by half as much as is open (at most 1.5 times the slabs in use
            // are populated), at least a chunk (the populator must outrun the saver
            // from the start: waking it and backing a chunk take about a
            // millisecond), at most `lookahead`.
            let ahead = (opened / 2)
                .max(self.growth.region.chunk_slabs())
                .min(self.lookahead);
            if populated < reserve + ahead / 2 {
                let target = (reserve + ahead).min(self.growth.region.slabs());
                populator::request(&self.growth, target);
            }
        } else if alloc == Alloc::NoWait && populated < reserve {
            populator::request(&self.growth, reserve);
        }
    }

    /// Populates slabs until [`Config::reserve_slabs`] are ready beyond the open one.
    fn fill_reserve(&self) -> Result<(), SaveError> {
        let want = self.reserve_target(self.opened());
        let region = &self.growth.region;
        if region.populated() >= want {
            return Ok(());
        }
        region.grow(want, want, &self.growth.budget)
    }

    /// Whether the populator thread serves this depot: it was asked to at
    /// construction and is running (not, for instance, in a child forked since).
    #[inline]
    fn populator_serves(&self) -> bool {
        self.background && populator::running()
    }

    /// Asks the populator for `shard`'s next index table (it maps every shard's
    /// that is due, and releases retired ones), unless the cap has no room for it.
    #[inline]
    fn request_table(&self, shard: &Shard) {
        if self.growth.budget.has_room(shard.next_table_bytes()) {
            populator::request(&self.growth, 0);
        }
    }

    /// After an insert: keep the reserve full and the shard's next table mapped, so
    /// that later no-wait saves find room, and return retired tables' pages. The
    /// populator does the index work when it serves the depot, on request; else a
    /// `MayAlloc` saver does it (a no-wait one does nothing). Failures here are not
    /// the save's failures; they show up when a save actually needs the memory.
    ///
    /// With the populator, a saver does not wait for a population in progress (the
    /// populator's, most likely: it is making that room) just to refill the
    /// reserve; it only waits when it needs a slab itself (`alloc_record`).
    fn keep_ahead(&self, shard: &Shard, alloc: Alloc) {
        let background = self.populator_serves();
        if background && (shard.wants_spare() || shard.has_unreleased()) {
            self.request_table(shard);
        }
        if alloc == Alloc::NoWait {
            return;
        }
        let want = self.reserve_target(self.opened());
        let region = &self.growth.region;
        if region.populated() < want {
            let _ = if background {
                region.try_grow(want, want, &self.growth.budget).map(drop)
            } else {
                region.grow(want, want, &self.growth.budget)
            };
        }
        if !background {
            // Also tables retired for a populator that is gone (a forked child).
            shard.release_retired(&self.growth.budget);
            if shard.wants_spare() {
                let _ = shard.ensure_spare(&self.growth.budget);
            }
        }
    }
}

impl Drop for StackDepot {
    fn drop(&mut self) {
        // The populator may still hold this growth (a queued request); it will skip it.
        self.growth.close();
    }
}

impl Default for StackDepot {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for StackDepot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = self.stats();
        f.debug_struct("StackDepot")
            .field("traces", &s.traces)
            .field("frames", &s.frames)
            .field("bytes_mapped", &s.bytes_mapped)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The 64-bit hash of a trace: foldhash over its bytes, with a fixed seed so
/// handles are reproducible run to run.
///
/// Not xxh3: on 192-byte traces (24 frames) `xxh3_64` costs about 288 instructions
/// against foldhash's 124 (`scripts/instructions.sh`), on a path whose remaining work is a probe
/// and a compare. Hash flooding is not a concern for return addresses, and a
/// collision costs a longer probe, never a wrong answer (frames are compared).
#[inline]
fn hash_frames(frames: &[usize]) -> u64 {
    // SAFETY: `usize` has no padding and any byte is a valid `u8`; the byte slice
    // covers exactly the frames' memory and borrows it for this call.
    let bytes = unsafe {
        core::slice::from_raw_parts(frames.as_ptr().cast::<u8>(), core::mem::size_of_val(frames))
    };
    let mut hasher = foldhash::fast::FixedState::with_seed(0x9747_b28c_9747_b28c).build_hasher();
    hasher.write(bytes);
    hasher.finish()
}

// The depot holds only atomics, OS mappings it owns and plain config; all shared
// mutation goes through the protocol above.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<StackDepot>();
};

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(i: usize, len: usize) -> Vec<usize> {
        (0..len).map(|f| 0xffff_0000 + i * 131 + f * 7).collect()
    }

    /// Stacks shaped like kernel ones: a few shared outer paths (syscall entry,
    /// worker loops), varied inner frames, lengths spread around `mean`.
    fn kernel_like(i: usize, mean: usize) -> Vec<usize> {
        let mut x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as usize
        };
        let len = mean - 6 + next() % 13;
        let outer = next() % 8;
        (0..len)
            .map(|f| {
                if f + 6 >= len {
                    0xffff_ffff_8100_0000 + outer * 0x1000 + f * 16
                } else {
                    0xffff_ffff_8200_0000 + (next() % 20_000) * 16
                }
            })
            .collect()
    }

    /// Issue requirement: on the RFC's overflow point (22 080 traces of ~20.7
    /// frames) the bytes used, index included, stay within 1.15x of lockdep's packed
    /// array (8 bytes per frame + 24 per trace).
    #[test]
    #[cfg_attr(miri, ignore = "22k traces are too slow under Miri")]
    fn rfc_workload_memory_within_bound_of_lockdep_array() {
        let depot = StackDepot::new();
        let mut lockdep_bytes = 0u64;
        for i in 0..22_080 {
            let t = kernel_like(i, 21);
            depot.save(&t).unwrap();
            lockdep_bytes += 24 + 8 * t.len() as u64;
        }
        let s = depot.stats();
        assert_eq!(s.traces, 22_080);
        let ratio = s.bytes_used as f64 / lockdep_bytes as f64;
        assert!(ratio <= 1.15, "depot uses {ratio:.3}x lockdep's array: {s}");
        assert!(
            s.bytes_wasted * 50 < s.bytes_used,
            "slab-boundary waste over 2%: {s}"
        );
    }

    /// The index has no fixed size: it doubles before 80 % load, so a lookup stays
    /// within a few slots as the depot grows (`examples/probe_lengths.rs` goes to 10^7).
    #[test]
    #[cfg_attr(miri, ignore = "10^5 saves are too slow under Miri")]
    fn probes_stay_short_as_the_index_grows() {
        let depot = StackDepot::new();
        for n in [1_000usize, 10_000, 100_000] {
            for i in depot.stats().traces as usize..n {
                depot.save(&trace(i, 8)).unwrap();
            }
            let s = depot.stats();
            assert_eq!(s.traces, n as u64);
            assert!(
                s.traces * 5 <= s.index_slots * 4,
                "index over 80 % full: {s}"
            );
            assert!(
                s.mean_probe() < 3.0,
                "mean probe {:.2} at {n} traces",
                s.mean_probe()
            );
        }
    }

    #[test]
    fn saves_dedups_and_fetches_across_growth() {
        let depot = StackDepot::with_config(Config::tiny()).unwrap();
        let mut handles = Vec::new();
        for i in 0..if cfg!(miri) { 200 } else { 3000 } {
            let t = trace(i, 1 + i % 16);
            let h = depot.save(&t).unwrap();
            handles.push((h, t));
        }
        for (h, t) in &handles {
            assert_eq!(depot.fetch(*h), Some(&t[..]));
            assert_eq!(depot.save(t).unwrap(), *h);
        }
        let s = depot.stats();
        assert_eq!(s.traces, handles.len() as u64);
        assert_eq!(s.dedup_hits, handles.len() as u64);
        assert!(s.slabs > 2, "{s}");
        assert!(s.index_slots >= handles.len() as u64, "{s}");
        assert!(s.bytes_index_retired > 0, "index tables were replaced: {s}");
    }

    /// Small enough for Miri, whose data-race detector then checks the protocol on
    /// the real code (slab growth, index growth, lost races, fetch during inserts).
    #[test]
    fn concurrent_saves_agree_and_fetch_exactly() {
        let depot = StackDepot::with_config(Config::tiny()).unwrap();
        let n = if cfg!(miri) { 40 } else { 2000 };
        let results: Vec<Vec<(usize, Handle)>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..2)
                .map(|t| {
                    let depot = &depot;
                    s.spawn(move || {
                        (0..n)
                            .map(|k| {
                                let i = if t == 0 { k } else { n - 1 - k };
                                let h = depot
                                    .save_with(&trace(i, 1 + i % 16), Alloc::MayAlloc)
                                    .unwrap();
                                assert_eq!(depot.fetch(h), Some(&trace(i, 1 + i % 16)[..]));
                                (i, h)
                            })
                            .collect()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut by_trace = std::collections::HashMap::new();
        for (i, h) in results.into_iter().flatten() {
            assert_eq!(
                *by_trace.entry(i).or_insert(h),
                h,
                "trace {i} got two handles"
            );
        }
        assert_eq!(depot.stats().traces, n as u64);
    }

    /// Records longer than 64 frames end beyond the fetch's two-word window and
    /// take the slow path; lengths on both sides of it fetch exactly.
    #[test]
    fn traces_longer_than_the_bit_window_fetch_exactly() {
        let depot = StackDepot::with_config(Config::default().max_frames(300)).unwrap();
        let lens: Vec<usize> = (1..=300).step_by(if cfg!(miri) { 61 } else { 7 }).collect();
        let handles: Vec<_> = lens
            .iter()
            .map(|&n| depot.save(&trace(n, n)).unwrap())
            .collect();
        for (&n, &h) in lens.iter().zip(&handles) {
            assert_eq!(depot.fetch(h), Some(&trace(n, n)[..]), "{n} frames");
            assert_eq!(depot.save(&trace(n, n)), Ok(h), "{n} frames dedup");
        }
    }

    #[test]
    fn no_wait_uses_reserve_then_fails_then_refill_helps() {
        let depot = StackDepot::with_config(Config::tiny()).unwrap();
        let mut i = 0;
        let err = loop {
            match depot.save_with(&trace(i, 16), Alloc::NoWait) {
                Ok(_) => i += 1,
                Err(e) => break e,
            }
        };
        assert_eq!(err, SaveError::NoReserve);
        assert!(i > 0);
        depot.refill().unwrap();
        depot.save_with(&trace(i, 16), Alloc::NoWait).unwrap();
    }
}
