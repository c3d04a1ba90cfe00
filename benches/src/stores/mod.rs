//! The stores compared, behind one trait.
//!
//! Each store dedups traces and hands out a 32-bit id per distinct trace, which is
//! the contract a stack depot offers. [`AnyStore`] and [`with_store!`](crate::with_store)
//! let benchmark loops be written once as generic functions and still be compiled
//! per concrete store (no virtual call inside a timed loop).

mod dashmap_store;
mod depot;
mod kernel_fixed;
mod mutex_hashmap;

pub use dashmap_store::DashMapStore;
pub use depot::StackDepotStore;
pub use kernel_fixed::KernelFixedStore;
pub use mutex_hashmap::MutexHashMapStore;

use crate::workload::TraceSet;

/// A deduplicating trace store: what the benchmarks measure.
pub trait TraceStore: Send + Sync {
    /// Short name used in benchmark ids and tables.
    fn name(&self) -> &'static str;

    /// Stores `frames` (or finds it already stored) and returns its id; `None`
    /// when the store refuses (full, or an empty trace for the depot).
    fn save(&self, frames: &[usize]) -> Option<u32>;

    /// The fetch call itself: resolves `id` to the stored trace and returns what a
    /// caller holds afterwards, the address of its first frame and its frame
    /// count, without reading any frame; `None` for an unknown id.
    ///
    /// This is the benchmarks' "fetch" figure (and the one the fetch goals are
    /// checked on). The depot's `fetch(handle) -> Option<&[usize]>` is zero-copy:
    /// the API call is "handle -> slice", and so is every baseline's lookup here
    /// (a borrow of the stored trace under the store's lock or shard guard).
    /// Reading the frames afterwards is the caller's work and costs the same in
    /// every store, so it is measured separately, by [`fetch_sum`](Self::fetch_sum).
    ///
    /// The address is returned as a number, not a reference, because the
    /// baselines can only lend the trace while their guard is held; it is only
    /// ever folded into a checksum, never dereferenced.
    fn fetch_slice(&self, id: u32) -> Option<(usize, usize)>;

    /// "Fetch + read every frame": the fetch call followed by the consumer's
    /// read, the wrapping sum of the trace's frames (so the read is real);
    /// `None` for an unknown id. Reported next to [`fetch_slice`](Self::fetch_slice)
    /// as the "fetch + read" figure, with no goal of its own.
    fn fetch_sum(&self, id: u32) -> Option<usize>;

    /// Copies the trace behind `id` into `out` (cleared first); `false` for an unknown id.
    fn fetch_into(&self, id: u32, out: &mut Vec<usize>) -> bool;

    /// Bytes the store's contents cost, index included, by the store's own
    /// accounting (the depot, the kernel array) or the estimate in
    /// [`alloc_size`](crate::alloc_size) (the baselines).
    fn bytes_used(&self) -> usize;

    /// Configuration worth printing next to the name (e.g. the fixed array's size).
    fn detail(&self) -> String {
        String::new()
    }
}

/// Wrapping sum of a trace's frames: the work every `fetch_sum` does on the data.
#[inline]
pub fn frame_sum(frames: &[usize]) -> usize {
    frames.iter().fold(0usize, |a, &f| a.wrapping_add(f))
}

/// What [`TraceStore::fetch_slice`] returns for a borrowed trace: the address of
/// its first frame and its length (no frame is read).
#[inline]
pub fn slice_parts(frames: &[usize]) -> (usize, usize) {
    (frames.as_ptr() as usize, frames.len())
}

/// Which store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// `stackdepot::StackDepot` with its default config.
    Depot,
    /// `stackdepot::StackDepot` with `Config::huge_pages(true)`: the same code, slabs
    /// backed by transparent huge pages (an opt-in; see `docs/design.md`, "Memory").
    DepotHugePages,
    /// `parking_lot::Mutex<(HashMap, Vec)>`: the hand-written reference every ratio is against.
    MutexHashMap,
    /// `DashMap` trace -> id plus `DashMap` id -> trace.
    DashMap,
    /// lockdep's fixed array (`lockdep_graph::fixed_store::FixedTraceStore`) under a mutex.
    KernelFixed,
}

