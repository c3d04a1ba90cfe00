//! Depot configuration and its validation.

use core::fmt;

use crate::handle::{HandleLayout, WORD};
use crate::index::Table;
use crate::region::FIRST_WORD;

/// How a [`StackDepot`](crate::StackDepot) is sized.
///
/// Every field has a production default ([`Config::default`]); the builder methods
/// return the changed config, and [`StackDepot::with_config`](crate::StackDepot::with_config)
/// rejects an invalid one with a [`ConfigError`] (never a panic).
///
/// ```
/// use stackdepot::{Config, StackDepot};
/// let depot = StackDepot::with_config(
///     Config::default().slab_size(64 * 1024).max_frames(128).memory_cap(Some(256 << 20)),
/// ).unwrap();
/// assert_eq!(depot.config().max_frames, 128);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Bytes per slab: a power of two and a multiple of the OS page size.
    /// Default 16 KiB, the kernel's 4-page pool.
    pub slab_size: usize,
    /// Longest trace stored; a longer one keeps its innermost `max_frames` frames
    /// and is counted in [`Stats::truncated`](crate::Stats::truncated). Default 64.
    pub max_frames: usize,
    /// Upper bound on the bytes the depot maps (slabs, index tables, record bits,
    /// reserve). `None`: bounded only by what a handle can address.
    pub memory_cap: Option<usize>,
    /// Slabs kept mapped ahead of need for [`Alloc::NoWait`](crate::Alloc::NoWait) callers. Default 4.
    pub reserve_slabs: usize,
    /// High handle bits left to the caller and ignored by the depot. Default 5 (the kernel's).
    pub caller_bits: u32,
    /// Independent dedup-index shards (a power of two, 1..=256). Default 16.
    pub index_shards: usize,
    /// Slots of each shard's first index table (a power of two, at least 8). Default 256 (one page).
    pub initial_index_slots: usize,
    /// Ask the OS for transparent huge pages for the slab region's whole 2 MiB
    /// chunks (see the [`implementation`](crate::implementation) notes, "Memory").
    /// When the kernel has a warm huge page at hand, growth is cheaper (one page
    /// fault per 2 MiB instead of 512, and fewer TLB misses); when it must compact
    /// memory, or, in a VM, have the host back a block it reclaimed, backing a chunk
    /// takes milliseconds, and a saver that catches up with the populator waits for
    /// it (0.70–0.78× the hand-written store's time per insert at 200k traces in
    /// the last reports, against 0.20–0.25× with 4 KiB pages; 0.20–0.22× when warm,
    /// measured before the populator). A hint: where THP is off or unavailable, 4 KiB pages
    /// are used. Default `false`: predictable growth latency first.
    pub huge_pages: bool,
    /// Let the process's populator thread back slabs ahead of need, so that savers
    /// rarely wait for the OS (see the [`implementation`](crate::implementation)
    /// notes, "Background population"). Two things it does:
    /// - **keeps the no-wait reserve full**: a no-wait save that opens a slab, or
    ///   finds none to open, with fewer than [`reserve_slabs`](Self::reserve_slabs)
    ///   populated slabs ahead asks the populator to refill them, so a depot that
    ///   only ever saves with [`Alloc::NoWait`](crate::Alloc::NoWait) (an allocator
    ///   hook) is refilled without a [`refill`](crate::StackDepot::refill) call
    ///   (with `reserve_slabs` 0 there is no reserve to refill, and a no-wait save
    ///   never gets a new slab); `MayAlloc` saves refill it themselves;
    /// - **populates ahead of a growing depot**: once a depot has opened 512 KiB of
    ///   slabs, any save asks the populator to keep half as many slabs as are open
    ///   (at least one 2 MiB chunk or one slab, at most 8 MiB) backed beyond the
    ///   reserve, unless
    ///   [`memory_cap`](Self::memory_cap) is set (its bytes are left to the saves
    ///   that need them). The OS's page faults (1.3–2 µs per 4 KiB page on the
    ///   VM the benchmarks ran on; `docs/benchmarks.md` measures it) then happen
    ///   on that thread, not in the save.
    ///
    /// One thread per process serves every depot; it is started by the first
    /// depot built with this on (never from a save, which does not call the global
    /// allocator), sleeps when there is nothing to do and is never joined. If it
    /// cannot be started, or under Miri, the depot populates on the saving thread
    /// as with `false`, which is also what a child forked after it started does
    /// (fork handlers keep the thread from holding the depot's population mutex
    /// across a fork). Requests are lock-free and allocation-free (an atomic flag,
    /// a push onto an intrusive list, `Thread::unpark`: a futex wake on Linux). The
    /// thread keeps off the CPU of the saver that woke it, among the CPUs it was
    /// allowed when it started (those of the thread that built the first such
    /// depot). It runs at normal priority: a real-time (`SCHED_FIFO`) saver that
    /// catches up with it on one CPU may starve it; give such a process `false`.
    /// Default `true`; [`Config::tiny`] sets `false` so that tests see exactly when
    /// the reserve runs dry.
    pub background_population: bool,
}

