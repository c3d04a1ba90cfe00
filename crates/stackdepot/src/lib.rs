//! A growable, deduplicating, lock-free store for stack traces.
//!
//! Validators — lock checkers, leak and heap trackers, race detectors, profilers —
//! remember the stack of every interesting event. Most of those stacks repeat, and
//! each is a few hundred bytes, so they keep one copy of each distinct trace and
//! hand out a small name for it. Linux lockdep does this in one static array of
//! 2^19 words: on a KASAN desktop it fills in hours, prints
//! `BUG: MAX_STACK_TRACE_ENTRIES too low!` and turns the validator off until
//! reboot. This crate is the growable alternative: a *stack depot* that
//!
//! - **deduplicates exactly**: equal frame sequences get equal handles, because
//!   frames are compared, not just hashes;
//! - **names a trace with a 32-bit [`Handle`]**, never 0, with a few caller bits;
//! - **reads without locks**: [`StackDepot::fetch`] is three loads of cached
//!   metadata and a slice into the depot (zero-copy, no atomic read-modify-write,
//!   the record itself untouched), and saving a trace that is already stored takes
//!   no lock and writes nothing shared;
//! - **grows slab by slab** in memory from the OS (memmap2, never the global
//!   allocator), and grows its index without stopping readers;
//! - **never blocks a caller that cannot wait**: [`Alloc::NoWait`] saves use space
//!   already backed and a reserve of populated slabs, and fail at once, with a
//!   counted, distinct [`SaveError`], when that is not enough;
//! - **never aborts**: a full cap, an empty reserve, a failed mapping, exhausted
//!   handle space are errors and counters, and never disturb a saved trace.
//!
//! # Examples
//!
//! ```
//! use stackdepot::{Alloc, StackDepot};
//!
//! let depot = StackDepot::new();
//! let frames = [0xffff_ffff_8100_1234usize, 0xffff_ffff_8100_5678, 0xffff_ffff_8100_9abc];
//! let h = depot.save(&frames)?;
//! assert_eq!(depot.save(&frames)?, h);                  // exact dedup
//! assert_eq!(depot.fetch(h), Some(&frames[..]));        // zero-copy fetch
//! let raw: u32 = h.to_raw();                            // store 4 bytes, not a copy
//! assert_eq!(stackdepot::Handle::from_raw(raw), Some(h));
//! // From an allocator hook or under your own lock: never maps, never waits.
//! let h2 = depot.save_with(&frames[1..], Alloc::NoWait)?;
//! assert_ne!(h2, h);
//! println!("{}", depot.stats());                       // like /proc/lockdep_stats
//! # Ok::<(), stackdepot::SaveError>(())
//! ```
//!
//! # Concepts
//!
//! - **Slab**: a [`Config::slab_size`] piece of memory (16 KiB by default, the
//!   kernel's 4-page pool) at a fixed place in one address-space reservation for
//!   every slab a handle can name; the OS backs slabs a few at a time, then 2 MiB
//!   at a time (one transparent huge page when [`Config::huge_pages`] is on).
//!   Records — just the frames — are bump-allocated in the open slab and never
//!   move. Beside the slabs, two bits per slab word say where a published record
//!   starts and ends: that is what lets `fetch` reject a forged handle and learn a
//!   record's length without loading the record.
//! - **Handle**: `caller bits | slab index | word offset`, derived from the config
//!   ([`HandleLayout`]). At the defaults: 5 caller bits, 65 536 slabs of 16 KiB
//!   (1 GiB of traces, about 6 million traces of 21 frames), offsets in 8-byte words.
//! - **Index**: 16 shards, each an open-addressing table of 64-bit slots
//!   (`hash key | handle`), doubling at 80 % load into a table mapped beforehand;
//!   with no fixed bucket count, a lookup visits 1.2–2.6 slots on average from 10^3
//!   to 10^7 traces (`cargo run --release -p stackdepot --example probe_lengths`).
//! - **Reserve**: at least [`Config::reserve_slabs`] populated slabs beyond the open
//!   one (and each shard's next table), refilled by `MayAlloc` saves,
//!   [`StackDepot::refill`] and the populator; a no-wait save opens one with a CAS
//!   and nothing else.
//! - **Populator**: one background thread per process
//!   ([`Config::background_population`], on by default) that backs slabs ahead of
//!   a growing depot, maps the shards' next index tables and returns retired ones,
//!   so the OS's page faults happen there and not in a save. Saves (no-wait ones
//!   too) ask it for work without a lock or an allocation.
//!
//! The [`implementation`] module has the full design with diagrams.
//!
//! # Limits (default config)
//!
//! | what | limit |
//! |---|---|
//! | frames per trace | 64 ([`Config::max_frames`], up to what fits a slab: 2047 at 16 KiB); longer traces keep the innermost frames, counted |
//! | slabs / bytes a handle can address | 65 536 / 1 GiB (larger slabs or fewer caller bits address more) |
//! | traces | about 5.3 M at 24 frames, 6.1 M at 21 (bytes / (8 × frames)) |
//! | caller bits | 5 (0..=8) |
//! | memory | unbounded unless [`Config::memory_cap`] is set |
//!
//! # Safety and correctness
//!
//! Unsafe code is confined to the slab region (`region.rs`), the record bits
//! (`record_bits.rs`), index tables (`index.rs`, `mapping.rs`) and the populator's
//! request list (`populator.rs`); every block carries a `// SAFETY:` argument and
//! the memory-ordering protocol is written once at the top of `depot.rs` (the
//! population request's, at the top of `growth.rs`). It is checked by loom models of the protocol
//! (`scripts/loom.sh`), threaded stress tests, a proptest model test against a
//! `HashMap` (with tiny slabs and tables so growth happens after a few saves),
//! exhaustive edge cases on forged handles, and Miri (tree borrows) where a
//! nightly toolchain exists (`scripts/miri.sh`).
//!
//! # Performance
//!
//! A hit hashes the trace (foldhash), probes one shard (slots carry 25 hash bits and
//! the frame count, so a record is read only on a likely match, and compared at
//! once) and compares frames. A fetch reads the record's start and end bits —
//! small, cached metadata — and returns a slice whose address is the handle's body
//! times eight past the region's base, without touching the record. An insert
//! copies the frames into the open slab, then publishes them under the shard's spin
//! lock (a probe and three stores); the OS backs slabs ahead of need, on the
//! populator thread once the depot grows (1.3–2 µs per 4 KiB page on the VM the
//! benchmarks ran on — `docs/benchmarks.md` measures it in its machine table —
//! about half an insert's cost when it was the saver's). Memory: 8 bytes per frame, the index (8 bytes per slot at 40–80 %
//! load), the record bits (1/32 of the slabs) and the slabs' tails; on the RFC's
//! 22 080 traces that is at most lockdep's packed array. The benches package
//! compares the depot with a `Mutex<HashMap>` store, a DashMap store and lockdep's
//! fixed array; see `docs/benchmarks.md`. At 200 000 traces of ~24 frames, against
//! the `Mutex<HashMap>` store in the same run: hits 0.39×, fetches 0.28× (3 ns),
//! inserts 0.20–0.25× on the saving thread over the last three reports (0.36–0.37×
//! counting the populator's CPU time too), 8.84 bytes per frame.
//!
//! # Cargo features
//!
//! - `capture` (default): [`capture`] the current stack into a caller buffer and
//!   print saved traces symbolised ([`StackDepot::print`], [`write_trace`]), with the
//!   `backtrace` crate. Without it the crate has no dependency beyond memmap2 and
//!   foldhash.

#![cfg_attr(not(test), warn(clippy::undocumented_unsafe_blocks))]

#[cfg(not(target_pointer_width = "64"))]
compile_error!(
    "stackdepot supports 64-bit targets only (frames and headers are stored as 64-bit words)"
);

mod budget;
mod config;
mod counters;
mod depot;
mod error;
mod growth;
mod handle;
mod index;
mod mapping;
mod populator;
mod record_bits;
mod region;
mod spin_lock;
mod stats;
mod sync;

pub use config::{Config, ConfigError};
pub use depot::StackDepot;
pub use error::{Alloc, SaveError};
pub use handle::{DEFAULT_LAYOUT, Handle, HandleLayout};
pub use stats::Stats;

#[cfg(feature = "capture")]
mod capture;
#[cfg(feature = "capture")]
pub use capture::{capture, write_trace};

#[cfg(all(test, loom))]
mod loom_model;

#[doc = include_str!("../../../docs/design.md")]
pub mod implementation {}

#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