impl StoreKind {
    /// Every store, the reference ([`StoreKind::MutexHashMap`]) first.
    pub const ALL: [StoreKind; 5] = [
        StoreKind::MutexHashMap,
        StoreKind::Depot,
        StoreKind::DepotHugePages,
        StoreKind::DashMap,
        StoreKind::KernelFixed,
    ];

    /// The store's name (same as [`TraceStore::name`]).
    pub fn name(self) -> &'static str {
        match self {
            StoreKind::Depot => StackDepotStore::NAME,
            StoreKind::DepotHugePages => StackDepotStore::HUGE_PAGES_NAME,
            StoreKind::MutexHashMap => MutexHashMapStore::NAME,
            StoreKind::DashMap => DashMapStore::NAME,
            StoreKind::KernelFixed => KernelFixedStore::NAME,
        }
    }

    /// Parses a name as printed by [`StoreKind::name`].
    pub fn from_name(name: &str) -> Option<StoreKind> {
        StoreKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A fresh, empty store sized for `traces` (only the kernel array needs the
    /// hint: it cannot grow, so it gets the smallest size that holds them).
    pub fn build(self, traces: &TraceSet) -> AnyStore {
        match self {
            StoreKind::Depot => AnyStore::Depot(StackDepotStore::new()),
            StoreKind::DepotHugePages => AnyStore::DepotHugePages(StackDepotStore::huge_pages()),
            StoreKind::MutexHashMap => AnyStore::MutexHashMap(MutexHashMapStore::new()),
            StoreKind::DashMap => AnyStore::DashMap(DashMapStore::new()),
            StoreKind::KernelFixed => AnyStore::KernelFixed(KernelFixedStore::sized_for(traces)),
        }
    }
}

/// One of the stores, as a value (see [`with_store!`](crate::with_store)).
// A handful are built per report, so the depot's few hundred bytes inline cost
// nothing; boxing it would only change the code the timed loops are given.
#[allow(clippy::large_enum_variant)]
pub enum AnyStore {
    /// See [`StackDepotStore`].
    Depot(StackDepotStore),
    /// See [`StackDepotStore::huge_pages`].
    DepotHugePages(StackDepotStore),
    /// See [`MutexHashMapStore`].
    MutexHashMap(MutexHashMapStore),
    /// See [`DashMapStore`].
    DashMap(DashMapStore),
    /// See [`KernelFixedStore`].
    KernelFixed(KernelFixedStore),
}

/// Runs `$body` with `$s` bound to the concrete store inside an [`AnyStore`]
/// reference, so generic code in `$body` is monomorphised per store.
#[macro_export]
macro_rules! with_store {
    ($any:expr, $s:ident => $body:expr) => {
        match $any {
            $crate::stores::AnyStore::Depot($s) => $body,
            $crate::stores::AnyStore::DepotHugePages($s) => $body,
            $crate::stores::AnyStore::MutexHashMap($s) => $body,
            $crate::stores::AnyStore::DashMap($s) => $body,
            $crate::stores::AnyStore::KernelFixed($s) => $body,
        }
    };
}

impl AnyStore {
    /// Which store this is.
    pub fn kind(&self) -> StoreKind {
        match self {
            AnyStore::Depot(_) => StoreKind::Depot,
            AnyStore::DepotHugePages(_) => StoreKind::DepotHugePages,
            AnyStore::MutexHashMap(_) => StoreKind::MutexHashMap,
            AnyStore::DashMap(_) => StoreKind::DashMap,
            AnyStore::KernelFixed(_) => StoreKind::KernelFixed,
        }
    }

    /// The store as a trait object (for code outside timed loops).
    pub fn as_dyn(&self) -> &dyn TraceStore {
        with_store!(self, s => s)
    }
}