impl Config {
    /// Default slab size: 16 KiB.
    pub const DEFAULT_SLAB_SIZE: usize = 16 * 1024;
    /// Default number of caller bits: 5.
    pub const DEFAULT_CALLER_BITS: u32 = 5;
    /// Default frames per trace: 64.
    pub const DEFAULT_MAX_FRAMES: usize = 64;
    /// Largest accepted `reserve_slabs`.
    pub const MAX_RESERVE_SLABS: usize = 1024;
    /// Largest accepted `index_shards`.
    pub const MAX_INDEX_SHARDS: usize = 256;

    /// Sets [`slab_size`](Self::slab_size).
    pub fn slab_size(mut self, bytes: usize) -> Self {
        self.slab_size = bytes;
        self
    }
    /// Sets [`max_frames`](Self::max_frames).
    pub fn max_frames(mut self, frames: usize) -> Self {
        self.max_frames = frames;
        self
    }
    /// Sets [`memory_cap`](Self::memory_cap).
    pub fn memory_cap(mut self, bytes: Option<usize>) -> Self {
        self.memory_cap = bytes;
        self
    }
    /// Sets [`reserve_slabs`](Self::reserve_slabs).
    pub fn reserve_slabs(mut self, slabs: usize) -> Self {
        self.reserve_slabs = slabs;
        self
    }
    /// Sets [`caller_bits`](Self::caller_bits).
    pub fn caller_bits(mut self, bits: u32) -> Self {
        self.caller_bits = bits;
        self
    }
    /// Sets [`index_shards`](Self::index_shards).
    pub fn index_shards(mut self, shards: usize) -> Self {
        self.index_shards = shards;
        self
    }
    /// Sets [`initial_index_slots`](Self::initial_index_slots).
    pub fn initial_index_slots(mut self, slots: usize) -> Self {
        self.initial_index_slots = slots;
        self
    }

    /// Sets [`huge_pages`](Self::huge_pages).
    pub fn huge_pages(mut self, on: bool) -> Self {
        self.huge_pages = on;
        self
    }

    /// Sets [`background_population`](Self::background_population).
    pub fn background_population(mut self, on: bool) -> Self {
        self.background_population = on;
        self
    }

    /// A deliberately tiny configuration for tests: 4 KiB slabs (or the page size),
    /// 8-slot index tables in 2 shards and a one-slab reserve, so slab and index
    /// growth happen after a handful of saves.
    pub fn tiny() -> Self {
        Config {
            slab_size: page_size().max(4096),
            max_frames: 16,
            memory_cap: None,
            reserve_slabs: 1,
            caller_bits: Self::DEFAULT_CALLER_BITS,
            index_shards: 2,
            initial_index_slots: 8,
            huge_pages: false,
            background_population: false,
        }
    }

    /// The handle layout this config gives, if it is valid.
    pub fn layout(&self) -> Result<HandleLayout, ConfigError> {
        self.validate()
    }

    /// Checks every field; returns the handle layout on success.
    pub fn validate(&self) -> Result<HandleLayout, ConfigError> {
        let page = page_size();
        if !self.slab_size.is_power_of_two()
            || self.slab_size < page
            || !self.slab_size.is_multiple_of(page)
        {
            return Err(ConfigError::SlabSize {
                slab_size: self.slab_size,
                page_size: page,
            });
        }
        if self.caller_bits > 8 {
            return Err(ConfigError::CallerBits(self.caller_bits));
        }
        let layout = HandleLayout::new(self.slab_size, self.caller_bits).ok_or(
            ConfigError::LayoutOverflow {
                slab_size: self.slab_size,
                caller_bits: self.caller_bits,
            },
        )?;
        let slab_words = self.slab_size / WORD;
        let max_record_words = slab_words - FIRST_WORD;
        if self.max_frames == 0 || self.max_frames > max_record_words {
            return Err(ConfigError::MaxFrames {
                max_frames: self.max_frames,
                fits: max_record_words,
            });
        }
        if self.reserve_slabs > Self::MAX_RESERVE_SLABS {
            return Err(ConfigError::ReserveSlabs(self.reserve_slabs));
        }
        if !self.index_shards.is_power_of_two() || self.index_shards > Self::MAX_INDEX_SHARDS {
            return Err(ConfigError::IndexShards(self.index_shards));
        }
        if !self.initial_index_slots.is_power_of_two()
            || self.initial_index_slots < 8
            || self.initial_index_slots > 1 << 24
        {
            return Err(ConfigError::IndexSlots(self.initial_index_slots));
        }
        if let Some(cap) = self.memory_cap {
            let min = self.min_memory_cap();
            if cap < min {
                return Err(ConfigError::MemoryCap { cap, min });
            }
        }
        Ok(layout)
    }

    /// The smallest [`memory_cap`](Self::memory_cap) this config can start with:
    /// the first page of the record bits, every shard's first index table, and the
    /// reserve plus one slab to store a trace in (each slab with its record bits).
    pub fn min_memory_cap(&self) -> usize {
        let table = Table::bytes_for(self.initial_index_slots.trailing_zeros());
        let tables = self.index_shards.saturating_mul(table);
        let slabs = self
            .slab_charge()
            .saturating_mul(self.reserve_slabs.saturating_add(1));
        page_size().saturating_add(tables).saturating_add(slabs)
    }

    /// Bytes one slab counts against the cap: the slab and its record bits (two bits
    /// per word).
    pub(crate) fn slab_charge(&self) -> usize {
        self.slab_size + crate::record_bits::bytes_per_slab(self.slab_size / WORD)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            slab_size: Self::DEFAULT_SLAB_SIZE.max(page_size()),
            max_frames: Self::DEFAULT_MAX_FRAMES,
            memory_cap: None,
            reserve_slabs: 4,
            caller_bits: Self::DEFAULT_CALLER_BITS,
            index_shards: 16,
            initial_index_slots: 256,
            huge_pages: false,
            background_population: true,
        }
    }
}

/// Why a [`Config`] was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The slab size is not a power-of-two multiple of the page size.
    SlabSize {
        /// What was asked for.
        slab_size: usize,
        /// This machine's page size.
        page_size: usize,
    },
    /// More than 8 caller bits were asked for.
    CallerBits(u32),
    /// Offset and caller bits leave no room for a slab index in 32 bits.
    LayoutOverflow {
        /// Slab size asked for.
        slab_size: usize,
        /// Caller bits asked for.
        caller_bits: u32,
    },
    /// `max_frames` is 0 or a record of that length does not fit in one slab.
    MaxFrames {
        /// What was asked for.
        max_frames: usize,
        /// The most that fits in a slab of this size.
        fits: usize,
    },
    /// `reserve_slabs` is above [`Config::MAX_RESERVE_SLABS`].
    ReserveSlabs(usize),
    /// `index_shards` is not a power of two in 1..=256.
    IndexShards(usize),
    /// `initial_index_slots` is not a power of two in 8..=2^24.
    IndexSlots(usize),
    /// The memory cap cannot hold even the first slab, the reserve and the index.
    MemoryCap {
        /// What was asked for.
        cap: usize,
        /// The smallest cap this config can start with.
        min: usize,
    },
    /// Mapping the depot's fixed structures failed.
    Map(std::io::ErrorKind),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::SlabSize {
                slab_size,
                page_size,
            } => write!(
                f,
                "slab size {slab_size} is not a power-of-two multiple of the page size {page_size}"
            ),
            ConfigError::CallerBits(b) => {
                write!(f, "{b} caller bits requested; at most 8 are allowed")
            }
            ConfigError::LayoutOverflow {
                slab_size,
                caller_bits,
            } => write!(
                f,
                "a {slab_size}-byte slab with {caller_bits} caller bits leaves no slab-index bits in a 32-bit handle"
            ),
            ConfigError::MaxFrames { max_frames, fits } => {
                write!(
                    f,
                    "max_frames {max_frames} is invalid: must be 1..={fits} for this slab size"
                )
            }
            ConfigError::ReserveSlabs(n) => write!(
                f,
                "reserve of {n} slabs exceeds the limit of {}",
                Config::MAX_RESERVE_SLABS
            ),
            ConfigError::IndexShards(n) => {
                write!(f, "index_shards {n} is not a power of two in 1..=256")
            }
            ConfigError::IndexSlots(n) => {
                write!(
                    f,
                    "initial_index_slots {n} is not a power of two in 8..=16777216"
                )
            }
            ConfigError::MemoryCap { cap, min } => {
                write!(
                    f,
                    "memory cap {cap} bytes is below the {min} bytes this config needs to start"
                )
            }
            ConfigError::Map(kind) => {
                write!(
                    f,
                    "mapping the depot's slab region or tables failed: {kind}"
                )
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// The OS page size (4 KiB where it cannot be asked).
pub(crate) fn page_size() -> usize {
    // memmap2 exposes no page-size query; 4 KiB pages are what every Linux x86-64 and
    // most aarch64 kernels use, and `Config::validate` only needs a lower bound for
    // alignment, which mmap itself enforces.
    4096
}
